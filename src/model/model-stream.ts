import type { Logger } from '../util/logger.js';
import { classifyHttpError } from './error-mapping.js';
import { parseRateLimits } from './rate-limits.js';
import { backoffDelayMs, RetryableError, sleepUnlessAborted, type BackoffOptions } from './retry.js';
import { readSseBatches, type SseEvent } from './sse.js';
import { ModelError, type ModelEvent, type ProviderSettings } from './types.js';

/** One HTTP POST that streams SSE back. */
export interface HttpRequestSpec {
  url: string;
  headers: Record<string, string>;
  body: string;
}

/**
 * Turns one attempt's SSE events into model events, pushing them onto `out`. It is synchronous
 * so a fast stream costs one async step per network chunk, not per event. `completed` must be
 * the last event pushed; if the body ends without it, `end` gets a last chance (chat servers
 * that finish without `[DONE]`), after which the stream counts as broken. Throws
 * `RetryableError` or `ModelError` for failures reported inside the stream.
 */
export interface StreamDecoder {
  push(ev: SseEvent, out: ModelEvent[]): void;
  end(out: ModelEvent[]): void;
}

/** What the retry loop needs from its client. */
export interface StreamRunnerConfig {
  settings: ProviderSettings;
  logger: Logger;
  backoff: BackoffOptions;
}

/** Builds `{baseUrl}/{path}` with the provider's extra query params. */
export function providerUrl(settings: ProviderSettings, path: string): string {
  const url = `${settings.baseUrl.replace(/\/+$/, '')}/${path}`;
  const params = settings.queryParams;
  if (!params || Object.keys(params).length === 0) return url;
  const u = new URL(url);
  for (const [k, v] of Object.entries(params)) u.searchParams.set(k, v);
  return u.toString();
}

/** Request headers common to both wire APIs; the provider's `httpHeaders` win over defaults. */
export function providerHeaders(settings: ProviderSettings): Record<string, string> {
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    accept: 'text/event-stream',
    ...settings.httpHeaders,
  };
  if (settings.apiKey) headers.authorization = `Bearer ${settings.apiKey}`;
  return headers;
}

/**
 * Runs one model request with retries: connect failures, 429 and 5xx draw from
 * `requestMaxRetries`; streams that break or go idle before completing draw from
 * `streamMaxRetries`. Each retry is announced by a `retrying` event before the wait.
 * Aborting `signal` aborts the in-flight fetch (or the wait) and throws `ModelError('aborted')`.
 */
export async function* streamWithRetries(
  cfg: StreamRunnerConfig,
  http: HttpRequestSpec,
  newDecoder: () => StreamDecoder,
  signal: AbortSignal,
): AsyncGenerator<ModelEvent, void> {
  const { settings } = cfg;
  let requestRetries = 0;
  let streamRetries = 0;
  for (;;) {
    if (signal.aborted) throw abortedError();
    let failure: RetryableError;
    const ctl = new AbortController();
    const onAbort = (): void => ctl.abort(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      const body = await connect(http, settings.streamIdleTimeoutMs, ctl, signal);
      const rateLimits = parseRateLimits(body.headers);
      yield rateLimits ? { type: 'created', rateLimits } : { type: 'created' };
      // All per-event work happens in this one generator: fewer async layers per delta.
      const decoder = newDecoder();
      const out: ModelEvent[] = [];
      let completed = false;
      stream: for await (const batch of readSseBatches(body.stream, { idleTimeoutMs: settings.streamIdleTimeoutMs })) {
        // An event that ends the stream with an error (`response.incomplete`, `response.failed`)
        // still lets the events before it in the same batch out first (the text streamed so far).
        let batchError: unknown = null;
        try {
          for (const ev of batch) decoder.push(ev, out);
        } catch (err) {
          batchError = err;
        }
        for (let i = 0; i < out.length; i++) {
          // Events already buffered when the signal fired must not leak out after the abort.
          if (signal.aborted) throw abortedError();
          const ev = out[i]!;
          yield ev;
          if (ev.type === 'completed') {
            completed = true;
            break stream;
          }
        }
        out.length = 0;
        if (batchError) throw batchError;
      }
      if (completed) return;
      out.length = 0;
      decoder.end(out);
      for (const ev of out) {
        if (signal.aborted) throw abortedError();
        yield ev;
        if (ev.type === 'completed') return;
      }
      throw new RetryableError('stream_disconnected', 'stream closed before the response completed', 'stream');
    } catch (err) {
      if (signal.aborted) throw abortedError();
      failure = asRetryable(err);
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
    const isRequest = failure.budget === 'request';
    const max = isRequest ? settings.requestMaxRetries : settings.streamMaxRetries;
    const used = isRequest ? ++requestRetries : ++streamRetries;
    if (used > max) throw failure.toModelError();
    const delayMs = failure.retryAfterMs ?? backoffDelayMs(used - 1, cfg.backoff);
    cfg.logger.warn(
      { provider: settings.id, attempt: used, maxAttempts: max, delayMs, httpStatus: failure.httpStatus, err: failure.message },
      'model request failed; retrying',
    );
    const ev: ModelEvent = { type: 'retrying', attempt: used, maxAttempts: max, delayMs, message: failure.message };
    if (failure.httpStatus !== undefined) ev.httpStatus = failure.httpStatus;
    yield ev;
    await sleepUnlessAborted(delayMs, signal);
  }
}

/**
 * Sends the request and waits for a 2xx response with a body. Waiting for headers counts as
 * idle time too: a server that never answers is retried like a stream that stops sending.
 */
async function connect(
  http: HttpRequestSpec,
  idleMs: number,
  ctl: AbortController,
  signal: AbortSignal,
): Promise<{ headers: Headers; stream: ReadableStream<Uint8Array> }> {
  let headersTimedOut = false;
  const headerTimer = setTimeout(() => {
    headersTimedOut = true;
    ctl.abort();
  }, idleMs);
  let resp: Response;
  try {
    resp = await fetch(http.url, { method: 'POST', headers: http.headers, body: http.body, signal: ctl.signal });
  } catch (err) {
    if (signal.aborted) throw abortedError();
    if (headersTimedOut) {
      throw new RetryableError('stream_idle_timeout', `no response headers from the model within ${idleMs} ms`, 'stream');
    }
    throw new RetryableError('connection_failed', `connection to ${http.url} failed: ${causeMessage(err)}`, 'request');
  } finally {
    clearTimeout(headerTimer);
  }
  if (!resp.ok) {
    const text = await resp.text().catch(() => '');
    throw classifyHttpError(resp.status, text, resp.headers);
  }
  if (!resp.body) throw new RetryableError('stream_disconnected', 'response has no body', 'stream');
  return { headers: resp.headers, stream: resp.body };
}

function asRetryable(err: unknown): RetryableError {
  if (err instanceof RetryableError) return err;
  if (err instanceof ModelError) {
    if (err.kind === 'stream_disconnected' || err.kind === 'stream_idle_timeout') {
      return new RetryableError(err.kind, err.message, 'stream');
    }
    throw err;
  }
  throw new ModelError('other', `model stream failed: ${causeMessage(err)}`);
}

function abortedError(): ModelError {
  return new ModelError('aborted', 'model request aborted');
}

function causeMessage(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause = err.cause;
  if (cause instanceof Error && cause.message) return `${err.message} (${cause.message})`;
  return err.message;
}
