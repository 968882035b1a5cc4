import { execFileSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DaemonClient } from '../../src/client/daemon-client.js';
import { createHarness, startTurn, turnCompleted, type Harness } from '../support/harness.js';
import { rpcError } from '../support/wire.js';
import { DONE_TURN, execCall, itemEvent, notifs, openThread, rand, runTurn, toolOutputs } from '../support/tool-turns.js';

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

  it('never lets a late answer to an interrupted turn\'s approval request approve a later turn\'s request with the same call id', async () => {
    const t = await openThread(h, ['approval_policy="untrusted"', 'sandbox_mode="workspace-write"']);
    t.c.onServerRequest(() => new Promise(() => {}));
    const first = `stale-first-${rand()}.txt`;
    const second = `stale-second-${rand()}.txt`;
    // The model reuses its call id in the next turn, for a different command.
    h.mock.enqueue({ output: [execCall(`touch ${first}`, 'call-reused')] }, { output: [execCall(`touch ${second}`, 'call-reused')] }, DONE_TURN);
    const from = t.c.messages.length;
    const turn1 = await startTurn(t.c, t.threadId, 'one');
    const stale = await t.c.waitFor((m) => m.method === 'item/commandExecution/requestApproval', from);
    await t.c.request('turn/interrupt', { threadId: t.threadId, turnId: turn1 });
    expect((await turnCompleted(t.c, turn1)).status).toBe('interrupted');

    const from2 = t.c.messages.length;
    const turn2 = await startTurn(t.c, t.threadId, 'two');
    const asked = await t.c.waitFor((m) => m.method === 'item/commandExecution/requestApproval', from2);
    expect(asked.params).toMatchObject({ turnId: turn2, itemId: 'call-reused', command: expect.stringContaining(second) });
    // The user accepts the old request late, then declines the one on screen now.
    t.c.writeRaw(
      `${JSON.stringify({ jsonrpc: '2.0', id: stale.id, result: { decision: 'accept' } })}\n` +
        `${JSON.stringify({ jsonrpc: '2.0', id: asked.id, result: { decision: 'decline' } })}\n`,
    );
    const done = await turnCompleted(t.c, turn2);
    expect(done.status).toBe('completed');
    expect(itemEvent(t.c.messages.slice(from2), 'completed', 'call-reused')).toMatchObject({ status: 'declined' });
    expect(existsSync(join(h.workspace, second))).toBe(false);
    expect(existsSync(join(h.workspace, first))).toBe(false);
  });

  it('answers methods named after Object members (__proto__, constructor, toString, hasOwnProperty) as not found', async () => {
    const c = await h.start();
    for (const method of ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf']) {
      const err = await rpcError(c.request(method, {}));
      expect(err).toMatchObject({ code: -32601, data: { code: 'method_not_found', method } });
    }
    expect((await c.request('thread/loaded/list', {})).data).toEqual([]);
  });

  it('ends every command item it started, failed, when the thread\'s cwd is a file or a FIFO and nothing can be spawned there', async () => {
    const fifo = join(h.workspace, `cwd-fifo-${rand()}`);
    execFileSync('mkfifo', [fifo]);
    const file = join(h.workspace, `cwd-file-${rand()}`);
    writeFileSync(file, 'not a directory');
    for (const cwd of [file, fifo]) {
      const t = await openThread(h, ['approval_policy="never"', 'sandbox_mode="workspace-write"'], { cwd });
      h.mock.enqueue({ output: [execCall('echo hi', 'call-no-dir')] }, DONE_TURN);
      const r = await runTurn(h, t);
      expect(r.turn.status).toBe('completed');
      expect(itemEvent(r.msgs, 'started', 'call-no-dir')).toMatchObject({ status: 'inProgress' });
      expect(itemEvent(r.msgs, 'completed', 'call-no-dir')).toMatchObject({ status: 'failed', aggregatedOutput: expect.stringContaining('ENOTDIR') });
      expect(toolOutputs(r.requests[1]!).get('call-no-dir')?.output).toContain('ENOTDIR');
    }
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
