import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { deferred } from '../../../src/util/deferred.js';
import { ConnectionClosedError, RpcError, RpcServer } from '../../../src/rpc/index.js';
import { silentLogger } from '../../../src/util/logger.js';
import { LineCollector, startWire } from './wire.js';

const echo = { method: 'echo' };

/** A server whose handler answers `echo` with its params. */
function echoWire(opts = {}) {
  return startWire((s) => s.setRequestHandler((_m, params) => ({ echoed: params ?? null })), opts);
}

describe('RpcServer framing', () => {
  it('decodes a UTF-8 character split across two chunks', async () => {
    const wire = echoWire();
    const bytes = Buffer.from(`${JSON.stringify({ id: 1, ...echo, params: { s: 'héllo 😀' } })}\n`);
    const cut = bytes.indexOf(Buffer.from('😀')) + 2;
    wire.sendRaw(bytes.subarray(0, cut));
    wire.sendRaw(bytes.subarray(cut));
    expect((await wire.response(1)).result).toEqual({ echoed: { s: 'héllo 😀' } });
  });

  it('accepts CRLF line endings and ignores blank lines', async () => {
    const wire = echoWire();
    wire.sendRaw('\r\n\n{"jsonrpc":"2.0","id":1,"method":"echo","params":{"a":1}}\r\n\r\n');
    expect((await wire.response(1)).result).toEqual({ echoed: { a: 1 } });
  });

  it('answers a request that omits jsonrpc, with jsonrpc 2.0', async () => {
    const wire = echoWire();
    wire.sendRaw('{"id":"a","method":"echo"}\n');
    expect(await wire.response('a')).toEqual({ jsonrpc: '2.0', id: 'a', result: { echoed: null } });
  });

  it('answers a malformed line with -32700 and id null, then answers the next request', async () => {
    const wire = echoWire();
    wire.sendRaw('{"id":1,"method":\n');
    wire.send({ id: 2, ...echo });
    const err = await wire.response(null);
    expect(err.error).toMatchObject({ code: -32700, data: { code: 'parse_error' } });
    expect((await wire.response(2)).result).toEqual({ echoed: null });
  });

  it('replaces invalid UTF-8 bytes with U+FFFD instead of failing', async () => {
    const wire = echoWire();
    const head = Buffer.from('{"id":1,"method":"echo","params":{"s":"a');
    const tail = Buffer.from('b"}}\n');
    wire.sendRaw(Buffer.concat([head, Buffer.from([0xff, 0xc3]), tail]));
    expect((await wire.response(1)).result).toEqual({ echoed: { s: 'a\uFFFD\uFFFDb' } });
  });

  it('answers a request carrying a 20 MB string', async () => {
    const wire = startWire((s) =>
      s.setRequestHandler((_m, params) => ({ length: (params as { s: string }).s.length })),
    );
    const big = 'x'.repeat(20 * 1024 * 1024);
    const started = Date.now();
    wire.send({ id: 1, method: 'big', params: { s: big } });
    expect((await wire.response(1)).result).toEqual({ length: big.length });
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('rejects a line over the configured limit and answers the following line', async () => {
    const wire = echoWire({ maxLineBytes: 1024 });
    const long = JSON.stringify({ id: 1, method: 'echo', params: { s: 'y'.repeat(3000) } });
    wire.sendRaw(long.slice(0, 500));
    wire.sendRaw(long.slice(500, 2000));
    wire.sendRaw(`${long.slice(2000)}\n{"id":2,"method":"echo"}\n`);
    const err = await wire.response(null);
    expect(err.error).toMatchObject({ code: -32700, data: { code: 'line_too_large' } });
    expect((await wire.response(2)).result).toEqual({ echoed: null });
    expect(wire.out.lines.filter((l) => l.id === 1)).toEqual([]);
  });

  it('answers a 100000-deep nested request with -32600 too_deep and keeps serving', async () => {
    const wire = echoWire();
    const depth = 100_000;
    wire.sendRaw(`{"id":1,"method":"x","params":${'['.repeat(depth)}${']'.repeat(depth)}}\n`);
    wire.send({ id: 2, ...echo });
    const err = await wire.response(1);
    expect(err.error).toMatchObject({ code: -32600, data: { code: 'too_deep' } });
    expect((await wire.response(2)).result).toEqual({ echoed: null });
  });

  it('answers a JSON array (batch) with -32600', async () => {
    const wire = echoWire();
    wire.sendRaw('[{"id":1,"method":"echo"}]\n');
    expect((await wire.response(null)).error).toMatchObject({ code: -32600 });
  });

  it('answers a request whose params are a primitive with -32600 and its id', async () => {
    const wire = echoWire();
    wire.sendRaw('{"id":7,"method":"echo","params":5}\n');
    expect((await wire.response(7)).error).toMatchObject({
      code: -32600,
      data: { code: 'invalid_request' },
    });
  });

  it('passes absent and null params to the handler as undefined', async () => {
    const seen: unknown[] = [];
    const wire = startWire((s) => s.setRequestHandler((_m, p) => void seen.push(p)));
    wire.send({ id: 1, method: 'a' }, { id: 2, method: 'b', params: null });
    expect((await wire.response(1)).result).toBeNull();
    expect((await wire.response(2)).result).toBeNull();
    expect(seen).toEqual([undefined, undefined]);
  });

  it('answers requests with ids 1 and "1" sent together, each under its own id', async () => {
    const wire = echoWire();
    wire.send({ id: 1, ...echo, params: { n: 'number' } }, { id: '1', ...echo, params: { n: 'string' } });
    expect((await wire.response(1)).result).toEqual({ echoed: { n: 'number' } });
    expect((await wire.response('1')).result).toEqual({ echoed: { n: 'string' } });
  });

  it('ignores a response with an unknown id and keeps serving', async () => {
    const wire = echoWire();
    wire.send({ id: 999, result: {} }, { id: 1000, error: { code: 1, message: 'x' } }, { id: 1, ...echo });
    expect((await wire.response(1)).result).toEqual({ echoed: null });
    expect(wire.out.lines).toHaveLength(1);
  });
});

describe('RpcServer under load', () => {
  it('answers all of 1000 requests sent in one write, some with -32001 when overloaded', async () => {
    const gate = deferred<void>();
    const maxInFlight = 10;
    const wire = startWire(
      (s) =>
        s.setRequestHandler(async (_m, params) => {
          await gate.promise;
          return params;
        }),
      { maxInFlight },
    );
    const n = 1000;
    wire.sendRaw(
      Array.from({ length: n }, (_, i) => `{"id":${i},"method":"slow","params":{"i":${i}}}\n`).join(''),
    );
    await wire.out.waitFor(n - maxInFlight);
    gate.resolve();
    const lines = await wire.out.waitFor(n);
    expect(lines).toHaveLength(n);
    expect(new Set(lines.map((l) => l.id))).toEqual(new Set(Array.from({ length: n }, (_, i) => i)));
    const overloaded = lines.filter((l) => l.error?.code === -32001);
    expect(overloaded).toHaveLength(n - maxInFlight);
    expect(overloaded[0].error.data).toEqual({ code: 'overloaded', retryable: true });
    const results = lines.filter((l) => 'result' in l);
    expect(results.map((l) => l.result.i)).toEqual(results.map((l) => l.id));
  });
});

describe('RpcServer error mapping', () => {
  const wire = () =>
    startWire((s) =>
      s.setRequestHandler((method) => {
        if (method === 'app') throw RpcError.app(-32010, 'thread_not_found', 'no thread', { threadId: 't' });
        if (method === 'zod') z.object({ input: z.array(z.object({ text: z.string() })) }).parse({ input: [{ text: 1 }] });
        if (method === 'boom') throw new Error('kaput');
        if (method === 'bigint') return { n: 1n };
        throw RpcError.methodNotFound(method);
      }),
    );

  it('sends an RpcError with its code, message and data', async () => {
    const w = wire();
    w.send({ id: 1, method: 'app' });
    expect((await w.response(1)).error).toEqual({
      code: -32010,
      message: 'no thread',
      data: { code: 'thread_not_found', threadId: 't' },
    });
  });

  it('sends a ZodError as -32602 with the failing path', async () => {
    const w = wire();
    w.send({ id: 1, method: 'zod' });
    const { error } = await w.response(1);
    expect(error.code).toBe(-32602);
    expect(error.message).toContain('input[0].text');
    expect(error.data.code).toBe('invalid_params');
    expect(error.data.issues[0].path).toBe('input[0].text');
  });

  it('sends any other Error as -32603 and keeps serving', async () => {
    const w = wire();
    w.send({ id: 1, method: 'boom' }, { id: 2, method: 'nope' });
    expect((await w.response(1)).error).toMatchObject({ code: -32603, data: { code: 'internal_error' } });
    expect((await w.response(2)).error).toMatchObject({ code: -32601, data: { code: 'method_not_found' } });
  });

  it('sends -32603 when a result cannot be serialised', async () => {
    const w = wire();
    w.send({ id: 1, method: 'bigint' });
    expect((await w.response(1)).error).toMatchObject({ code: -32603 });
  });

  it('answers -32601 when no request handler is set', async () => {
    const w = startWire();
    w.send({ id: 1, method: 'anything' });
    expect((await w.response(1)).error.code).toBe(-32601);
  });
});

describe('RpcServer messaging', () => {
  it('writes notifications and responses in the order they were issued', async () => {
    const wire = startWire((s) =>
      s.setRequestHandler((method) => {
        s.notify('before', { method });
        s.notify('also/before', undefined);
        return 'done';
      }),
    );
    wire.server.notify('first', { n: 0 });
    wire.send({ id: 1, method: 'work' });
    await wire.response(1);
    expect(wire.out.lines).toEqual([
      { jsonrpc: '2.0', method: 'first', params: { n: 0 } },
      { jsonrpc: '2.0', method: 'before', params: { method: 'work' } },
      { jsonrpc: '2.0', method: 'also/before' },
      { jsonrpc: '2.0', id: 1, result: 'done' },
    ]);
  });

  it('delivers client notifications and survives a notification handler that rejects', async () => {
    const got: [string, unknown][] = [];
    const wire = startWire((s) => {
      s.setNotificationHandler(async (method, params) => {
        got.push([method, params]);
        throw new Error('ignored');
      });
      s.setRequestHandler(() => 'ok');
    });
    wire.send({ method: 'initialized' }, { method: 'note', params: { a: 1 } }, { id: 1, method: 'ping' });
    await wire.response(1);
    expect(got).toEqual([
      ['initialized', undefined],
      ['note', { a: 1 }],
    ]);
  });

  it('completes a server-to-client request when the client answers', async () => {
    const wire = startWire();
    const pending = wire.server.request('item/commandExecution/requestApproval', { itemId: 'i' });
    const req = await wire.out.find((l) => l.method === 'item/commandExecution/requestApproval');
    expect(req.params).toEqual({ itemId: 'i' });
    wire.send({ id: req.id, result: { decision: 'accept' } });
    await expect(pending).resolves.toEqual({ decision: 'accept' });
  });

  it('rejects a server-to-client request with the client error response', async () => {
    const wire = startWire();
    const pending = wire.server.request('ask', {});
    const req = await wire.out.find((l) => l.method === 'ask');
    wire.send({ id: req.id, error: { code: -1, message: 'nope' } });
    await expect(pending).rejects.toMatchObject({ code: -1, message: 'nope' });
  });

  it('rejects a pending server-to-client request when the input ends', async () => {
    const wire = startWire();
    const closed = deferred<void>();
    wire.server.onClose(() => closed.resolve());
    const pending = wire.server.request('ask', {});
    wire.input.end();
    await expect(pending).rejects.toBeInstanceOf(ConnectionClosedError);
    await closed.promise;
    await expect(wire.server.request('again', {})).rejects.toBeInstanceOf(ConnectionClosedError);
  });

  it('rejects a server-to-client request when its signal aborts and tells the client', async () => {
    const wire = startWire();
    const abort = new AbortController();
    const pending = wire.server.request('ask', {}, abort.signal);
    const req = await wire.out.find((l) => l.method === 'ask');
    abort.abort(new Error('gave up'));
    await expect(pending).rejects.toThrow('gave up');
    const cancel = await wire.out.find((l) => l.method === '$/cancelRequest');
    expect(cancel.params).toEqual({ id: req.id });
  });

  it('aborts ctx.signal when the client sends $/cancelRequest', async () => {
    const started = deferred<void>();
    const wire = startWire((s) =>
      s.setRequestHandler(async (_m, _p, { signal }) => {
        started.resolve();
        await new Promise((resolve) => signal.addEventListener('abort', resolve));
        return { cancelled: signal.aborted };
      }),
    );
    wire.send({ id: 'r1', method: 'long' });
    await started.promise;
    wire.send({ method: '$/cancelRequest', params: { id: 'r1' } });
    expect((await wire.response('r1')).result).toEqual({ cancelled: true });
  });

  it('ignores a $/cancelRequest without params or for an unknown id', async () => {
    const wire = echoWire();
    wire.send({ method: '$/cancelRequest' }, { method: '$/cancelRequest', params: { id: 42 } }, { id: 1, ...echo });
    expect((await wire.response(1)).result).toEqual({ echoed: null });
  });
});

/** Yields to the event loop until `cond` holds (false after `turns` turns, so a test never hangs). */
async function until(cond: () => boolean, turns = 20000): Promise<boolean> {
  for (let i = 0; i < turns; i++) {
    if (cond()) return true;
    await new Promise((r) => setImmediate(r));
  }
  return cond();
}

describe('RpcServer input back-pressure', () => {
  it('stops reading a client that writes requests without reading the answers, and answers them all once it reads', async () => {
    const input = new PassThrough();
    const output = new PassThrough();
    const server = new RpcServer({ input, output, logger: silentLogger(), outputBudgetBytes: 16 * 1024 });
    server.setRequestHandler((_m, params) => ({ echoed: params ?? null }));
    server.listen();
    const n = 20_000;
    for (let i = 0; i < n; i += 100) {
      input.write(Array.from({ length: 100 }, (_, j) => `{"id":${i + j},"method":"echo","params":{"i":${i + j}}}\n`).join(''));
    }
    // The output is never read: the server must stop taking input instead of queueing answers.
    expect(await until(() => input.isPaused() && !server.flow.ready())).toBe(true);
    expect(input.readableLength).toBeGreaterThan(0);
    const out = new LineCollector(output);
    const lines = await out.waitFor(n);
    expect(new Set(lines.map((l) => l.id)).size).toBe(n);
    expect(lines.every((l) => l.result?.echoed?.i === l.id)).toBe(true);
  });

  it('stops reading a flood of notifications it cannot handle as fast, then handles every one', async () => {
    const input = new PassThrough();
    const output = new PassThrough();
    const server = new RpcServer({ input, output, logger: silentLogger() });
    let handled = 0;
    server.setNotificationHandler(() => void handled++);
    server.listen();
    const n = 20_000;
    for (let i = 0; i < n; i += 100) input.write('{"method":"ping"}\n'.repeat(100));
    expect(await until(() => input.isPaused())).toBe(true);
    expect(input.readableLength).toBeGreaterThan(0);
    expect(await until(() => handled === n, 200_000)).toBe(true);
  });
});
