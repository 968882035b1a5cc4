import { describe, expect, it } from 'vitest';
import { deferred } from '../../../src/util/deferred.js';
import { LosslessId, rawIntegerAt, stringifyMessage } from '../../../src/rpc/lossless-id.js';
import { startWire } from './wire.js';

/** Raw output lines (not parsed: parsing would round the very ids under test). */
function rawLines(output: NodeJS.ReadableStream): { lines: string[]; find: (pred: (l: string) => boolean) => Promise<string> } {
  const lines: string[] = [];
  let rest = '';
  const waiters: (() => void)[] = [];
  output.on('data', (chunk: Buffer | string) => {
    const parts = (rest + chunk.toString()).split('\n');
    rest = parts.pop()!;
    lines.push(...parts);
    for (const w of waiters.splice(0)) w();
  });
  const find = async (pred: (l: string) => boolean): Promise<string> => {
    for (;;) {
      const hit = lines.find(pred);
      if (hit !== undefined) return hit;
      await new Promise<void>((r) => waiters.push(r));
    }
  };
  return { lines, find };
}

describe('rawIntegerAt', () => {
  it('finds the literal of a top-level key, skipping nested values and strings that look like keys', () => {
    const text = '{"params":{"id":1,"s":"\\"id\\":5 }]"},"x":[{"id":2}],"id":9007199254740993}';
    expect(rawIntegerAt(text, ['id'])).toBe('9007199254740993');
  });

  it('follows a path and takes the last of duplicate keys, as JSON.parse does', () => {
    expect(rawIntegerAt('{ "params" : { "id" : 1 , "id" : 18446744073709551617 } }', ['params', 'id'])).toBe('18446744073709551617');
  });

  it('reads an escaped key and refuses values that are not integer literals', () => {
    expect(rawIntegerAt('{"\\u0069d":-9007199254740995}', ['id'])).toBe('-9007199254740995');
    expect(rawIntegerAt('{"id":9007199254740993.5}', ['id'])).toBeUndefined();
    expect(rawIntegerAt('{"id":1e300}', ['id'])).toBeUndefined();
    expect(rawIntegerAt('{"id":"9007199254740993"}', ['id'])).toBeUndefined();
    expect(rawIntegerAt('{}', ['id'])).toBeUndefined();
  });
});

describe('stringifyMessage', () => {
  it('writes a lossless id digit for digit and everything else as JSON.stringify does', () => {
    const msg = { jsonrpc: '2.0', id: new LosslessId('9007199254740993'), result: { a: [1, 'x'] }, skipped: undefined };
    expect(stringifyMessage(msg)).toBe('{"jsonrpc":"2.0","id":9007199254740993,"result":{"a":[1,"x"]}}');
    expect(stringifyMessage({ id: 1, x: 'y' })).toBe(JSON.stringify({ id: 1, x: 'y' }));
  });
});

describe('RpcServer with ids beyond 2^53', () => {
  it('echoes each id digit for digit, even two that round to the same number', async () => {
    const wire = startWire((s) => s.setRequestHandler(() => 'ok'));
    const out = rawLines(wire.output);
    wire.sendRaw('{"jsonrpc":"2.0","id":9007199254740993,"method":"a"}\n{"jsonrpc":"2.0","id":9007199254740992,"method":"b"}\n');
    wire.sendRaw('{"jsonrpc":"2.0","id":-18446744073709551617,"method":"c"}\n');
    expect(await out.find((l) => l.includes('9007199254740993'))).toBe('{"jsonrpc":"2.0","id":9007199254740993,"result":"ok"}');
    expect(await out.find((l) => l.includes('9007199254740992'))).toBe('{"jsonrpc":"2.0","id":9007199254740992,"result":"ok"}');
    expect(await out.find((l) => l.includes('18446744073709551617'))).toBe('{"jsonrpc":"2.0","id":-18446744073709551617,"result":"ok"}');
  });

  it('echoes a big id on the error answer to an invalid request', async () => {
    const wire = startWire();
    const out = rawLines(wire.output);
    wire.sendRaw('{"jsonrpc":"2.0","id":9007199254740993,"method":7}\n');
    expect(await out.find((l) => l.includes('"error"'))).toMatch(/^\{"jsonrpc":"2.0","id":9007199254740993,"error":\{"code":-32600/);
  });

  it('cancels the request named by a big id in $/cancelRequest, not its rounded neighbour', async () => {
    const started = { a: deferred<AbortSignal>(), b: deferred<AbortSignal>() };
    const wire = startWire((s) =>
      s.setRequestHandler(async (method, _p, ctx) => {
        started[method as 'a' | 'b'].resolve(ctx.signal);
        await new Promise((r) => ctx.signal.addEventListener('abort', r));
        return 'cancelled';
      }),
    );
    wire.sendRaw('{"id":9007199254740993,"method":"a"}\n{"id":9007199254740992,"method":"b"}\n');
    const [a, b] = [await started.a.promise, await started.b.promise];
    wire.sendRaw('{"method":"$/cancelRequest","params":{"id":9007199254740993}}\n');
    if (!a.aborted) await new Promise((r) => a.addEventListener('abort', r));
    expect(b.aborted).toBe(false);
  });

  it('ignores a client answer with a big id that matches no server request, and keeps serving', async () => {
    const wire = startWire((s) => s.setRequestHandler(() => 'ok'));
    const out = rawLines(wire.output);
    const asked = wire.server.request('ask', {});
    const sent = JSON.parse(await out.find((l) => l.includes('"ask"')));
    wire.sendRaw(`{"jsonrpc":"2.0","id":900719925474099${sent.id},"result":"stray"}\n`);
    wire.sendRaw(`{"jsonrpc":"2.0","id":${sent.id},"result":"mine"}\n{"id":"after","method":"x"}\n`);
    expect(await asked).toBe('mine');
    expect(await out.find((l) => l.includes('"after"'))).toContain('"result":"ok"');
  });
});
