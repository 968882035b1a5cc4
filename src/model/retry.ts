import { ModelError, type ModelErrorKind } from './types.js';

/** Backoff tuning. `baseMs` is small in tests so retries finish quickly. */
export interface BackoffOptions {
  /** Delay before the first retry, before jitter (default 200 ms). */
  baseMs: number;
  /** Upper bound of a computed delay (default 20 s); a server's Retry-After is honoured as sent. */
  capMs: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { baseMs: 200, capMs: 20_000 };

/** Which retry budget a failure draws from: request-level (connect, 429, 5xx) or stream-level. */
export type RetryBudget = 'request' | 'stream';

/**
 * A failure of one attempt that may be retried. It never escapes the retry loop: once the
 * budget is spent it becomes a `ModelError` via {@link RetryableError.toModelError}.
 */
export class RetryableError extends Error {
  constructor(
    readonly kind: ModelErrorKind,
    message: string,
    readonly budget: RetryBudget,
    readonly httpStatus?: number,
    /** The delay the server asked for, overriding the computed backoff. */
    readonly retryAfterMs?: number,
  ) {
    super(message);
    this.name = 'RetryableError';
  }

  toModelError(): ModelError {
    return new ModelError(this.kind, this.message, this.httpStatus);
  }
}

/**
 * The delay before retry number `attempt` (0-based): `base * 2^attempt`, capped, times a
 * jitter factor in [0.9, 1.1] so that many clients do not retry in lockstep.
 */
export function backoffDelayMs(attempt: number, opts: BackoffOptions, random: () => number = Math.random): number {
  const raw = Math.min(opts.capMs, opts.baseMs * 2 ** attempt);
  const jitter = 0.9 + random() * 0.2;
  return Math.max(0, Math.round(raw * jitter));
}

/** Minimal header access, so plain maps work in tests as well as fetch `Headers`. */
export interface HeaderSource {
  get(name: string): string | null;
}

/**
 * The delay a server asked for: `retry-after-ms` (milliseconds), else `Retry-After` as
 * (possibly fractional) seconds or as an HTTP date. Undefined when absent or unparsable.
 */
export function parseRetryAfter(headers: HeaderSource, now: number = Date.now()): number | undefined {
  const ms = headers.get('retry-after-ms');
  if (ms !== null && ms.trim() !== '') {
    const n = Number(ms);
    if (Number.isFinite(n) && n >= 0) return Math.round(n);
  }
  const ra = headers.get('retry-after');
  if (ra === null || ra.trim() === '') return undefined;
  const secs = Number(ra);
  if (Number.isFinite(secs)) return secs >= 0 ? Math.round(secs * 1000) : undefined;
  const date = Date.parse(ra);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}

/**
 * Reads a delay hint out of a provider message such as "Please try again in 1.5s" or
 * "try again in 250ms" (OpenAI puts it in `response.failed` rate-limit errors).
 */
export function parseRetryHint(message: string): number | undefined {
  const m = /try again in\s*([\d.]+)\s*(ms|s|seconds?)\b/i.exec(message);
  if (!m) return undefined;
  const n = Number(m[1]);
  if (!Number.isFinite(n)) return undefined;
  return Math.round(m[2]!.toLowerCase() === 'ms' ? n : n * 1000);
}

/**
 * Waits `ms`, rejecting with `ModelError('aborted')` as soon as `signal` aborts.
 */
export function sleepUnlessAborted(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(new ModelError('aborted', 'request aborted'));
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(new ModelError('aborted', 'request aborted'));
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
