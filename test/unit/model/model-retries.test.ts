import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMockModelServer, type MockModelServer } from '../../../src/mock/index.js';
import { createModelClient } from '../../../src/model/client-factory.js';
import { ModelError, type ModelEvent } from '../../../src/model/types.js';
import { silentLogger } from '../../../src/util/logger.js';
import { clientFor, collect, failureOf, finalAttempt, ofType, settingsFor, userRequest } from './support.js';

let server: MockModelServer;
beforeAll(async () => {
  server = await startMockModelServer();
});
afterAll(async () => {
  await server.close();
});

const ok = { output: [{ type: 'text' as const, text: 'recovered' }] };

function finalText(events: ModelEvent[]): string {
  const done = ofType(finalAttempt(events), 'output_item_done')[0];
  return done?.item.type === 'message' && done.item.content[0]?.type === 'output_text' ? done.item.content[0].text : '';
}

describe.each(['responses', 'chat'] as const)('%s client retries', (wireApi) => {
  it('honours Retry-After on a 429 and then succeeds', async () => {
    server.enqueue({ fault: { status: 429, retryAfter: 0.05 } }, ok);
    const events = await collect(clientFor(server, wireApi).stream(userRequest(), new AbortController().signal));
    const retrying = ofType(events, 'retrying');
    expect(retrying).toHaveLength(1);
    expect(retrying[0]).toMatchObject({ attempt: 1, maxAttempts: 3, delayMs: 50, httpStatus: 429 });
    expect(retrying[0]!.message).toContain('mock error 429');
    expect(finalText(events)).toBe('recovered');
  });

  it('honours retry-after-ms over Retry-After', async () => {
    server.enqueue({ fault: { status: 429, retryAfter: 10 }, headers: { 'retry-after-ms': '30' } }, ok);
    const events = await collect(clientFor(server, wireApi).stream(userRequest(), new AbortController().signal));
    expect(ofType(events, 'retrying')[0]!.delayMs).toBe(30);
  });

  it('retries a 500 with backoff and then succeeds', async () => {
    server.enqueue({ fault: { status: 500 } }, { fault: { status: 502 } }, ok);
    const events = await collect(clientFor(server, wireApi).stream(userRequest(), new AbortController().signal));
    const retrying = ofType(events, 'retrying');
    expect(retrying.map((r) => [r.attempt, r.httpStatus])).toEqual([
      [1, 500],
      [2, 502],
    ]);
    // base 5 ms, ±10% jitter: 4.5–5.5 then 9–11.
    expect(retrying[0]!.delayMs).toBeGreaterThanOrEqual(4);
    expect(retrying[0]!.delayMs).toBeLessThanOrEqual(6);
    expect(retrying[1]!.delayMs).toBeGreaterThanOrEqual(9);
    expect(retrying[1]!.delayMs).toBeLessThanOrEqual(11);
    expect(finalText(events)).toBe('recovered');
  });

  it('fails with the status once request retries are exhausted', async () => {
    const body = { error: { message: 'upstream is on fire', type: 'server_error' } };
    server.enqueue({ fault: { status: 503, body } }, { fault: { status: 503, body } }, { fault: { status: 503, body } });
    const { error, events } = await failureOf(clientFor(server, wireApi, { requestMaxRetries: 2 }).stream(userRequest(), new AbortController().signal));
    expect(ofType(events, 'retrying')).toHaveLength(2);
    expect(error).toBeInstanceOf(ModelError);
    expect(error).toMatchObject({ kind: 'server_error', httpStatus: 503 });
    expect((error as ModelError).message).toContain('upstream is on fire');
  });

  it('fails at once on 401, 404 and 400 with the provider message', async () => {
    const client = clientFor(server, wireApi);
    server.enqueue({ fault: { status: 401, body: { error: { message: 'bad key' } } } });
    let r = await failureOf(client.stream(userRequest(), new AbortController().signal));
    expect(r.error).toMatchObject({ kind: 'unauthorized', httpStatus: 401 });
    expect((r.error as Error).message).toContain('bad key');
    expect(ofType(r.events, 'retrying')).toHaveLength(0);

    server.enqueue({ fault: { status: 404, body: { error: 'model "x" not found' } } });
    r = await failureOf(client.stream(userRequest(), new AbortController().signal));
    expect(r.error).toMatchObject({ kind: 'not_found', httpStatus: 404 });
    expect((r.error as Error).message).toContain('model "x" not found');

    server.enqueue({ fault: { status: 400, body: { error: { message: 'missing field', code: 'invalid_request' } } } });
    r = await failureOf(client.stream(userRequest(), new AbortController().signal));
    expect(r.error).toMatchObject({ kind: 'bad_request', httpStatus: 400 });

    server.enqueue({
      fault: { status: 400, body: { error: { message: "This model's maximum context length is 8192 tokens", code: 'context_length_exceeded' } } },
    });
    r = await failureOf(client.stream(userRequest(), new AbortController().signal));
    expect(r.error).toMatchObject({ kind: 'context_window_exceeded', httpStatus: 400 });
  });

  it('retries a stream that drops mid-way and then succeeds', async () => {
    server.enqueue({ output: [{ type: 'text', text: 'partial answer', chunks: 5 }], fault: { disconnectAfterEvents: 3 } }, ok);
    const events = await collect(clientFor(server, wireApi).stream(userRequest(), new AbortController().signal));
    const retrying = ofType(events, 'retrying');
    expect(retrying).toHaveLength(1);
    expect(retrying[0]!.httpStatus).toBeUndefined();
    expect(retrying[0]!.message).toMatch(/disconnect|closed/);
    // Two `created` events: the consumer discards what came before the retry.
    expect(ofType(events, 'created')).toHaveLength(2);
    expect(finalText(events)).toBe('recovered');
  });

  it('fails with stream_disconnected once stream retries are exhausted', async () => {
    const drop = { output: [{ type: 'text' as const, text: 'abc' }], fault: { disconnectAfterEvents: 1 } };
    server.enqueue(drop, drop);
    const { error, events } = await failureOf(clientFor(server, wireApi, { streamMaxRetries: 1 }).stream(userRequest(), new AbortController().signal));
    expect(ofType(events, 'retrying')).toHaveLength(1);
    expect(error).toMatchObject({ kind: 'stream_disconnected' });
  });

  it('retries when the first byte is slower than the idle timeout', async () => {
    server.enqueue({ output: [{ type: 'text', text: 'late' }], fault: { firstByteDelayMs: 5_000 } }, ok);
    const events = await collect(clientFor(server, wireApi, { streamIdleTimeoutMs: 150 }).stream(userRequest(), new AbortController().signal));
    const retrying = ofType(events, 'retrying');
    expect(retrying).toHaveLength(1);
    expect(retrying[0]!.message).toMatch(/no response headers from the model within 150 ms/);
    expect(finalText(events)).toBe('recovered');
  });

  it('retries a stream that goes idle after the first events', async () => {
    const aborts = server.clientAborts;
    server.enqueue({ output: [{ type: 'text', text: 'stalled answer', chunks: 5 }], fault: { hang: true } }, ok);
    // Long enough that the headers always arrive in time under load: this exercises body idleness.
    const events = await collect(clientFor(server, wireApi, { streamIdleTimeoutMs: 400 }).stream(userRequest(), new AbortController().signal));
    expect(ofType(events, 'retrying')[0]!.message).toMatch(/no data from the model for 400 ms/);
    expect(finalText(events)).toBe('recovered');
    await server.waitForClientAbort(aborts + 1);
  });

  it('aborts a hanging stream at once and the server sees the client go away', async () => {
    const aborts = server.clientAborts;
    server.enqueue({ output: [{ type: 'text', text: 'never finishes', chunks: 5 }], fault: { hang: true } });
    const ctl = new AbortController();
    const iter = clientFor(server, wireApi).stream(userRequest(), ctl.signal)[Symbol.asyncIterator]();
    for (;;) {
      const r = await iter.next();
      if (r.done) throw new Error('stream ended');
      if (r.value.type === 'text_delta') break;
    }
    // The mock stalls right after the first delta, so this read blocks on the socket.
    const pending = iter.next();
    const t0 = performance.now();
    ctl.abort();
    await expect(pending).rejects.toMatchObject({ kind: 'aborted' });
    expect(performance.now() - t0).toBeLessThan(500);
    await server.waitForClientAbort(aborts + 1);
  });

  it('aborts while waiting to retry', async () => {
    server.enqueue({ fault: { status: 429, retryAfter: 30 } });
    const ctl = new AbortController();
    const iter = clientFor(server, wireApi).stream(userRequest(), ctl.signal)[Symbol.asyncIterator]();
    let r = await iter.next();
    while (!r.done && r.value.type !== 'retrying') r = await iter.next();
    expect(r.value).toMatchObject({ type: 'retrying', delayMs: 30_000 });
    const pending = iter.next();
    ctl.abort();
    await expect(pending).rejects.toMatchObject({ kind: 'aborted' });
  });

  it('maps in-stream failures: context length is fatal, rate limits are retried', async () => {
    const client = clientFor(server, wireApi);
    server.enqueue({ fault: { failedEvent: { code: 'context_length_exceeded', message: 'Your input exceeds the context window' } } });
    const r = await failureOf(client.stream(userRequest(), new AbortController().signal));
    expect(r.error).toMatchObject({ kind: 'context_window_exceeded' });
    expect(ofType(r.events, 'retrying')).toHaveLength(0);

    server.enqueue({ fault: { failedEvent: { code: 'rate_limit_exceeded', message: 'Rate limit reached. Please try again in 0.02s.' } } }, ok);
    const events = await collect(client.stream(userRequest(), new AbortController().signal));
    expect(ofType(events, 'retrying')[0]).toMatchObject({ delayMs: 20 });
    expect(finalText(events)).toBe('recovered');

    server.enqueue({ fault: { failedEvent: { code: 'insufficient_quota', message: 'You exceeded your quota' } } });
    const q = await failureOf(client.stream(userRequest(), new AbortController().signal));
    expect(q.error).toMatchObject({ kind: 'usage_limit' });
  });
});

describe('connection failures', () => {
  it('retries a refused connection and then fails with connection_failed', async () => {
    const port = await freePort();
    const settings = { ...settingsFor(server, 'responses', { requestMaxRetries: 2 }), baseUrl: `http://127.0.0.1:${port}/v1` };
    const client = createModelClient(settings, silentLogger(), { backoffBaseMs: 1 });
    const { error, events } = await failureOf(client.stream(userRequest(), new AbortController().signal));
    expect(ofType(events, 'retrying').map((e) => e.attempt)).toEqual([1, 2]);
    expect(error).toMatchObject({ kind: 'connection_failed' });
  });

  it('rejects at once when the signal is already aborted', async () => {
    const ctl = new AbortController();
    ctl.abort();
    const before = server.requests.length;
    const r = await failureOf(clientFor(server, 'chat').stream(userRequest(), ctl.signal));
    expect(r.error).toMatchObject({ kind: 'aborted' });
    expect(server.requests.length).toBe(before);
  });
});

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}
