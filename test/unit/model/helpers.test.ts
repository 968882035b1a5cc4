import { describe, expect, it } from 'vitest';
import { classifyHttpError, classifyStreamError, parseErrorBody } from '../../../src/model/error-mapping.js';
import { parseDuration, parseRateLimits } from '../../../src/model/rate-limits.js';
import { backoffDelayMs, parseRetryAfter, parseRetryHint, RetryableError } from '../../../src/model/retry.js';
import { readSse, type SseEvent } from '../../../src/model/sse.js';
import { ModelError } from '../../../src/model/types.js';

const headers = (h: Record<string, string>) => new Headers(h);

describe('retry helpers', () => {
  it('doubles the backoff per attempt with at most 10% jitter and a cap', () => {
    const opts = { baseMs: 100, capMs: 1_000 };
    expect(backoffDelayMs(0, opts, () => 0.5)).toBe(100);
    expect(backoffDelayMs(2, opts, () => 0.5)).toBe(400);
    expect(backoffDelayMs(2, opts, () => 0)).toBe(360);
    expect(backoffDelayMs(2, opts, () => 0.999999)).toBe(440);
    expect(backoffDelayMs(10, opts, () => 0.5)).toBe(1_000);
  });

  it('reads Retry-After as seconds, fractional seconds or an HTTP date, and prefers retry-after-ms', () => {
    const now = Date.parse('2025-01-01T00:00:00Z');
    expect(parseRetryAfter(headers({ 'retry-after': '3' }), now)).toBe(3_000);
    expect(parseRetryAfter(headers({ 'retry-after': '0.25' }), now)).toBe(250);
    expect(parseRetryAfter(headers({ 'retry-after': 'Wed, 01 Jan 2025 00:00:07 GMT' }), now)).toBe(7_000);
    expect(parseRetryAfter(headers({ 'retry-after': 'Tue, 31 Dec 2024 00:00:00 GMT' }), now)).toBe(0);
    expect(parseRetryAfter(headers({ 'retry-after': '3', 'retry-after-ms': '120' }), now)).toBe(120);
    expect(parseRetryAfter(headers({ 'retry-after': 'soon' }), now)).toBeUndefined();
    expect(parseRetryAfter(headers({}), now)).toBeUndefined();
  });

  it('reads delay hints from provider messages', () => {
    expect(parseRetryHint('Rate limit reached. Please try again in 1.5s.')).toBe(1_500);
    expect(parseRetryHint('try again in 250ms')).toBe(250);
    expect(parseRetryHint('no hint here')).toBeUndefined();
  });
});

describe('rate-limit headers', () => {
  it('parses OpenAI reset durations', () => {
    expect(parseDuration('1s')).toBe(1_000);
    expect(parseDuration('6m0s')).toBe(360_000);
    expect(parseDuration('1h2m3.5s')).toBe(3_723_500);
    expect(parseDuration('20ms')).toBe(20);
    expect(parseDuration('12')).toBe(12_000);
    expect(parseDuration('')).toBeUndefined();
  });

  it('returns nothing without rate-limit headers', () => {
    expect(parseRateLimits(headers({ 'content-type': 'text/event-stream' }))).toBeUndefined();
  });
});

describe('error mapping', () => {
  it('extracts messages from the error bodies of different servers', () => {
    expect(parseErrorBody('{"error":{"message":"m1","code":"c1"}}')).toEqual({ message: 'm1', code: 'c1' });
    expect(parseErrorBody('{"error":"m2"}')).toEqual({ message: 'm2' });
    expect(parseErrorBody('{"object":"error","message":"m3","code":"x"}')).toEqual({ message: 'm3', code: 'x' });
    expect(parseErrorBody('{"detail":"m4"}')).toEqual({ message: 'm4' });
    expect(parseErrorBody('  plain text  ')).toEqual({ message: 'plain text' });
  });

  it('classifies HTTP statuses', () => {
    const h = headers({ 'retry-after': '2' });
    const r429 = classifyHttpError(429, '{"error":{"message":"slow down"}}', h);
    expect(r429).toBeInstanceOf(RetryableError);
    expect(r429).toMatchObject({ kind: 'rate_limited', budget: 'request', httpStatus: 429, retryAfterMs: 2_000 });
    expect(classifyHttpError(429, '{"error":{"message":"quota","code":"insufficient_quota"}}', h)).toMatchObject({ kind: 'usage_limit' });
    expect(classifyHttpError(503, '', h)).toBeInstanceOf(RetryableError);
    expect(classifyHttpError(403, 'nope', h)).toMatchObject({ kind: 'unauthorized', message: 'unauthorized (403): nope' });
    expect(classifyHttpError(413, 'prompt is too long', h)).toMatchObject({ kind: 'context_window_exceeded' });
    expect(classifyHttpError(422, 'weird', h)).toMatchObject({ kind: 'other', httpStatus: 422 });
  });

  it('classifies in-stream failures like Codex: unknown codes are retried', () => {
    expect(classifyStreamError('server_error', 'boom')).toBeInstanceOf(RetryableError);
    expect(classifyStreamError('something_new', 'hm')).toMatchObject({ budget: 'stream' });
    expect(classifyStreamError('invalid_prompt', 'bad')).toBeInstanceOf(ModelError);
  });
});

function bodyOf(chunks: (string | Uint8Array)[], keepOpen = false): ReadableStream<Uint8Array> {
  const enc = new TextEncoder();
  return new ReadableStream<Uint8Array>({
    start(controller) {
      for (const c of chunks) controller.enqueue(typeof c === 'string' ? enc.encode(c) : c);
      if (!keepOpen) controller.close();
    },
  });
}

async function all(body: ReadableStream<Uint8Array>, idleTimeoutMs = 1_000): Promise<SseEvent[]> {
  const out: SseEvent[] = [];
  for await (const ev of readSse(body, { idleTimeoutMs })) out.push({ ...ev });
  return out;
}

describe('readSse', () => {
  it('parses events split across chunks, including split multi-byte characters', async () => {
    const euro = new TextEncoder().encode('€');
    const events = await all(
      bodyOf(['event: a\nda', 'ta: {"x":1}\n', '\n', 'data: ', euro.slice(0, 1), euro.slice(1), '\n\n', ': comment\n\ndata: [DONE]\n\n']),
    );
    expect(events).toEqual([
      { event: 'a', data: '{"x":1}' },
      { event: '', data: '€' },
      { event: '', data: '[DONE]' },
    ]);
  });

  it('delivers a last event that lacks its blank line when the body ends', async () => {
    expect(await all(bodyOf(['data: tail']))).toEqual([{ event: '', data: 'tail' }]);
  });

  it('fails with stream_idle_timeout when no bytes arrive', async () => {
    const err = await all(bodyOf(['data: 1\n\n'], true), 30).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ModelError);
    expect(err).toMatchObject({ kind: 'stream_idle_timeout' });
  });
});
