import { PassThrough, Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { Message } from 'vscode-jsonrpc';
import { NdjsonMessageWriter } from '../../../src/rpc/index.js';
import { LineCollector } from './wire.js';

const note = (n: number): Message => ({ jsonrpc: '2.0', method: 'n', params: { n } }) as Message;

/**
 * A consumer that takes one chunk per event-loop turn and never holds more than
 * `highWaterMark` bytes; `maxBuffered` records the most it was ever asked to hold.
 */
function slowConsumer(highWaterMark: number) {
  const chunks: string[] = [];
  let maxBuffered = 0;
  const stream = new Writable({
    highWaterMark,
    write(chunk: Buffer, _enc, cb) {
      chunks.push(chunk.toString());
      setImmediate(cb);
    },
  });
  const origWrite = stream.write.bind(stream) as (chunk: string, cb?: (err?: Error | null) => void) => boolean;
  stream.write = ((chunk: string, cb?: (err?: Error | null) => void) => {
    maxBuffered = Math.max(maxBuffered, stream.writableLength);
    return origWrite(chunk, cb);
  }) as typeof stream.write;
  return { stream, chunks, maxBuffered: () => maxBuffered };
}

describe('NdjsonMessageWriter', () => {
  it('writes a line of megabytes in pieces that keep every character whole, then resolves', async () => {
    const writes: string[] = [];
    const stream = new Writable({
      decodeStrings: false,
      write(chunk: string, _enc, cb) {
        writes.push(chunk);
        cb();
      },
    });
    const writer = new NdjsonMessageWriter(stream);
    // Surrogate pairs everywhere, so some piece boundary falls on one.
    const text = `a${'😀é'.repeat(400_000)}`;
    await writer.write({ jsonrpc: '2.0', method: 'big', params: { text } } as Message);
    expect(writes.length).toBeGreaterThan(10);
    for (const w of writes) expect(/^[\udc00-\udfff]|[\ud800-\udbff]$/.test(w)).toBe(false);
    expect(JSON.parse(writes.join('')).params.text).toBe(text);
  });

  it('delivers every message in order to a slow consumer, waiting for drain', async () => {
    const consumer = slowConsumer(64);
    const writer = new NdjsonMessageWriter(consumer.stream);
    const writes = Array.from({ length: 300 }, (_, i) => writer.write(note(i)));
    await Promise.all(writes);
    const lines = consumer.chunks.join('').trimEnd().split('\n').map((l) => JSON.parse(l));
    expect(lines.map((l) => l.params.n)).toEqual(Array.from({ length: 300 }, (_, i) => i));
    // Had it ignored backpressure, all 300 lines would have piled up in the stream's buffer.
    expect(consumer.maxBuffered()).toBeLessThan(64 + 100);
  });

  it('keeps writeRaw lines in order with messages', async () => {
    const out = new PassThrough();
    const lines = new LineCollector(out);
    const writer = new NdjsonMessageWriter(out);
    void writer.write(note(1));
    void writer.writeRaw({ jsonrpc: '2.0', id: null, error: { code: -32700, message: 'x' } });
    await writer.write(note(2));
    expect((await lines.waitFor(3)).map((l) => l.params?.n ?? l.id)).toEqual([1, null, 2]);
  });

  it('rejects only the write that cannot be serialised, fires onError, and writes the next', async () => {
    const out = new PassThrough();
    const lines = new LineCollector(out);
    const writer = new NdjsonMessageWriter(out);
    const errors: Error[] = [];
    writer.onError(([e]) => errors.push(e));
    const bad = writer.write({ jsonrpc: '2.0', method: 'bad', params: { n: 1n } } as unknown as Message);
    const good = writer.write(note(2));
    await expect(bad).rejects.toThrow(/BigInt/);
    await good;
    expect(await lines.waitFor(1)).toEqual([{ jsonrpc: '2.0', method: 'n', params: { n: 2 } }]);
    expect(errors).toHaveLength(1);
  });

  it('rejects each write after the stream fails instead of stalling', async () => {
    const stream = new Writable({
      highWaterMark: 1,
      write(_chunk, _enc, cb) {
        cb(new Error('EPIPE'));
      },
    });
    const writer = new NdjsonMessageWriter(stream);
    const errors: Error[] = [];
    writer.onError(([e]) => errors.push(e));
    const results = await Promise.allSettled([writer.write(note(1)), writer.write(note(2)), writer.write(note(3))]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected', 'rejected']);
    await expect(writer.write(note(4))).rejects.toThrow();
    expect(errors.length).toBeGreaterThan(0);
  });
});
