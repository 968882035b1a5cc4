import type { Config } from './types.js';

/** Shown instead of values that may be secrets (static header values, MCP server env). */
export const REDACTED = '<redacted>';

/**
 * The effective configuration for `config/read`, shaped as the app-server v2 `ConfigReadResponse`
 * (`{ config, origins }`, Codex snake_case key names). Secrets never appear: API keys are not
 * included at all (only the `env_key` that names them), and header / MCP env values are redacted.
 * `origins` is empty because we do not track per-key layers.
 */
export function configReadView(config: Config): { config: Record<string, unknown>; origins: Record<string, never> } {
  const providers: Record<string, unknown> = {};
  for (const [id, p] of Object.entries(config.providers)) {
    const src = config.providerSources?.[id];
    providers[id] = {
      name: p.name,
      base_url: p.baseUrl,
      wire_api: p.wireApi,
      env_key: src?.envKey ?? null,
      http_headers: redactValues(src?.staticHttpHeaders ?? {}),
      env_http_headers: { ...src?.envHttpHeaders },
      query_params: { ...p.queryParams },
      request_max_retries: p.requestMaxRetries,
      stream_max_retries: p.streamMaxRetries,
      stream_idle_timeout_ms: p.streamIdleTimeoutMs,
    };
  }

  const mcpServers: Record<string, unknown> = {};
  for (const [id, s] of Object.entries(config.mcpServers)) {
    mcpServers[id] = {
      ...(s.command !== undefined ? { command: s.command } : {}),
      ...(s.args !== undefined ? { args: [...s.args] } : {}),
      ...(s.env !== undefined ? { env: redactValues(s.env) } : {}),
      ...(s.cwd !== undefined ? { cwd: s.cwd } : {}),
      ...(s.url !== undefined ? { url: s.url } : {}),
      ...(s.httpHeaders !== undefined ? { http_headers: redactValues(s.httpHeaders) } : {}),
      ...(s.envHttpHeaders !== undefined ? { env_http_headers: { ...s.envHttpHeaders } } : {}),
      ...(s.bearerTokenEnvVar !== undefined ? { bearer_token_env_var: s.bearerTokenEnvVar } : {}),
      ...(s.enabled !== undefined ? { enabled: s.enabled } : {}),
      ...(s.startupTimeoutSec !== undefined ? { startup_timeout_sec: s.startupTimeoutSec } : {}),
      ...(s.toolTimeoutSec !== undefined ? { tool_timeout_sec: s.toolTimeoutSec } : {}),
      ...(s.enabledTools !== undefined ? { enabled_tools: [...s.enabledTools] } : {}),
      ...(s.disabledTools !== undefined ? { disabled_tools: [...s.disabledTools] } : {}),
      ...(s.required !== undefined ? { required: s.required } : {}),
      ...(s.envVars !== undefined ? { env_vars: [...s.envVars] } : {}),
    };
  }

  const sww = config.sandboxWorkspaceWrite;
  return {
    config: {
      model: config.model,
      model_provider: config.modelProvider,
      approval_policy: config.approvalPolicy,
      sandbox_mode: config.sandboxMode,
      sandbox_workspace_write: {
        writable_roots: [...sww.writableRoots],
        network_access: sww.networkAccess,
        exclude_tmpdir_env_var: sww.excludeTmpdirEnvVar,
        exclude_slash_tmp: sww.excludeSlashTmp,
      },
      model_context_window: config.modelContextWindow,
      model_auto_compact_token_limit: config.modelAutoCompactTokenLimit,
      model_reasoning_effort: config.modelReasoningEffort,
      model_reasoning_summary: config.modelReasoningSummary,
      developer_instructions: config.developerInstructions,
      instructions: config.baseInstructions,
      profile: config.profile ?? null,
      tool_style: config.toolStyle,
      model_providers: providers,
      mcp_servers: mcpServers,
    },
    origins: {},
  };
}

function redactValues(map: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.keys(map).map((k) => [k, REDACTED]));
}
