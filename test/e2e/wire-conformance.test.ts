import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DaemonClient } from '../../src/client/daemon-client.js';
import { clientRequests, serverNotifications, serverRequests } from '../../src/protocol/app-server/schema/methods.js';
import { createHarness, turnCompleted, type Harness } from '../support/harness.js';

type Schema = { safeParse(v: unknown): { success: boolean; error?: unknown } };

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(async () => {
  await h.cleanup();
});

/** Sends a request and checks its result against the method's result schema. */
async function call(c: DaemonClient, method: string, params: unknown) {
  const result = await c.request(method, params);
  const schema = (clientRequests as unknown as Record<string, { result: Schema }>)[method]!.result;
  const parsed = schema.safeParse(result);
  expect(parsed.success, `${method} result: ${JSON.stringify(parsed.error)}`).toBe(true);
  return result;
}

describe('everything agentd sends fits the app-server v2 schema', () => {
  it('validates results, notifications and approval requests of a full tool turn', async () => {
    writeFileSync(join(h.workspace, 'a.txt'), 'one\n');
    const c = await h.start(['approval_policy="untrusted"', 'sandbox_mode="workspace-write"']);
    c.onServerRequest((method, params) => {
      const schema = (serverRequests as unknown as Record<string, { params: Schema }>)[method]!.params;
      const parsed = schema.safeParse(params);
      expect(parsed.success, `${method}: ${JSON.stringify(parsed.error)}`).toBe(true);
      return { decision: 'accept' };
    });
    const t = await call(c, 'thread/start', { cwd: h.workspace });
    h.mock.enqueue(
      {
        output: [
          { type: 'reasoning', summary: ['Plan first.'], text: 'thinking' },
          { type: 'function_call', name: 'update_plan', arguments: { plan: [{ step: 'edit', status: 'in_progress' }] } },
          { type: 'function_call', name: 'exec_command', arguments: { cmd: 'touch b.txt && echo made', login: false } },
        ],
        headers: { 'x-codex-primary-used-percent': '10', 'x-codex-primary-window-minutes': '60' },
      },
      {
        output: [
          {
            type: 'custom_tool_call',
            name: 'apply_patch',
            input: '*** Begin Patch\n*** Update File: a.txt\n@@\n-one\n+two\n*** End Patch',
          },
        ],
      },
      { fault: { status: 500 } },
      { output: [{ type: 'text', text: 'All done.', chunks: 3 }] },
    );
    const started = await call(c, 'turn/start', { threadId: t.thread.id, input: [{ type: 'text', text: 'go' }] });
    expect((await turnCompleted(c, started.turn.id)).status).toBe('completed');
    await call(c, 'thread/read', { threadId: t.thread.id, includeTurns: true });
    await call(c, 'thread/list', {});
    await call(c, 'thread/loaded/list', {});
    await call(c, 'thread/name/set', { threadId: t.thread.id, name: 'conformance' });
    await call(c, 'model/list', {});
    await call(c, 'config/read', {});
    await call(c, 'command/exec', { command: ['true'], cwd: h.workspace });
    const fork = await call(c, 'thread/fork', { threadId: t.thread.id });
    await call(c, 'thread/resume', { threadId: t.thread.id });
    await call(c, 'thread/unsubscribe', { threadId: fork.thread.id });
    await call(c, 'thread/archive', { threadId: t.thread.id });
    await call(c, 'thread/unarchive', { threadId: t.thread.id });

    const methods = new Set<string>();
    for (const m of c.notifications()) {
      const schema = (serverNotifications as unknown as Record<string, Schema>)[m.method!];
      expect(schema, `unknown notification ${m.method}`).toBeDefined();
      const parsed = schema!.safeParse(m.params);
      expect(parsed.success, `${m.method}: ${JSON.stringify(parsed.error)}`).toBe(true);
      methods.add(m.method!);
    }
    for (const m of [
      'thread/started',
      'turn/started',
      'turn/completed',
      'item/started',
      'item/completed',
      'item/agentMessage/delta',
      'item/reasoning/summaryTextDelta',
      'item/reasoning/textDelta',
      'item/commandExecution/outputDelta',
      'turn/plan/updated',
      'turn/diff/updated',
      'thread/tokenUsage/updated',
      'account/rateLimits/updated',
      'serverRequest/resolved',
      'thread/status/changed',
      'error',
      'thread/name/updated',
      'thread/closed',
      'thread/archived',
      'thread/unarchived',
    ]) {
      expect(methods.has(m), m).toBe(true);
    }
    await c.close();
  });
});
