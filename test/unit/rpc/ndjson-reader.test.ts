import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { Message } from 'vscode-jsonrpc';
import { NdjsonMessageReader, type InvalidLineInfo } from '../../../src/rpc/index.js';
import { deferred } from '../../../src/util/deferred.js';

/** A listening reader over a PassThrough, recording messages and refused lines. */
function readerOn(opts: { maxLineBytes?: number; maxDepth?: number } = {}) {
  const input = new PassThrough();
  const messages: Message[] = [];
  const invalid: InvalidLineInfo[] = [];
  const errors: Error[] = [];
  const closed = deferred<void>();
  const reader = new NdjsonMessageReader(input, { ...opts, onInvalidLine: (i) => invalid.push(i) });
  reader.onError((e) => errors.push(e));
  reader.onClose(() => closed.resolve());
  reader.listen((m) => messages.push(m));
  /** Writes the chunks, ends the stream, and waits for the reader to close. */
  const feed = async (...chunks: (string | Buffer)[]) => {
    for (const c of chunks) input.write(c);
    input.end();
    await closed.promise;
  };
  return { input, reader, messages, invalid, errors, feed };
}

describe('NdjsonMessageReader', () => {
  it('delivers a burst of 1000 lines in one chunk, in order', async () => {
    const r = readerOn();
    const burst = Array.from({ length: 1000 }, (_, i) => `{"id":${i},"method":"m"}\n`).join('');
    await r.feed(burst);
    expect(r.messages.map((m) => (m as unknown as { id: number }).id)).toEqual(
      Array.from({ length: 1000 }, (_, i) => i),
    );
  });

  it('reads a line split over many chunks and a last line without a newline', async () => {
    const r = readerOn();
    const line = '{"id":1,"method":"split","params":{"s":"abcdef"}}\n{"method":"last"}';
    await r.feed(...line.split(''));
    expect(r.messages).toEqual([
      { jsonrpc: '2.0', id: 1, method: 'split', params: { s: 'abcdef' } },
      { jsonrpc: '2.0', method: 'last' },
    ]);
  });

  it('passes responses from the client through', async () => {
    const r = readerOn();
    await r.feed('{"id":3,"result":{"decision":"accept"}}\n{"id":4,"error":{"code":1,"message":"m"}}\n');
    expect(r.messages).toHaveLength(2);
    expect(r.invalid).toEqual([]);
  });

  it.each([
    ['not JSON', 'nope', { kind: 'parse', id: null }],
    ['a number', '42', { kind: 'invalid_request', id: null }],
    ['an object with neither method nor id', '{"x":1}', { kind: 'invalid_request', id: null }],
    ['an id without result or error', '{"id":5}', { kind: 'invalid_request', id: 5 }],
    ['a method that is not a string', '{"id":"a","method":3}', { kind: 'invalid_request', id: 'a' }],
    ['an object id', '{"id":{},"method":"m"}', { kind: 'invalid_request', id: null }],
    ['a null id on a request', '{"id":null,"method":"m"}', { kind: 'invalid_request', id: null }],
    ['a wrong jsonrpc version', '{"jsonrpc":"1.0","id":2,"method":"m"}', { kind: 'invalid_request', id: 2 }],
  ])('reports %s as an invalid line and reads on', async (_name, line, expected) => {
    const r = readerOn();
    await r.feed(`${line}\n{"method":"after"}\n`);
    expect(r.invalid).toEqual([expect.objectContaining(expected)]);
    expect(r.messages).toEqual([{ jsonrpc: '2.0', method: 'after' }]);
    expect(r.errors).toEqual([]);
  });

  it('reports an over-long line once while it streams and reads the next line normally', async () => {
    const r = readerOn({ maxLineBytes: 100 });
    const chunk = 'z'.repeat(64);
    await r.feed(...Array.from({ length: 50 }, () => chunk), '\n{"method":"next"}\n');
    expect(r.invalid).toEqual([expect.objectContaining({ kind: 'too_large', id: null })]);
    expect(r.messages).toEqual([{ jsonrpc: '2.0', method: 'next' }]);
  });

  it('accepts a line of exactly the limit, CRLF or not, and refuses one byte more', async () => {
    const line = '{"method":"m"}';
    const r = readerOn({ maxLineBytes: Buffer.byteLength(line) });
    await r.feed(`${line}\r\n${line}\n${line} \n`);
    expect(r.messages).toHaveLength(2);
    expect(r.invalid).toEqual([expect.objectContaining({ kind: 'too_large' })]);
  });

  it('refuses nesting deeper than the limit with the request id, but not brackets inside strings', async () => {
    const r = readerOn({ maxDepth: 3 });
    await r.feed(
      '{"id":1,"method":"m","params":[[[1]]]}\n',
      `{"id":2,"method":"m","params":{"s":"${'['.repeat(50)}"}}\n`,
    );
    expect(r.invalid).toEqual([expect.objectContaining({ kind: 'too_deep', id: 1 })]);
    expect(r.messages).toHaveLength(1);
  });

  it('survives a callback that throws, reporting it on the error event', async () => {
    const input = new PassThrough();
    const reader = new NdjsonMessageReader(input);
    const errors: Error[] = [];
    const seen: Message[] = [];
    reader.onError((e) => errors.push(e));
    reader.listen((m) => {
      seen.push(m);
      if (seen.length === 1) throw new Error('handler bug');
    });
    const closed = deferred<void>();
    reader.onClose(() => closed.resolve());
    input.end('{"method":"a"}\n{"method":"b"}\n');
    await closed.promise;
    expect(seen).toHaveLength(2);
    expect(errors.map((e) => e.message)).toEqual(['handler bug']);
  });

  it('closes on a stream error after reporting it', async () => {
    const r = readerOn();
    const closed = deferred<void>();
    r.reader.onClose(() => closed.resolve());
    r.input.destroy(new Error('stdin broke'));
    await closed.promise;
    expect(r.errors.map((e) => e.message)).toEqual(['stdin broke']);
  });
});
