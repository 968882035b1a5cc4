import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { parse as parseToml, TomlError } from 'smol-toml';
import { validateConfigTable, type ConfigTable, type KeySource } from './config-schema.js';
import { parseOverride, setAtPath, type ConfigOverride } from './overrides.js';
import { resolveProviders } from './providers.js';
import { ConfigError, type Config, type ConfigWarning, type McpServerConfig } from './types.js';

/** Options for {@link loadConfig}; everything defaults to the real process environment. */
export interface LoadConfigOptions {
  /** The agentd home; defaults to `$AGENTD_HOME`, then `~/.agentd`. */
  home?: string;
  /** `-c key=value` overrides, applied over the file in order. */
  overrides?: string[];
  env?: NodeJS.ProcessEnv;
  /** Base for relative paths in config (`writable_roots`); defaults to `process.cwd()`. */
  cwd?: string;
}

const DEFAULT_MODEL = 'gpt-5-codex';
/** Default models for providers where `gpt-5-codex` cannot exist. */
const PROVIDER_DEFAULT_MODELS: Record<string, string> = { ollama: 'llama3.1' };

/**
 * Loads the effective configuration: `<home>/config.toml` (absent = defaults), then `-c`
 * overrides, then the selected profile, then env (API keys). Synchronous and one file read at
 * most, because it runs on the startup path. Throws `ConfigError` for a malformed file or a known
 * key with a bad value; unknown keys only produce warnings.
 */
export function loadConfig(opts: LoadConfigOptions = {}): { config: Config; warnings: ConfigWarning[] } {
  const env = opts.env ?? process.env;
  const cwd = opts.cwd ?? process.cwd();
  const home = resolve(cwd, opts.home ?? nonEmpty(env['AGENTD_HOME']) ?? join(homedir(), '.agentd'));
  const file = join(home, 'config.toml');

  const fromFile = readConfigFile(file);
  const raw = fromFile ?? {};
  const overrides: ConfigOverride[] = (opts.overrides ?? []).map(parseOverride);
  for (const o of overrides) setAtPath(raw, o.path, o.value);

  const sourceOf: KeySource = (path) => {
    const segs = path.map(String);
    const overridden = overrides.some((o) => o.path.every((seg, i) => i >= segs.length || segs[i] === seg));
    if (overridden) return { file: null, label: 'from -c override' };
    return fromFile ? { file, label: `in ${file}` } : null;
  };
  return buildConfig(raw, { home, cwd, env, sourceOf, configFile: fromFile ? file : null });
}

/** What {@link buildConfig} needs besides the merged table. */
export interface BuildConfigOptions {
  home: string;
  /** Base for relative paths (`writable_roots`). */
  cwd: string;
  env: NodeJS.ProcessEnv;
  sourceOf: KeySource;
  configFile: string | null;
}

/**
 * Validates a merged raw table (file, overrides, and for a thread its own layer) and builds the
 * effective configuration from it. Throws `ConfigError` for a known key with a bad value.
 */
export function buildConfig(raw: Record<string, unknown>, opts: BuildConfigOptions): { config: Config; warnings: ConfigWarning[] } {
  const { home, cwd, env } = opts;
  const { table, warnings } = validateConfigTable(raw, opts.sourceOf);
  const effective = applyProfile(table);

  const providerId = effective.model_provider ?? 'openai';
  const { providers, sources } = resolveProviders(table.model_providers, env, table.openai_base_url);
  if (!Object.hasOwn(providers, providerId)) {
    throw new ConfigError(
      `model_provider: unknown provider "${providerId}"; expected one of ${Object.keys(providers).join(', ')}`,
      'model_provider',
    );
  }

  const sww = table.sandbox_workspace_write ?? {};
  const config: Config = {
    home,
    model: effective.model ?? PROVIDER_DEFAULT_MODELS[providerId] ?? DEFAULT_MODEL,
    modelProvider: providerId,
    providers,
    approvalPolicy: effective.approval_policy ?? 'on-request',
    sandboxMode: effective.sandbox_mode ?? 'read-only',
    sandboxWorkspaceWrite: {
      writableRoots: (sww.writable_roots ?? []).map((p) => resolve(cwd, p)),
      networkAccess: sww.network_access ?? false,
      excludeTmpdirEnvVar: sww.exclude_tmpdir_env_var ?? false,
      excludeSlashTmp: sww.exclude_slash_tmp ?? false,
    },
    modelContextWindow: effective.model_context_window ?? null,
    modelAutoCompactTokenLimit: effective.model_auto_compact_token_limit ?? null,
    modelReasoningEffort: effective.model_reasoning_effort ?? null,
    modelReasoningSummary: effective.model_reasoning_summary ?? null,
    baseInstructions: effective.base_instructions ?? effective.instructions ?? null,
    developerInstructions: effective.developer_instructions ?? null,
    toolStyle: effective.tool_style ?? 'auto',
    mcpServers: pickMcpServers(table),
    cwd,
    shellEnvironmentPolicy: shellEnvironmentPolicy(table),
    raw,
    profile: table.profile ?? null,
    configFile: opts.configFile,
    providerSources: sources,
  };
  return { config, warnings };
}

