import type { HeaderSource } from './retry.js';
import type { RateLimitSnapshot, RateLimitWindow } from './types.js';

/**
 * Reads rate limits from response headers: the Codex backend's `x-codex-{primary,secondary}-*`
 * headers when present, else the OpenAI-style `x-ratelimit-*-{requests,tokens}` headers (requests
 * become the primary window, tokens the secondary). Undefined when the provider sent neither.
 * `resetsAt` is in Unix seconds.
 */
export function parseRateLimits(headers: HeaderSource, nowMs: number = Date.now()): RateLimitSnapshot | undefined {
  const primary = codexWindow(headers, 'primary');
  const secondary = codexWindow(headers, 'secondary');
  if (primary || secondary) return { limitId: 'codex', primary: primary ?? null, secondary: secondary ?? null };
  const requests = standardWindow(headers, 'requests', nowMs);
  const tokens = standardWindow(headers, 'tokens', nowMs);
  if (requests || tokens) return { limitId: null, primary: requests ?? null, secondary: tokens ?? null };
  return undefined;
}

function codexWindow(h: HeaderSource, which: 'primary' | 'secondary'): RateLimitWindow | undefined {
  const used = num(h.get(`x-codex-${which}-used-percent`));
  if (used === undefined) return undefined;
  return {
    usedPercent: used,
    windowDurationMins: num(h.get(`x-codex-${which}-window-minutes`)) ?? null,
    resetsAt: num(h.get(`x-codex-${which}-reset-at`)) ?? null,
  };
}

function standardWindow(h: HeaderSource, what: 'requests' | 'tokens', nowMs: number): RateLimitWindow | undefined {
  const limit = num(h.get(`x-ratelimit-limit-${what}`));
  const remaining = num(h.get(`x-ratelimit-remaining-${what}`));
  if (limit === undefined || remaining === undefined || limit <= 0) return undefined;
  const usedPercent = Math.min(100, Math.max(0, ((limit - remaining) / limit) * 100));
  const resetMs = parseDuration(h.get(`x-ratelimit-reset-${what}`));
  return {
    usedPercent: Math.round(usedPercent * 100) / 100,
    windowDurationMins: null,
    resetsAt: resetMs === undefined ? null : Math.ceil((nowMs + resetMs) / 1000),
  };
}

/** Parses OpenAI reset durations such as `1s`, `6m0s`, `1h2m3.5s`, `20ms` (or bare seconds). */
export function parseDuration(v: string | null): number | undefined {
  if (v === null || v.trim() === '') return undefined;
  const bare = Number(v);
  if (Number.isFinite(bare)) return bare * 1000;
  const re = /([\d.]+)(ms|h|m|s)/g;
  let total = 0;
  let matched = false;
  for (let m = re.exec(v); m; m = re.exec(v)) {
    const n = Number(m[1]);
    if (!Number.isFinite(n)) return undefined;
    matched = true;
    total += m[2] === 'ms' ? n : m[2] === 's' ? n * 1000 : m[2] === 'm' ? n * 60_000 : n * 3_600_000;
  }
  return matched ? total : undefined;
}

function num(v: string | null): number | undefined {
  if (v === null || v.trim() === '') return undefined;
  const n = Number(v);
  return Number.isFinite(n) ? n : undefined;
}
