import type { ProviderSettings } from '../model/types.js';

export type ApprovalPolicy = 'untrusted' | 'on-failure' | 'on-request' | 'never';
export type SandboxMode = 'read-only' | 'workspace-write' | 'danger-full-access';

/** The `[sandbox_workspace_write]` table (Codex key names). */
export interface SandboxWorkspaceWriteSettings {
  writableRoots: string[];
  networkAccess: boolean;
  excludeTmpdirEnvVar: boolean;
  excludeSlashTmp: boolean;
}

/**
 * `[shell_environment_policy]` (Codex keys): how the environment of the model's commands is built
 * from the daemon's. Applied in this order: start from `inherit`; unless `ignoreDefaultExcludes`,
 * drop names matching `*KEY*`, `*SECRET*`, `*TOKEN*` and every provider's credential variables;
 * drop `exclude` matches; add `set`; if `includeOnly` is non-empty, keep only its matches.
 * Patterns are case-insensitive globs over the whole name (`*`, `?`, `[...]`).
 */
export interface ShellEnvironmentPolicy {
  /** `all` (the daemon's environment), `core` (HOME, PATH, USER and the like) or `none`. */
  inherit: 'all' | 'core' | 'none';
  ignoreDefaultExcludes: boolean;
  exclude: string[];
  set: Record<string, string>;
  includeOnly: string[];
}

/** A model known to `model/list` (built-in catalogue plus the configured model). */
export interface ModelInfo {
  id: string;
  model: string;
  displayName: string;
  description: string;
  contextWindow: number;
  supportedReasoningEfforts: string[];
  defaultReasoningEffort: string | null;
  isDefault: boolean;
  /** Which tool shapes fit the model: Codex-style `exec_command` + freeform apply_patch, or classic `shell`. */
  toolStyle: 'codex' | 'classic';
}

/** An MCP server entry (`[mcp_servers.<id>]`, Codex keys), kept for the MCP runtime. */
export interface McpServerConfig {
  /** stdio transport: the program, its arguments, extra environment and working directory. */
  command?: string;
  args?: string[];
  env?: Record<string, string>;
  cwd?: string;
  /** Streamable HTTP transport. */
  url?: string;
  /** Static headers (may hold secrets: never echo values). */
  httpHeaders?: Record<string, string>;
  /** Header name → env var holding its value. */
  envHttpHeaders?: Record<string, string>;
  /** Env var holding a bearer token. */
  bearerTokenEnvVar?: string;
  /** `false`: configured but not to be started. */
  enabled?: boolean;
  startupTimeoutSec?: number;
  toolTimeoutSec?: number;
  enabledTools?: string[];
  disabledTools?: string[];
  /** `true`: the thread's turns fail while this server is not running. */
  required?: boolean;
  /** Names of daemon environment variables passed on to a stdio server (besides the basic ones). */
  envVars?: string[];
}

/** The effective configuration after file, `-c` overrides, env and defaults. */
export interface Config {
  home: string;
  model: string;
  modelProvider: string;
  providers: Record<string, ProviderSettings>;
  approvalPolicy: ApprovalPolicy;
  sandboxMode: SandboxMode;
  sandboxWorkspaceWrite: SandboxWorkspaceWriteSettings;
  modelContextWindow: number | null;
  modelAutoCompactTokenLimit: number | null;
  modelReasoningEffort: string | null;
  modelReasoningSummary: string | null;
  baseInstructions: string | null;
  developerInstructions: string | null;
  /** `tool_style` (agentd key): which shell tool shape to offer; `auto` = by model family. */
  toolStyle: 'auto' | 'codex' | 'classic';
  mcpServers: Record<string, McpServerConfig>;
  /** The directory relative paths in the config (`writable_roots`) were resolved against. */
  cwd?: string;
  /** `[shell_environment_policy]`, with defaults filled in (absent: the defaults). */
  shellEnvironmentPolicy?: ShellEnvironmentPolicy;
  /** The merged raw TOML table (for `config/read`). */
  raw: Record<string, unknown>;
  /** The selected Codex `profile`, if any (its keys already applied above). */
  profile?: string | null;
  /** The config file that was read, or null when none exists. */
  configFile?: string | null;
  /**
   * Where each provider's settings came from, without secret values: lets `config/read` show
   * `env_key` / `env_http_headers` names instead of the resolved key and headers.
   */
  providerSources?: Record<string, ProviderSource>;
}

/** The non-secret origin of a provider's settings (see `Config.providerSources`). */
export interface ProviderSource {
  builtIn: boolean;
  /** The provider takes OpenAI credentials (the built-in `openai`, or `requires_openai_auth`). */
  requiresOpenaiAuth?: boolean;
  /** The env var the API key is read from (`env_key`). */
  envKey: string | null;
  /** `http_headers` as written in config (these may still hold secrets; do not echo values). */
  staticHttpHeaders: Record<string, string>;
  /** `env_http_headers`: header name → env var name. */
  envHttpHeaders: Record<string, string>;
}

/** A non-fatal problem found while loading config (unknown key, ignored value). */
export interface ConfigWarning {
  summary: string;
  details?: string | null;
  path?: string | null;
}

export class ConfigError extends Error {
  constructor(
    message: string,
    /** The offending key (dotted path), when one is to blame. */
    readonly key?: string,
  ) {
    super(message);
    this.name = 'ConfigError';
  }
}
