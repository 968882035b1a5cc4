import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { Message } from 'vscode-jsonrpc';
import { NdjsonMessageWriter } from '../../../src/rpc/index.js';

const note = (n: number, pad = 0): Message => ({ jsonrpc: '2.0', method: 'n', params: { n, pad: 'x'.repeat(pad) } }) as Message;

/**
 * A client that has stopped reading: it accepts `highWaterMark` bytes and then holds every write
 * until `resume()`. Records the size of each chunk it was handed.
 */
function stalledConsumer(highWaterMark = 1024) {
  const chunks: string[] = [];
  let held: (() => void)[] = [];
  let reading = false;
  const stream = new Writable({
    highWaterMark,
    decodeStrings: false,
    write(chunk: string, _enc, cb) {
      chunks.push(chunk);
      if (reading) setImmediate(cb);
      else held.push(cb);
    },
  });
  return {
    stream,
    chunks,
    resume(): void {
      reading = true;
      const cbs = held;
      held = [];
      for (const cb of cbs) cb();
    },
    lines: (): any[] => chunks.join('').trimEnd().split('\n').map((l) => JSON.parse(l)),
  };
}

const turn = () => new Promise((r) => setImmediate(r));

describe('the outgoing byte budget', () => {
  it('is ready while the client keeps up and full once a stalled client holds the budget', async () => {
    const client = stalledConsumer();
    const w = new NdjsonMessageWriter(client.stream, { budgetBytes: 64 * 1024 });
    expect(w.flow.ready()).toBe(true);
    let n = 0;
    while (w.flow.ready()) {
      void w.write(note(n++, 500));
      if (n % 10 === 0) await turn();
    }
    // Stopped near the budget: the producer saw "full" rather than queueing without end.
    expect(w.pendingBytes).toBeGreaterThanOrEqual(64 * 1024);
    expect(w.pendingBytes).toBeLessThan(64 * 1024 + 600);
    let woke = false;
    const wait = w.flow.whenReady().then(() => (woke = true));
    await turn();
    expect(woke).toBe(false);
    client.resume();
    await wait;
    expect(w.flow.ready()).toBe(true);
    await w.flushed();
    await turn();
    expect(client.lines().map((l) => l.params.n)).toEqual([...Array(n).keys()]);
  });

  it('never refuses a write: a line larger than the whole budget goes out whole', async () => {
    const client = stalledConsumer();
    client.resume();
    const w = new NdjsonMessageWriter(client.stream, { budgetBytes: 1024, maxBatchBytes: 512 });
    const big = note(1, 10_000);
    await Promise.all([w.write(note(0)), w.write(big), w.write(note(2))]);
    expect(client.lines().map((l) => l.params.n)).toEqual([0, 1, 2]);
    expect(client.lines()[1].params.pad).toHaveLength(10_000);
  });

  it('hands the stream batches no larger than the batch cap, never one giant string', async () => {
    const client = stalledConsumer();
    client.resume();
    const w = new NdjsonMessageWriter(client.stream, { maxBatchBytes: 8 * 1024 });
    const writes = [];
    for (let i = 0; i < 2000; i++) writes.push(w.write(note(i, 100)));
    await Promise.all(writes);
    expect(client.lines()).toHaveLength(2000);
    expect(Math.max(...client.chunks.map((c) => c.length))).toBeLessThanOrEqual(8 * 1024);
  });

  it('lets waiting producers go when the output closes, so nothing waits forever', async () => {
    const client = stalledConsumer();
    const w = new NdjsonMessageWriter(client.stream, { budgetBytes: 4 * 1024 });
    for (let i = 0; i < 50; i++) w.write(note(i, 200)).catch(() => {});
    await turn();
    expect(w.flow.ready()).toBe(false);
    const wait = w.flow.whenReady();
    client.stream.destroy();
    await wait;
    expect(w.flow.ready()).toBe(true);
  });

  it('sends notifications without a promise each, in order with awaited writes, and reports failures through onError', async () => {
    const client = stalledConsumer();
    client.resume();
    const w = new NdjsonMessageWriter(client.stream);
    w.send(note(0));
    const awaited = w.write(note(1));
    w.send(note(2));
    await awaited;
    await w.flushed();
    expect(client.lines().map((l) => l.params.n)).toEqual([0, 1, 2]);
    const errors: unknown[] = [];
    w.onError((e) => errors.push(e));
    client.stream.destroy();
    w.send(note(3));
    await w.flushed();
    expect(errors).toHaveLength(1);
  });
});
