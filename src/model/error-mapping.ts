import { parseRetryAfter, parseRetryHint, RetryableError, type HeaderSource } from './retry.js';
import { ModelError } from './types.js';

/** The most a provider message is allowed to add to an error message. */
const MAX_MESSAGE_CHARS = 1000;

/**
 * Extracts the human-readable message and machine code from an error body. Providers differ:
 * OpenAI `{error: {message, code, type}}`, Ollama `{error: "..."}`, vLLM `{message}`, FastAPI
 * `{detail}`; anything else falls back to the raw text.
 */
export function parseErrorBody(text: string): { message: string; code?: string } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return { message: clip(text.trim()) };
  }
  if (parsed && typeof parsed === 'object') {
    const o = parsed as Record<string, unknown>;
    const err = o.error;
    if (typeof err === 'string') return { message: clip(err) };
    if (err && typeof err === 'object') {
      const e = err as Record<string, unknown>;
      const code = typeof e.code === 'string' ? e.code : typeof e.type === 'string' ? e.type : undefined;
      const message = typeof e.message === 'string' ? e.message : JSON.stringify(err);
      return code === undefined ? { message: clip(message) } : { message: clip(message), code };
    }
    const code = typeof o.code === 'string' ? o.code : undefined;
    const msg = typeof o.message === 'string' ? o.message : typeof o.detail === 'string' ? o.detail : undefined;
    if (msg !== undefined) return code === undefined ? { message: clip(msg) } : { message: clip(msg), code };
  }
  return { message: clip(text.trim()) };
}

/** True when a provider says the prompt does not fit the model's context window. */
export function isContextWindowError(code: string | undefined, message: string): boolean {
  if (code === 'context_length_exceeded') return true;
  return /context[ _-]?(length|window)|maximum context|too many tokens|prompt is too long/i.test(message);
}

/**
 * Maps a non-2xx HTTP response to the error of that attempt: 429 and 5xx are retryable from the
 * request budget (honouring Retry-After); every other status fails at once.
 */
export function classifyHttpError(status: number, bodyText: string, headers: HeaderSource): RetryableError | ModelError {
  const { message, code } = parseErrorBody(bodyText);
  const detail = message ? `: ${message}` : '';
  if (status === 429) {
    if (code === 'insufficient_quota') return new ModelError('usage_limit', `usage limit reached (429)${detail}`, status);
    return new RetryableError('rate_limited', `rate limited (429)${detail}`, 'request', status, parseRetryAfter(headers));
  }
  if (status >= 500) {
    return new RetryableError('server_error', `server error (${status})${detail}`, 'request', status, parseRetryAfter(headers));
  }
  if (status === 401 || status === 403) return new ModelError('unauthorized', `unauthorized (${status})${detail}`, status);
  if (status === 404) return new ModelError('not_found', `not found (404)${detail}`, status);
  if (isContextWindowError(code, message)) {
    return new ModelError('context_window_exceeded', `context window exceeded (${status})${detail}`, status);
  }
  if (status === 400) return new ModelError('bad_request', `bad request (400)${detail}`, status);
  return new ModelError('other', `HTTP ${status}${detail}`, status);
}

/**
 * Maps an error reported inside a stream (Responses `response.failed`, a chat `error` chunk).
 * Like Codex, unknown codes are treated as transient and retried from the stream budget.
 */
export function classifyStreamError(code: string | undefined, message: string): RetryableError | ModelError {
  const text = message || code || 'unknown error';
  if (isContextWindowError(code, message)) return new ModelError('context_window_exceeded', `context window exceeded: ${text}`);
  if (code === 'insufficient_quota' || code === 'usage_not_included') return new ModelError('usage_limit', `usage limit reached: ${text}`);
  if (code === 'invalid_prompt' || code === 'invalid_request_error') return new ModelError('bad_request', `bad request: ${text}`);
  if (code === 'rate_limit_exceeded') {
    return new RetryableError('rate_limited', `rate limited: ${text}`, 'stream', undefined, parseRetryHint(message));
  }
  if (code === 'server_error') return new RetryableError('server_error', `server error: ${text}`, 'stream');
  return new RetryableError('stream_disconnected', `model stream failed: ${text}`, 'stream');
}

function clip(s: string): string {
  return s.length > MAX_MESSAGE_CHARS ? `${s.slice(0, MAX_MESSAGE_CHARS)}…` : s;
}
