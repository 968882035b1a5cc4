import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DaemonClient } from '../../src/client/daemon-client.js';
import { createHarness, type Harness } from '../support/harness.js';
import { DONE_TURN, execCall, itemEvent, notifs, openThread, rand, runTurn } from '../support/tool-turns.js';

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(async () => {
  await h.cleanup();
});

/** Everything the daemon writes to stdout, unparsed (parsing would round big ids). */
function rawStdout(c: DaemonClient): { text: () => string; waitFor: (needle: string) => Promise<void> } {
  let text = '';
  const waiters: (() => void)[] = [];
  c.child.stdout!.on('data', (chunk: string) => {
    text += chunk;
    for (const w of waiters.splice(0)) w();
  });
  const waitFor = async (needle: string): Promise<void> => {
    while (!text.includes(needle)) {
      if (c.child.exitCode !== null) throw new Error(`daemon exited before writing ${needle}`);
      await new Promise<void>((r) => waiters.push(r));
    }
  };
  return { text: () => text, waitFor };
}

/** Resolves once the daemon's stderr (its log) contains `needle`. */
async function stderrContains(c: DaemonClient, needle: string): Promise<void> {
  while (!c.stderr.join('').includes(needle)) {
    if (c.child.exitCode !== null) throw new Error(`daemon exited (code ${c.child.exitCode}) before logging ${needle}`);
    await new Promise((r) => c.child.stderr!.once('data', r));
  }
}

describe('a client that sends what a careless or hostile editor might', () => {
  it('echoes request ids above 2^53 digit for digit, on the early initialize and on later requests', async () => {
    const c = h.spawn();
    const out = rawStdout(c);
    c.writeRaw('{"jsonrpc":"2.0","id":9007199254740993,"method":"initialize","params":{"clientInfo":{"name":"t","version":"0"}}}\n');
    await out.waitFor('"id":9007199254740993,"result":{');
    c.writeRaw('{"jsonrpc":"2.0","method":"initialized"}\n');
    c.writeRaw('{"jsonrpc":"2.0","id":18446744073709551617,"method":"thread/loaded/list","params":{}}\n');
    c.writeRaw('{"jsonrpc":"2.0","id":9007199254740995,"method":"thread/read","params":{"threadId":"nope"}}\n');
    await out.waitFor('"id":18446744073709551617,"result":');
    await out.waitFor('"id":9007199254740995,"error":');
    expect(out.text()).not.toContain('18446744073709552000');
  });

  it('takes the first of two answers to one approval request written together: decline then accept never runs the command', async () => {
    const t = await openThread(h, ['approval_policy="untrusted"', 'sandbox_mode="workspace-write"']);
    // The client answers by hand below; the built-in answerer must stay silent.
    t.c.onServerRequest(() => new Promise(() => {}));
    const file = `double-answer-${rand()}.txt`;
    h.mock.enqueue({ output: [execCall(`touch ${file}`, 'call-double')] }, DONE_TURN);
    const from = t.c.messages.length;
    const run = runTurn(h, t);
    const req = await t.c.waitFor((m) => m.method === 'item/commandExecution/requestApproval', from);
    t.c.writeRaw(
      `${JSON.stringify({ jsonrpc: '2.0', id: req.id, result: { decision: 'decline' } })}\n` +
        `${JSON.stringify({ jsonrpc: '2.0', id: req.id, result: { decision: 'accept' } })}\n`,
    );
    const r = await run;
    expect(r.turn.status).toBe('completed');
    expect(itemEvent(r.msgs, 'completed', 'call-double')).toMatchObject({ status: 'declined' });
    expect(existsSync(join(h.workspace, file))).toBe(false);
    expect(notifs(r.msgs, 'serverRequest/resolved')).toHaveLength(1);
    await stderrContains(t.c, 'ignoring a response to no pending server request');
  });

  it('keeps serving after an unhandled promise rejection and an exception thrown in a callback', async () => {
    const c = h.spawn([], { AGENTD_TEST_FAULTS: 'unhandled-rejection,uncaught-exception' });
    await c.initialize();
    await stderrContains(c, 'injected fault: unhandled rejection');
    await stderrContains(c, 'injected fault: uncaught exception');
    const { thread } = await c.request('thread/start', { ephemeral: true });
    expect(thread.id).toEqual(expect.any(String));
    expect(c.child.exitCode).toBeNull();
    expect(await c.close()).toEqual({ code: 0, signal: null });
  });
});
