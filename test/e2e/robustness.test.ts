import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WireMessage } from '../../src/client/daemon-client.js';
import { createHarness, startTurn, turnCompleted, type Harness } from '../support/harness.js';
import { responsesSince, roundTrip, rpcError, unparseableOutput, waitForCount } from '../support/wire.js';

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(async () => {
  await h.cleanup();
});

const withId = (id: string | number) => (m: WireMessage) => m.method === undefined && m.id === id;

describe("users' editors crash, freeze and send garbage", () => {
  it('survives invalid UTF-8 inside a JSON string and lines of pure garbage bytes', async () => {
    const c = await h.start();
    const from = c.messages.length;

    // Invalid UTF-8 inside a string value: still a well-formed request (bytes become U+FFFD).
    c.writeRaw(
      Buffer.concat([
        Buffer.from('{"jsonrpc":"2.0","id":"utf1","method":"thread/read","params":{"threadId":"ab'),
        Buffer.from([0xff, 0xfe]),
        Buffer.from('cd"}}\n'),
      ]),
    );
    const r1 = await c.waitFor(withId('utf1'), from);
    expect(r1.error?.data.code).toBe('thread_not_found');

    // A line of nothing but garbage (invalid UTF-8, a NUL, a bad continuation byte).
    c.writeRaw(Buffer.from([0xff, 0xfe, 0xfd, 0x00, 0x80, 0xc3, 0x28, 0xf0, 0x9f, 0x0a]));
    const parseErr = await c.waitFor((m) => m.error?.code === -32700, from);
    expect(parseErr.id).toBeNull();
    expect(parseErr.error!.data.code).toBe('parse_error');

    // An invalid sequence split across two writes, in the text of a real turn.
    const t = await c.request('thread/start', { ephemeral: true });
    c.writeRaw(
      Buffer.concat([
        Buffer.from(`{"id":"utf2","method":"turn/start","params":{"threadId":"${t.thread.id}","input":[{"type":"text","text":"caf`),
        Buffer.from([0xc3]),
      ]),
    );
    c.writeRaw(Buffer.concat([Buffer.from([0x28]), Buffer.from(' ok"}]}}\n')]));
    const started = await c.waitFor(withId('utf2'), from);
    expect(started.error).toBeUndefined();
    const done = await turnCompleted(c, started.result.turn.id);
    expect(done.status).toBe('completed');
    const user = c.notifications('item/completed').find((m) => m.params.turnId === started.result.turn.id && m.params.item.type === 'userMessage')!;
    expect(user.params.item.content[0].text).toBe('caf\uFFFD( ok');

    // Still serving, and every line it wrote was valid JSON.
    const models = await c.request('model/list', {});
    expect(Array.isArray(models.data)).toBe(true);
    expect(unparseableOutput(c)).toEqual([]);
    expect(await c.close()).toEqual({ code: 0, signal: null });
  });

  it('answers a 20 MB line exactly once and keeps serving', async () => {
    const c = await h.start();
    const from = c.messages.length;
    const big = 'x'.repeat(20 * 1024 * 1024);
    // A valid request carrying a huge unknown field, and a turn/start with a 20 MB text.
    c.send({ jsonrpc: '2.0', id: 'big1', method: 'thread/loaded/list', params: { padding: big } });
    c.send({ jsonrpc: '2.0', id: 'big2', method: 'turn/start', params: { threadId: 'no-such-thread', input: [{ type: 'text', text: big }] } });
    const r1 = await c.waitFor(withId('big1'), from);
    expect(r1.result).toEqual({ data: expect.any(Array), nextCursor: null });
    const r2 = await c.waitFor(withId('big2'), from);
    expect(r2.error?.data.code).toBe('thread_not_found');
    await roundTrip(c);
    expect(responsesSince(c, from).filter((m) => m.id === 'big1')).toHaveLength(1);
    expect(responsesSince(c, from).filter((m) => m.id === 'big2')).toHaveLength(1);
    const t = await c.request('thread/start', { ephemeral: true });
    expect(t.thread.id).toBeTruthy();
    expect(await c.close()).toEqual({ code: 0, signal: null });
  });

  it('answers 100,000 levels of nesting with an error and keeps serving', async () => {
    const c = await h.start();
    const from = c.messages.length;
    const depth = 100_000;
    const deepArrays = `{"id":"deep1","method":"thread/list","params":{"x":${'['.repeat(depth)}${']'.repeat(depth)}}}\n`;
    const deepObjects = `{"id":"deep2","method":"thread/list","params":{"x":${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}}}\n`;
    const unclosed = `{"id":"deep3","method":"thread/list","params":{"x":${'['.repeat(depth)}}}\n`;
    c.writeRaw(deepArrays + deepObjects + unclosed);
    // Each is answered with an error, with its id when it could be read, else id null.
    const isDeepAnswer = (m: WireMessage) =>
      m.method === undefined && (m.id === null || (typeof m.id === 'string' && m.id.startsWith('deep')));
    await waitForCount(c, isDeepAnswer, 3, from);
    await roundTrip(c);
    const answers = c.messages.slice(from).filter(isDeepAnswer);
    expect(answers).toHaveLength(3);
    for (const a of answers) {
      expect(a.result).toBeUndefined();
      expect([-32700, -32600]).toContain(a.error!.code);
      expect(typeof a.error!.data.code).toBe('string');
    }
    expect(answers.filter((a) => a.id !== null).every((a) => a.id === 'deep1' || a.id === 'deep2')).toBe(true);
    const list = await c.request('thread/list', {});
    expect(Array.isArray(list.data)).toBe(true);
    expect(await c.close()).toEqual({ code: 0, signal: null });
  });

  it('answers each of 1,000 requests sent in one write, never silently', async () => {
    const c = await h.start();
    const from = c.messages.length;
    const methods = ['thread/loaded/list', 'model/list', 'thread/list'];
    let text = '';
    for (let i = 0; i < 1000; i++) text += JSON.stringify({ jsonrpc: '2.0', id: `b${i}`, method: methods[i % 3], params: {} }) + '\n';
    c.writeRaw(text);
    const isBurst = (m: WireMessage) => m.method === undefined && typeof m.id === 'string' && /^b\d+$/.test(m.id);
    await waitForCount(c, isBurst, 1000, from);
    await roundTrip(c);
    const answers = c.messages.slice(from).filter(isBurst);
    expect(answers).toHaveLength(1000);
    expect(new Set(answers.map((a) => a.id))).toEqual(new Set(Array.from({ length: 1000 }, (_, i) => `b${i}`)));
    let results = 0;
    for (const a of answers) {
      if (a.error) {
        expect(a.error.code).toBe(-32001);
        expect(a.error.data.code).toBe('overloaded');
      } else {
        results++;
        expect(Array.isArray(a.result.data)).toBe(true);
      }
    }
    expect(results).toBeGreaterThan(0);
    expect(await c.close()).toEqual({ code: 0, signal: null });
  });

  it('answers each malformed line with -32700 and id null, and the valid lines between them', async () => {
    const c = await h.start();
    const from = c.messages.length;
    const ok = (id: string) => JSON.stringify({ id, method: 'thread/loaded/list', params: {} });
    const bad = ['not json at all', '{"id": 9, "method": "thread/list"', '}{', "{'id': 10, 'method': 'thread/list'}"];
    c.writeRaw([ok('v1'), bad[0], ok('v2'), bad[1], bad[2], ok('v3'), bad[3], ok('v4')].join('\n') + '\n');
    const valid = await Promise.all(['v1', 'v2', 'v3', 'v4'].map((id) => c.waitFor(withId(id), from)));
    for (const v of valid) expect(v.result).toEqual({ data: [], nextCursor: null });
    const isParseError = (m: WireMessage) => m.method === undefined && m.error?.code === -32700;
    await waitForCount(c, isParseError, bad.length, from);
    await roundTrip(c);
    const errors = c.messages.slice(from).filter(isParseError);
    expect(errors).toHaveLength(bad.length);
    expect(errors.every((e) => e.id === null && e.error!.data.code === 'parse_error')).toBe(true);
    // Nothing was answered under the ids inside the broken lines.
    expect(c.messages.slice(from).some((m) => m.id === 9 || m.id === 10)).toBe(false);
    expect(await c.close()).toEqual({ code: 0, signal: null });
  });

  it('answers params of the wrong type with an error, not silence', async () => {
    const c = await h.start();
    const from = c.messages.length;
    const cases: [string, unknown][] = [
      ['p-number', 5],
      ['p-string', 'x'],
      ['p-bool', true],
      ['p-array', [1, 2]],
      ['p-wrong-field', { threadId: 42 }],
    ];
    c.writeRaw(cases.map(([id, params]) => JSON.stringify({ jsonrpc: '2.0', id, method: 'thread/read', params })).join('\n') + '\n');
    const answers = await Promise.all(cases.map(([id]) => c.waitFor(withId(id), from)));
    for (const a of answers) {
      expect(a.result).toBeUndefined();
      expect([-32600, -32602]).toContain(a.error!.code);
      expect(typeof a.error!.data.code).toBe('string');
    }
    expect(answers.at(-1)!.error!.code).toBe(-32602);
    expect(answers.at(-1)!.error!.data.code).toBe('invalid_params');
    await roundTrip(c);
    for (const [id] of cases) expect(responsesSince(c, from).filter((m) => m.id === id)).toHaveLength(1);
    expect(await c.close()).toEqual({ code: 0, signal: null });
  });

  it('exits cleanly when stdin closes in the middle of a streaming turn', async () => {
    const own = await createHarness();
    try {
      const c = await own.start();
      const t = await c.request('thread/start', { cwd: own.workspace });
      own.mock.enqueue({ output: [{ type: 'text', text: 'this will never finish', chunks: 3 }], fault: { hang: true } });
      const turnId = await startTurn(c, t.thread.id, 'hang forever');
      await c.waitForNotification('item/agentMessage/delta', (p) => p.turnId === turnId);
      expect(await c.close()).toEqual({ code: 0, signal: null });
      // The model request was abandoned, not left open.
      await own.mock.waitForClientAbort(1);
    } finally {
      await own.cleanup();
    }
  });

  it('exits cleanly when stdin closes while an approval is pending, without running the command', async () => {
    const own = await createHarness();
    try {
      const c = await own.start();
      // Never answer the approval: the editor froze.
      c.onServerRequest(() => new Promise(() => {}));
      const t = await c.request('thread/start', { cwd: own.workspace, approvalPolicy: 'untrusted', sandbox: 'danger-full-access' });
      own.mock.enqueue({ output: [{ type: 'function_call', name: 'exec_command', arguments: { cmd: 'touch approved-file' } }] });
      const turnId = await startTurn(c, t.thread.id, 'make a file');
      const ask = await c.waitFor((m) => m.method === 'item/commandExecution/requestApproval' && m.id !== undefined);
      expect(ask.params.turnId).toBe(turnId);
      expect(await c.close()).toEqual({ code: 0, signal: null });
      expect(existsSync(join(own.workspace, 'approved-file'))).toBe(false);
    } finally {
      await own.cleanup();
    }
  });

  it('answers every request written just before stdin closes (a piped, one-shot client)', async () => {
    // `printf '...' | agentd`: the requests and the end of input arrive together.
    const c = h.spawn();
    const lines = [
      { id: 1, method: 'initialize', params: { clientInfo: { name: 'pipe', version: '1' } } },
      { method: 'initialized' },
      { id: 2, method: 'thread/loaded/list', params: {} },
      { id: 3, method: 'model/list', params: {} },
      { id: 4, method: 'thread/list', params: {} },
      { id: 5, method: 'thread/read', params: { threadId: 'no-such-thread' } },
    ];
    c.child.stdin!.end(lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
    expect(await c.exited()).toEqual({ code: 0, signal: null });
    const answered = c.messages.filter((m) => m.method === undefined).map((m) => m.id as number);
    expect(answered.sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5]);
    expect(c.messages.find((m) => m.id === 5)!.error!.data.code).toBe('thread_not_found');
  });

  it('exits on its own when the editor has gone and its stdout is a broken pipe', async () => {
    const c = await h.start();
    await c.request('thread/start', { ephemeral: true });
    // The reading end is gone; stdin stays open (the editor hung instead of closing it).
    c.child.stdout!.destroy();
    c.send({ id: 'after', method: 'model/list', params: {} });
    expect(await c.exited()).toEqual({ code: 0, signal: null });
  });

  it('always ends a turn interrupted right after it starts (10 times)', async () => {
    // A mock of its own: hanging responses stay queued when the interrupt beats the model request.
    const own = await createHarness();
    try {
      const c = await own.start();
      const t = await c.request('thread/start', { cwd: own.workspace });
      for (let i = 0; i < 10; i++) {
        own.mock.enqueue({ output: [{ type: 'text', text: 'never finishes', chunks: 2 }], fault: { hang: true } });
        const turnId = await startTurn(c, t.thread.id, `hang please ${i}`);
        await c.request('turn/interrupt', { threadId: t.thread.id, turnId });
        const done = await turnCompleted(c, turnId);
        expect(done.status).toBe('interrupted');
      }
      // The thread is idle and usable afterwards.
      const err = await rpcError(c.request('turn/interrupt', { threadId: t.thread.id, turnId: 'nope' }));
      expect(err.data.code).toBe('turn_not_active');
      expect(await c.close()).toEqual({ code: 0, signal: null });
    } finally {
      await own.cleanup();
    }
  });
});
