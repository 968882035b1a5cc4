import type { ProviderSettings } from '../model/types.js';
import type { ProviderTable } from './config-schema.js';
import type { ProviderSource } from './types.js';

const DEFAULT_REQUEST_MAX_RETRIES = 4;
const DEFAULT_STREAM_MAX_RETRIES = 5;
const DEFAULT_STREAM_IDLE_TIMEOUT_MS = 300_000;
const OPENAI_BASE_URL = 'https://api.openai.com/v1';

/** Built-in provider tables; a user table with the same id overrides individual fields. */
function builtInProviders(env: NodeJS.ProcessEnv, openaiBaseUrl: string | undefined): Record<string, ProviderTable> {
  return {
    openai: {
      name: 'OpenAI',
      base_url: openaiBaseUrl ?? nonEmpty(env['OPENAI_BASE_URL']) ?? OPENAI_BASE_URL,
      wire_api: 'responses',
      env_key: 'OPENAI_API_KEY',
      requires_openai_auth: true,
    },
    ollama: {
      name: 'Ollama',
      base_url: 'http://localhost:11434/v1',
      wire_api: 'chat',
    },
  };
}

/** Ids of the providers that exist without any configuration. */
export const BUILT_IN_PROVIDER_IDS: readonly string[] = ['openai', 'ollama'];

/** The variable OpenAI credentials come from, for providers with `requires_openai_auth`. */
export const OPENAI_API_KEY_VAR = 'OPENAI_API_KEY';

/**
 * Merges built-in and user provider tables and resolves secrets from `env`: the API key from
 * `env_key` (for a provider with `requires_openai_auth` and no `env_key`, `OPENAI_API_KEY`), else
 * `experimental_bearer_token`, and headers from `env_http_headers` (skipped when the variable is
 * unset or empty). `openaiBaseUrl` is the config's `openai_base_url`.
 */
export function resolveProviders(
  userTables: Record<string, ProviderTable> | undefined,
  env: NodeJS.ProcessEnv,
  openaiBaseUrl?: string,
): { providers: Record<string, ProviderSettings>; sources: Record<string, ProviderSource> } {
  const builtIns = builtInProviders(env, openaiBaseUrl);
  const merged: Record<string, ProviderTable> = { ...builtIns };
  for (const [id, table] of Object.entries(userTables ?? {})) {
    merged[id] = { ...merged[id], ...table };
  }

  const providers: Record<string, ProviderSettings> = {};
  const sources: Record<string, ProviderSource> = {};
  for (const [id, t] of Object.entries(merged)) {
    const httpHeaders: Record<string, string> = { ...t.http_headers };
    for (const [header, varName] of Object.entries(t.env_http_headers ?? {})) {
      const value = nonEmpty(env[varName]);
      if (value !== undefined) httpHeaders[header] = value;
    }
    const settings: ProviderSettings = {
      id,
      name: t.name ?? id,
      // Codex falls back to the OpenAI endpoint when a provider names none.
      baseUrl: t.base_url ?? OPENAI_BASE_URL,
      // User-defined providers speak Chat Completions unless told otherwise (Codex's default).
      wireApi: t.wire_api ?? 'chat',
      httpHeaders,
      requestMaxRetries: t.request_max_retries ?? DEFAULT_REQUEST_MAX_RETRIES,
      streamMaxRetries: t.stream_max_retries ?? DEFAULT_STREAM_MAX_RETRIES,
      streamIdleTimeoutMs: t.stream_idle_timeout_ms ?? DEFAULT_STREAM_IDLE_TIMEOUT_MS,
    };
    const requiresOpenaiAuth = t.requires_openai_auth ?? false;
    const envKey = t.env_key ?? (requiresOpenaiAuth ? OPENAI_API_KEY_VAR : undefined);
    const apiKey = (envKey ? nonEmpty(env[envKey]) : undefined) ?? nonEmpty(t.experimental_bearer_token);
    if (apiKey !== undefined) settings.apiKey = apiKey;
    if (t.query_params && Object.keys(t.query_params).length > 0) settings.queryParams = { ...t.query_params };
    providers[id] = settings;
    sources[id] = {
      builtIn: id in builtIns,
      requiresOpenaiAuth,
      envKey: envKey ?? null,
      staticHttpHeaders: { ...t.http_headers },
      envHttpHeaders: { ...t.env_http_headers },
    };
  }
  return { providers, sources };
}

function nonEmpty(v: string | undefined): string | undefined {
  return v === undefined || v === '' ? undefined : v;
}

/**
 * Whether the active provider still needs OpenAI credentials: it takes them (`requires_openai_auth`,
 * or the built-in `openai`) and no key was found in its variable.
 */
export function requiresOpenaiAuth(config: { modelProvider: string; providers: Record<string, ProviderSettings>; providerSources?: Record<string, ProviderSource> }): boolean {
  const id = config.modelProvider;
  const needs = config.providerSources?.[id]?.requiresOpenaiAuth ?? false;
  return needs && config.providers[id]?.apiKey === undefined;
}
