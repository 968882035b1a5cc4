import { parse as parseToml } from 'smol-toml';
import { ConfigError } from './types.js';

/** One parsed `-c key=value` override. */
export interface ConfigOverride {
  /** The key path, split on dots (`model_providers.mock.base_url`). */
  path: string[];
  value: unknown;
}

/**
 * Parses `key=value`. The value is read as a TOML value (`-c sandbox_mode="read-only"`,
 * `-c model_context_window=64000`, `-c 'writable_roots=["/a"]'`); when that fails it is taken as
 * a raw string, as Codex does, so `-c model=gpt-5` works without shell-quoted TOML quotes.
 */
export function parseOverride(spec: string): ConfigOverride {
  const eq = spec.indexOf('=');
  if (eq <= 0) throw new ConfigError(`invalid -c override \`${spec}\`: expected key=value`);
  const key = spec.slice(0, eq).trim();
  const path = key.split('.').map((s) => s.trim());
  if (path.some((s) => s === '')) throw new ConfigError(`invalid -c override \`${spec}\`: empty key segment`, key);
  const text = spec.slice(eq + 1).trim();
  return { path, value: parseTomlValue(text) };
}

function parseTomlValue(text: string): unknown {
  try {
    return parseToml(`__value__ = ${text}`)['__value__'];
  } catch {
    return text;
  }
}

/**
 * Writes `value` at `path` in `table`, creating intermediate tables (and replacing a non-table
 * found on the way, since the override is the user's latest word).
 */
export function setAtPath(table: Record<string, unknown>, path: readonly string[], value: unknown): void {
  let node = table;
  for (const seg of path.slice(0, -1)) {
    const next = node[seg];
    if (typeof next === 'object' && next !== null && !Array.isArray(next) && !(next instanceof Date)) {
      node = next as Record<string, unknown>;
    } else {
      const created: Record<string, unknown> = {};
      node[seg] = created;
      node = created;
    }
  }
  node[path[path.length - 1]!] = value;
}
