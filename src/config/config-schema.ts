import { z } from 'zod';
import { ignoredMcpServerKeys, ignoredProfileKeys, ignoredProviderKeys, ignoredShellEnvironmentPolicyKeys, ignoredTopLevelKeys } from './codex-keys.js';
import { ConfigError, type ConfigWarning } from './types.js';

/**
 * Codex's `config.toml`, as zod schemas: the keys agentd honours, typed, plus the Codex keys it
 * accepts without acting on them (`codex-keys.ts`). Every table is strict so that a key Codex
 * would not know either (a typo) surfaces as an `unrecognized_keys` issue, which becomes a
 * warning; every other issue is a `ConfigError` naming the dotted key.
 */

const stringMap = z.record(z.string(), z.string());
const count = z.int().nonnegative();

const providerTable = z
  .strictObject({
    name: z.string(),
    base_url: z.string(),
    wire_api: z.enum(['responses', 'chat']),
    env_key: z.string(),
    http_headers: stringMap,
    env_http_headers: stringMap,
    query_params: stringMap,
    request_max_retries: count,
    stream_max_retries: count,
    stream_idle_timeout_ms: z.int().positive(),
    /** The provider takes OpenAI credentials (`OPENAI_API_KEY` when it names no `env_key`). */
    requires_openai_auth: z.boolean(),
    experimental_bearer_token: z.string(),
    ...ignoredProviderKeys,
  })
  .partial();

const mcpServerTable = z
  .strictObject({
    command: z.string(),
    args: z.array(z.string()),
    env: stringMap,
    cwd: z.string(),
    url: z.string(),
    http_headers: stringMap,
    env_http_headers: stringMap,
    bearer_token_env_var: z.string(),
    enabled: z.boolean(),
    startup_timeout_sec: z.number().nonnegative(),
    startup_timeout_ms: count,
    tool_timeout_sec: z.number().nonnegative(),
    enabled_tools: z.array(z.string()),
    disabled_tools: z.array(z.string()),
    required: z.boolean(),
    env_vars: z.array(z.string()),
    ...ignoredMcpServerKeys,
  })
  .partial();

const sandboxWorkspaceWriteTable = z
  .strictObject({
    writable_roots: z.array(z.string()),
    network_access: z.boolean(),
    exclude_tmpdir_env_var: z.boolean(),
    exclude_slash_tmp: z.boolean(),
  })
  .partial();

const shellEnvironmentPolicyTable = z
  .strictObject({
    inherit: z.enum(['all', 'core', 'none']),
    ignore_default_excludes: z.boolean(),
    exclude: z.array(z.string()),
    include_only: z.array(z.string()),
    set: stringMap,
    ...ignoredShellEnvironmentPolicyKeys,
  })
  .partial();

/** Keys valid both at the top level and inside `[profiles.<name>]`. */
const profileKeys = {
  model: z.string().min(1),
  model_provider: z.string().min(1),
  approval_policy: z.enum(['untrusted', 'on-failure', 'on-request', 'never']),
  sandbox_mode: z.enum(['read-only', 'workspace-write', 'danger-full-access']),
  model_context_window: z.int().positive(),
  model_auto_compact_token_limit: z.int().positive(),
  model_reasoning_effort: z.string().min(1),
  model_reasoning_summary: z.enum(['auto', 'concise', 'detailed', 'none']),
  developer_instructions: z.string(),
  base_instructions: z.string(),
  instructions: z.string(),
  tool_style: z.enum(['auto', 'codex', 'classic']),
};

const profileTable = z.strictObject({ ...profileKeys, ...ignoredProfileKeys }).partial();

const configTable = z
  .strictObject({
    ...ignoredTopLevelKeys,
    ...profileKeys,
    /** The built-in `openai` provider's base URL. */
    openai_base_url: z.string().min(1),
    model_providers: z.record(z.string(), providerTable),
    sandbox_workspace_write: sandboxWorkspaceWriteTable,
    shell_environment_policy: shellEnvironmentPolicyTable,
    mcp_servers: z.record(z.string(), mcpServerTable),
    profile: z.string().min(1),
    profiles: z.record(z.string(), profileTable),
  })
  .partial();