/** Reads and parses the file; `undefined` when it does not exist. */
function readConfigFile(file: string): Record<string, unknown> | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new ConfigError(`cannot read ${file}: ${(err as Error).message}`);
  }
  try {
    return parseToml(text) as Record<string, unknown>;
  } catch (err) {
    if (err instanceof TomlError) {
      const reason = err.message.split('\n')[0]!.replace(/^Invalid TOML document: /, '');
      throw new ConfigError(`${file}:${err.line}:${err.column}: invalid TOML: ${reason}`);
    }
    throw new ConfigError(`${file}: invalid TOML: ${(err as Error).message}`);
  }
}

/** The top-level keys with the selected profile's keys laid over them (Codex semantics). */
function applyProfile(table: ConfigTable): ConfigTable {
  if (table.profile === undefined) return table;
  const profile = table.profiles?.[table.profile];
  if (profile === undefined) {
    const known = Object.keys(table.profiles ?? {});
    const expected = known.length > 0 ? `one of ${known.join(', ')}` : 'a [profiles.<name>] table';
    throw new ConfigError(`profile: no profile named "${table.profile}"; expected ${expected}`, 'profile');
  }
  return { ...table, ...profile };
}

/** `[shell_environment_policy]` with Codex's defaults, except that secrets stay out by default. */
function shellEnvironmentPolicy(table: ConfigTable): Config['shellEnvironmentPolicy'] {
  const t = table.shell_environment_policy ?? {};
  return {
    inherit: t.inherit ?? 'all',
    ignoreDefaultExcludes: t.ignore_default_excludes ?? false,
    exclude: t.exclude ?? [],
    set: { ...t.set },
    includeOnly: t.include_only ?? [],
  };
}

function pickMcpServers(table: ConfigTable): Config['mcpServers'] {
  const out: Config['mcpServers'] = {};
  for (const [id, s] of Object.entries(table.mcp_servers ?? {})) {
    const entry: McpServerConfig = {};
    if (s.command !== undefined) entry.command = s.command;
    if (s.args !== undefined) entry.args = [...s.args];
    if (s.env !== undefined) entry.env = { ...s.env };
    if (s.cwd !== undefined) entry.cwd = s.cwd;
    if (s.url !== undefined) entry.url = s.url;
    if (s.http_headers !== undefined) entry.httpHeaders = { ...s.http_headers };
    if (s.env_http_headers !== undefined) entry.envHttpHeaders = { ...s.env_http_headers };
    if (s.bearer_token_env_var !== undefined) entry.bearerTokenEnvVar = s.bearer_token_env_var;
    if (s.enabled !== undefined) entry.enabled = s.enabled;
    const startup = s.startup_timeout_sec ?? (s.startup_timeout_ms !== undefined ? s.startup_timeout_ms / 1000 : undefined);
    if (startup !== undefined) entry.startupTimeoutSec = startup;
    if (s.tool_timeout_sec !== undefined) entry.toolTimeoutSec = s.tool_timeout_sec;
    if (s.enabled_tools !== undefined) entry.enabledTools = [...s.enabled_tools];
    if (s.disabled_tools !== undefined) entry.disabledTools = [...s.disabled_tools];
    if (s.required !== undefined) entry.required = s.required;
    if (s.env_vars !== undefined) entry.envVars = [...s.env_vars];
    out[id] = entry;
  }
  return out;
}

function nonEmpty(v: string | undefined): string | undefined {
  return v === undefined || v === '' ? undefined : v;
}
