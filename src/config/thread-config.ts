import { resolve } from 'node:path';
import { validateConfigTable } from './config-schema.js';
import { buildConfig } from './load-config.js';
import { ConfigError, type Config, type ConfigWarning } from './types.js';

/**
 * One thread's configuration: the daemon's with the thread's own layer (the `config` of
 * `thread/start`, `thread/resume` or `thread/fork`) laid over it. Nothing here touches the
 * daemon's configuration or another thread's.
 */
export interface ThreadConfig {
  /** The effective configuration of the thread. */
  config: Config;
  /**
   * The thread's layer, normalized: nested tables instead of dotted keys, `writable_roots`
   * absolute. This is what is persisted, so a resumed thread gets the same configuration.
   */
  layer: Record<string, unknown>;
  /** Top-level keys the layer sets (and those of the profile it selects). */
  keys: ReadonlySet<string>;
  /** Keys of the layer that Codex would not know either (ignored). */
  warnings: ConfigWarning[];
}

const FORBIDDEN_SEGMENTS = new Set(['__proto__', 'constructor', 'prototype']);

/** Where a layer's problems are said to be. */
const LAYER_LABEL = 'in params.config';

/**
 * Normalizes a client's config overrides into one nested table. Keys may be dotted
 * (`"sandbox_workspace_write.writable_roots"`) or nested objects, or both; later entries merge
 * into earlier ones table by table, as Codex merges config layers. `null` values are dropped.
 * Relative `writable_roots` are resolved against `cwd` (the thread's working directory).
 */
export function normalizeThreadLayer(input: Record<string, unknown>, cwd: string): Record<string, unknown> {
  const layer: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(input)) {
    const path = key.split('.');
    if (path.some((seg) => seg === '' || FORBIDDEN_SEGMENTS.has(seg))) {
      throw new ConfigError(`${key}: invalid config key ${JSON.stringify(key)} (${LAYER_LABEL})`, key);
    }
    const clean = withoutNulls(value, key);
    if (clean === undefined) continue;
    mergeAt(layer, path, clean);
  }
  const sww = layer['sandbox_workspace_write'];
  if (isTable(sww) && Array.isArray(sww['writable_roots'])) {
    sww['writable_roots'] = sww['writable_roots'].map((r: unknown) => (typeof r === 'string' && r !== '' ? resolve(cwd, r) : r));
  }
  return layer;
}

/**
 * The thread's configuration: `base` (the daemon's) with `input` laid over it. The layer is
 * checked with the same schema as `config.toml`: a known key with a wrong type throws a
 * `ConfigError` naming its path; unknown keys come back as warnings and are ignored.
 */
export function threadConfig(base: Config, input: Record<string, unknown>, cwd: string, env: NodeJS.ProcessEnv = process.env): ThreadConfig {
  const layer = normalizeThreadLayer(input, cwd);
  return threadConfigFromLayer(base, layer, env);
}

/** {@link threadConfig} for an already normalized layer (a stored one). */
export function threadConfigFromLayer(base: Config, layer: Record<string, unknown>, env: NodeJS.ProcessEnv = process.env): ThreadConfig {
  const own = validateConfigTable(structuredClone(layer), () => ({ file: null, label: LAYER_LABEL }));
  const raw = mergeTables(structuredClone(base.raw), layer);
  const fileLabel = base.configFile ? `in ${base.configFile}` : 'in the daemon configuration';
  const { config } = buildConfig(raw, {
    home: base.home,
    cwd: base.cwd ?? process.cwd(),
    env,
    sourceOf: (path) => (hasPath(layer, path) ? { file: null, label: LAYER_LABEL } : { file: base.configFile ?? null, label: fileLabel }),
    configFile: base.configFile ?? null,
  });
  const keys = layerKeys(layer, config);
  return { config, layer, keys, warnings: own.warnings };
}

/**
 * The top-level keys `layer` sets, with the keys of the profile it selects (or changes) in
 * `config` (the effective configuration the layer is part of).
 */
export function layerKeys(layer: Record<string, unknown>, config: Config): Set<string> {
  const keys = new Set(Object.keys(layer));
  const profiles = config.raw['profiles'];
  const selected = typeof layer['profile'] === 'string' ? layer['profile'] : isTable(layer['profiles']) ? config.profile : null;
  const p = selected && isTable(profiles) ? profiles[selected] : undefined;
  if (isTable(p)) for (const k of Object.keys(p)) keys.add(k);
  return keys;
}

/** Deep-merges `over` into `base` (tables merge key by key; anything else replaces). Returns `base`. */
export function mergeTables(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  for (const [k, v] of Object.entries(over)) {
    const cur = base[k];
    if (isTable(cur) && isTable(v)) mergeTables(cur, v);
    else base[k] = structuredClone(v);
  }
  return base;
}

function mergeAt(root: Record<string, unknown>, path: readonly string[], value: unknown): void {
  let node = root;
  for (const seg of path.slice(0, -1)) {
    const next = node[seg];
    if (isTable(next)) node = next;
    else {
      const created: Record<string, unknown> = {};
      node[seg] = created;
      node = created;
    }
  }
  const last = path[path.length - 1]!;
  const cur = node[last];
  if (isTable(cur) && isTable(value)) mergeTables(cur, value);
  else node[last] = value;
}

/** A copy of a JSON value without `null`s (TOML has none); `undefined` for `null` itself. */
function withoutNulls(v: unknown, where: string): unknown {
  if (v === null || v === undefined) return undefined;
  if (Array.isArray(v)) return v.filter((x) => x !== null).map((x) => withoutNulls(x, where));
  if (typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
      if (FORBIDDEN_SEGMENTS.has(k)) throw new ConfigError(`${where}: invalid config key ${JSON.stringify(k)} (${LAYER_LABEL})`, where);
      const c = withoutNulls(x, `${where}.${k}`);
      if (c !== undefined) out[k] = c;
    }
    return out;
  }
  return v;
}

function hasPath(table: Record<string, unknown>, path: readonly PropertyKey[]): boolean {
  let node: unknown = table;
  for (const seg of path) {
    if (!isTable(node) || !Object.hasOwn(node, seg)) return false;
    node = node[seg as string];
  }
  return true;
}

function isTable(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date);
}