/** The validated known keys of a config table (snake_case, as in the file). */
export type ConfigTable = z.infer<typeof configTable>;
/** The keys a profile may set. */
export type ProfileTable = z.infer<typeof profileTable>;
/** One validated `[model_providers.<id>]` table. */
export type ProviderTable = z.infer<typeof providerTable>;
/** One validated `[mcp_servers.<id>]` table. */
export type McpServerTable = z.infer<typeof mcpServerTable>;

/**
 * Where the value at a key came from: `file` (the config file, or null for a `-c` override) for
 * warnings, `label` ("in /x/config.toml", "from -c override") for error messages.
 */
export type KeySource = (path: readonly PropertyKey[]) => { file: string | null; label: string } | null;

/**
 * Validates the merged table. Unknown keys become one warning each (and are dropped); a known key
 * with a wrong type or value throws a `ConfigError` naming the dotted key.
 */
export function validateConfigTable(
  raw: Record<string, unknown>,
  sourceOf: KeySource,
): { table: ConfigTable; warnings: ConfigWarning[] } {
  const first = configTable.safeParse(raw, { reportInput: true });
  if (first.success) return { table: first.data, warnings: [] };

  const warnings: ConfigWarning[] = [];
  const pruned = structuredClone(raw);
  for (const issue of first.error.issues) {
    if (issue.code !== 'unrecognized_keys') {
      const key = dottedKey(issue.path);
      const source = sourceOf(issue.path);
      const where = source ? ` (${source.label})` : '';
      throw new ConfigError(`${key}: ${describeIssue(issue)}${where}`, key);
    }
    for (const name of issue.keys) {
      const path = [...issue.path, name];
      const key = dottedKey(path);
      warnings.push({ summary: `unknown config key \`${key}\` is ignored`, details: null, path: sourceOf(path)?.file ?? null });
      removeAt(pruned, path);
    }
  }
  const second = configTable.safeParse(pruned, { reportInput: true });
  if (!second.success) {
    // Unreachable in practice: pruning unknown keys cannot introduce a type error.
    const issue = second.error.issues[0]!;
    throw new ConfigError(`${dottedKey(issue.path)}: ${describeIssue(issue)}`, dottedKey(issue.path));
  }
  return { table: second.data, warnings };
}

/** `a.b."c.d"`: the TOML spelling of a key path (quoting segments that need it). */
export function dottedKey(path: readonly PropertyKey[]): string {
  return path
    .map((p) => {
      const s = String(p);
      return /^[A-Za-z0-9_-]+$/.test(s) ? s : JSON.stringify(s);
    })
    .join('.');
}

function describeIssue(issue: z.core.$ZodIssue): string {
  const input = 'input' in issue ? issue.input : undefined;
  switch (issue.code) {
    case 'invalid_value':
      return `expected one of ${issue.values.map(String).join(', ')}, got ${describeValue(input)}`;
    case 'invalid_type':
      return `expected ${typeName(issue.expected)}, got ${describeValue(input)}`;
    case 'too_small':
      if (issue.origin === 'string') return `expected a non-empty string, got ${describeValue(input)}`;
      return `expected a number ${issue.inclusive ? '>=' : '>'} ${String(issue.minimum)}, got ${describeValue(input)}`;
    default:
      return `${issue.message}, got ${describeValue(input)}`;
  }
}

function typeName(expected: string): string {
  switch (expected) {
    case 'int':
      return 'an integer';
    case 'record':
    case 'object':
      return 'a table';
    case 'array':
      return 'an array';
    default:
      return `a ${expected}`;
  }
}

function describeValue(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return `${typeof v} ${String(v)}`;
  if (Array.isArray(v)) return 'an array';
  if (v instanceof Date) return 'a date';
  return 'a table';
}

function removeAt(root: Record<string, unknown>, path: readonly PropertyKey[]): void {
  let node: unknown = root;
  for (const seg of path.slice(0, -1)) {
    if (typeof node !== 'object' || node === null) return;
    node = (node as Record<PropertyKey, unknown>)[seg];
  }
  if (typeof node === 'object' && node !== null) delete (node as Record<PropertyKey, unknown>)[path[path.length - 1]!];
}
