import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, type Harness } from '../support/harness.js';
import { rpcError } from '../support/wire.js';

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(async () => {
  await h.cleanup();
});

describe('the app-server handshake and error contract', () => {
  it('refuses requests before initialize, answers initialize once, and refuses a second one', async () => {
    const c = h.spawn();
    const before = await rpcError(c.request('thread/list', {}));
    expect(before.code).toBe(-32600);
    expect(before.data.code).toBe('not_initialized');
    const init = await c.initialize({ name: 'test', version: '1' });
    expect(init.userAgent).toMatch(/^agentd\//);
    expect(init.codexHome).toBe(h.home);
    const again = await rpcError(c.request('initialize', { clientInfo: { name: 'x', version: '1' } }));
    expect(again.code).toBe(-32600);
    expect(again.data.code).toBe('already_initialized');
    await c.close();
  });

  it('maps unknown methods, invalid params and malformed lines to their errors and keeps serving', async () => {
    const c = await h.start();
    const unknown = await rpcError(c.request('no/such/method', {}));
    expect(unknown.code).toBe(-32601);
    expect(unknown.data.code).toBe('method_not_found');

    const invalid = await rpcError(c.request('turn/start', { threadId: 'x', input: [{ type: 'text', text: 42 }] }));
    expect(invalid.code).toBe(-32602);
    expect(invalid.data.code).toBe('invalid_params');
    expect(JSON.stringify(invalid.data)).toContain('input');

    const from = c.messages.length;
    c.writeRaw('{"id": 5, "method": \n');
    const parseErr = await c.waitFor((m) => m.error?.code === -32700, from);
    expect(parseErr.id).toBeNull();
    expect(parseErr.error!.data.code).toBe('parse_error');

    const missing = await rpcError(c.request('thread/read', { threadId: 'does-not-exist' }));
    expect(missing.data.code).toBe('thread_not_found');
    const cursor = await rpcError(c.request('thread/list', { cursor: 'not-a-cursor' }));
    expect(cursor.code).toBe(-32602);
    expect(cursor.data.code).toBe('invalid_cursor');
    const empty = await rpcError(c.request('turn/start', { threadId: (await c.request('thread/start', { ephemeral: true })).thread.id, input: [] }));
    expect(empty.code).toBe(-32602);
    expect(empty.data.code).toBe('invalid_input');
    // Still alive and serving.
    const list = await c.request('thread/list', {});
    expect(list.data).toEqual([]);
    await c.close();
  });

  it('accepts requests without the jsonrpc field and echoes string ids', async () => {
    const c = await h.start();
    const from = c.messages.length;
    c.writeRaw('{"id":"abc","method":"thread/loaded/list","params":{}}\n');
    const res = await c.waitFor((m) => m.id === 'abc', from);
    expect(res.result).toEqual({ data: [], nextCursor: null });
    await c.close();
  });

  it('suppresses notifications the client opted out of', async () => {
    const c = h.spawn();
    await c.initialize({ name: 't', version: '1' }, { optOutNotificationMethods: ['item/agentMessage/delta', 'thread/started'] });
    const t = await c.request('thread/start', { ephemeral: true });
    const turn = await c.request('turn/start', { threadId: t.thread.id, input: [{ type: 'text', text: 'hi' }] });
    await c.waitForNotification('turn/completed', (p) => p.turn.id === turn.turn.id);
    expect(c.notifications('item/agentMessage/delta')).toHaveLength(0);
    expect(c.notifications('thread/started')).toHaveLength(0);
    expect(c.notifications('item/completed').length).toBeGreaterThan(0);
    await c.close();
  });
});

describe('the first line of a session', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness();
  });
  afterAll(async () => {
    await h.cleanup();
  });

  it('gets the same validation as any request when it is a malformed initialize', async () => {
    const c = h.spawn();
    const err = await rpcError(c.request('initialize', { clientInfo: { name: 'x' } }));
    expect(err.code).toBe(-32602);
    expect(JSON.stringify(err.data)).toContain('clientInfo');
    // The connection is still not initialized; a correct initialize then works.
    const init = await c.initialize();
    expect(init.codexHome).toBe(h.home);
    await c.close();
  });

  it('answers initialize and a pipelined request sent in the same write', async () => {
    const c = h.spawn();
    const from = c.messages.length;
    c.writeRaw(
      '{"id":1,"method":"initialize","params":{"clientInfo":{"name":"x","version":"1"}}}\n{"method":"initialized"}\n{"id":2,"method":"thread/loaded/list","params":{}}\n',
    );
    const second = await c.waitFor((m) => m.id === 2, from);
    expect(second.result).toEqual({ data: [], nextCursor: null });
    expect(c.messages.find((m) => m.id === 1)!.result.userAgent).toMatch(/^agentd\//);
    await c.close();
  });
});
