import { describe, expect, it } from 'vitest';
import { readSseBatches } from '../../../src/model/sse.js';

describe('the SSE idle timeout', () => {
  it('does not count the time the consumer spends holding a batch (a client that stopped reading)', async () => {
    const enc = new TextEncoder();
    let second!: () => void;
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(enc.encode('data: one\n\n'));
        second = () => {
          controller.enqueue(enc.encode('data: two\n\n'));
          controller.close();
        };
      },
    });
    const seen: string[] = [];
    for await (const batch of readSseBatches(body, { idleTimeoutMs: 50 })) {
      for (const ev of batch) seen.push(ev.data);
      if (seen.length === 1) {
        // The consumer is held up three idle periods (back-pressure), then the model sends more.
        await new Promise((r) => setTimeout(r, 150));
        second();
      }
    }
    expect(seen).toEqual(['one', 'two']);
  });
});
