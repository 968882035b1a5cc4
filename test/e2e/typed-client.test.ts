import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentdClient, RpcError, type Notification } from '../../src/client/index.js';
import { createHarness, mockConfig, type Harness } from '../support/harness.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
let h: Harness;
const clients: AgentdClient[] = [];
beforeAll(async () => {
  h = await createHarness();
});
afterAll(async () => {
  await Promise.all(clients.map((c) => c.close(1000).catch(() => undefined)));
  await h.cleanup();
});

function spawnTyped(extra: string[] = []): AgentdClient {
  const c = AgentdClient.spawn({
    args: [...mockConfig(h.mock.url), ...extra].flatMap((x) => ['-c', x]).concat(['--log-level', 'warn']),
    env: { ...process.env, AGENTD_HOME: h.home, HOME: join(h.home, 'user-home'), AGENTD_RETRY_BASE_MS: '5' },
    cwd: h.workspace,
  });
  clients.push(c);
  return c;
}

describe('the typed client (agentd/client)', () => {
  it('is exported as agentd/client with its type declarations', () => {
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', "const m = await import('agentd/client'); console.log(typeof m.AgentdClient, typeof m.RpcError)"], {
      cwd: root,
      encoding: 'utf8',
    });
    expect(out.trim()).toBe('function function');
    expect(existsSync(join(root, 'dist/src/client/index.d.ts'))).toBe(true);
  });

  it('runs a turn with an approval callback and iterates over the thread notifications', async () => {
    const c = spawnTyped(['approval_policy="untrusted"', 'sandbox_mode="workspace-write"']);
    const init = await c.initialize({ name: 'typed-test', version: '1' });
    expect(init.userAgent).toMatch(/^agentd\//);
    expect(init.protocolVersion).toMatch(/^\d+\.\d+\.\d+$/);
    expect(init.methods?.clientRequests).toContain('turn/start');
    expect(init.methods?.serverRequests).toContain('item/commandExecution/requestApproval');
    const { thread } = await c.request('thread/start', { cwd: h.workspace, ephemeral: true });
    h.mock.enqueue(
      { output: [{ type: 'function_call', name: 'exec_command', arguments: { cmd: 'touch typed-client.txt' }, callId: 'c1' }] },
      { output: [{ type: 'text', text: 'all done here', chunks: 3 }] },
    );
    const approvals: string[] = [];
    c.onApproval((req) => {
      approvals.push(`${req.method}:${req.params.threadId}`);
      return { decision: 'accept' };
    });
    const events = c.threadNotifications(thread.id);
    const started = await c.request('turn/start', { threadId: thread.id, input: [{ type: 'text', text: 'make a file' }] });
    const seen: Notification[] = [];
    for await (const n of events) {
      seen.push(n);
      if (n.method === 'turn/completed' && n.params.turn.id === started.turn.id) break;
    }
    expect(approvals).toEqual([`item/commandExecution/requestApproval:${thread.id}`]);
    expect(existsSync(join(h.workspace, 'typed-client.txt'))).toBe(true);
    const deltas = seen.flatMap((n) => (n.method === 'item/agentMessage/delta' ? [n.params.delta] : []));
    expect(deltas.join('')).toBe('all done here');
    const cmd = seen.find((n) => n.method === 'item/completed' && n.params.item.type === 'commandExecution');
    expect(cmd && cmd.method === 'item/completed' && cmd.params.item.type === 'commandExecution' && cmd.params.item.status).toBe('completed');
    // Typed errors.
    const err = await c.request('thread/read', { threadId: 'nope' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RpcError);
    expect((err as RpcError).appCode).toBe('thread_not_found');
  });

  it('interrupts a turn and shuts the daemon down cleanly', async () => {
    const c = spawnTyped();
    await c.initialize();
    const { thread } = await c.request('thread/start', { cwd: h.workspace, ephemeral: true });
    h.mock.enqueue({ output: [{ type: 'text', text: 'never finishing' }], fault: { hang: true } });
    const delta = c.waitFor('item/agentMessage/delta', (p) => p.threadId === thread.id);
    const turn = await c.request('turn/start', { threadId: thread.id, input: [{ type: 'text', text: 'go' }] });
    const iter = c.turnNotifications(thread.id, turn.turn.id);
    await delta;
    await c.request('turn/interrupt', { threadId: thread.id, turnId: turn.turn.id });
    let last: Notification | undefined;
    for await (const n of iter) last = n;
    expect(last?.method === 'turn/completed' && last.params.turn.status).toBe('interrupted');
    const pid = c.pid!;
    await c.close();
    expect(c.closed).toBe(true);
    expect(() => process.kill(pid, 0)).toThrow();
    await expect(c.request('thread/list', {})).rejects.toThrow(/connection closed/);
  });
});
