import { z } from 'zod';

/**
 * Keys a Codex `config.toml` may hold that agentd accepts without acting on them (TUI, telemetry,
 * login, plugins, experimental features, ...). They load silently so that a user's Codex config
 * works as-is; a key outside these lists and the honoured ones is a typo and gets a warning.
 *
 * Values of ignored keys are not type-checked (agentd never reads them), but a key that Codex
 * defines as a table must be a table, and the tables Codex closes keep their sub-key lists here,
 * so `[tui] notifcations = true` still warns with its path.
 */

const anything = z.unknown();
/** One optional opaque value, shared by every ignored key (schemas are immutable). */
const ignored = anything.optional();

/** A table whose keys are exactly `keys` (each value opaque); other keys warn. */
function closedTable(keys: readonly string[]) {
  return z.strictObject(Object.fromEntries(keys.map((k) => [k, ignored])));
}

/** A table of named entries (`[projects."<path>"]`), each entry closed to `keys`. */
function tableOf(keys: readonly string[]) {
  return z.record(z.string(), closedTable(keys));
}

/** A table agentd does not look into: any keys. */
const openTable = z.record(z.string(), anything);

/** Ignored tables Codex closes, with their sub-keys (shared by the top level and profiles). */
const analytics = closedTable(['enabled']);
const features = openTable; // feature flags come and go with Codex versions; any name is accepted
const tools = closedTable(['experimental_request_user_input', 'web_search']);
const tui = closedTable([
  'alternate_screen',
  'animations',
  'keymap',
  'model_availability_nux',
  'notification_condition',
  'notification_method',
  'notifications',
  'pet',
  'pet_anchor',
  'raw_output_mode',
  'session_picker_view',
  'show_mcp_startup_status',
  'show_tooltips',
  'status_line',
  'status_line_use_colors',
  'terminal_resize_reflow_max_rows',
  'terminal_title',
  'theme',
  'vim_mode_default',
]);
const windows = closedTable(['sandbox', 'sandbox_private_desktop']);

/** Scalar keys valid both at the top level and in a profile, accepted and not acted on. */
const ignoredSharedScalars = [
  'approvals_reviewer',
  'chatgpt_base_url',
  'experimental_compact_prompt_file',
  'experimental_use_unified_exec_tool',
  'include_apps_instructions',
  'include_collaboration_mode_instructions',
  'include_environment_context',
  'include_permissions_instructions',
  'model_catalog_json',
  'model_instructions_file',
  'model_verbosity',
  'oss_provider',
  'personality',
  'plan_mode_reasoning_effort',
  'service_tier',
  'web_search',
] as const;

/** Ignored keys of `[profiles.<name>]`. */
export const ignoredProfileKeys = {
  ...Object.fromEntries(ignoredSharedScalars.map((k) => [k, ignored])),
  analytics: analytics.optional(),
  features: features.optional(),
  tools: tools.optional(),
  tui: tui.optional(),
  windows: windows.optional(),
};

/** Ignored top-level scalar (or array) keys. */
const ignoredTopLevelScalars = [
  ...ignoredSharedScalars,
  'allow_login_shell',
  'apps_mcp_product_sku',
  'background_terminal_max_timeout',
  'check_for_update_on_startup',
  'cli_auth_credentials_store',
  'compact_prompt',
  'default_permissions',
  'disable_paste_burst',
  'experimental_realtime_start_instructions',
  'experimental_realtime_ws_backend_prompt',
  'experimental_realtime_ws_base_url',
  'experimental_realtime_ws_model',
  'experimental_realtime_ws_startup_context',
  'experimental_thread_config_endpoint',
  'experimental_thread_store',
  'file_opener',
  'forced_chatgpt_workspace_id',
  'forced_login_method',
  'hide_agent_reasoning',
  'log_dir',
  'mcp_oauth_callback_port',
  'mcp_oauth_callback_url',
  'mcp_oauth_credentials_store',
  'model_auto_compact_token_limit_scope',
  'model_supports_reasoning_summaries',
  'notify',
  'project_doc_fallback_filenames',
  'project_doc_max_bytes',
  'project_root_markers',
  'review_model',
  'show_raw_agent_reasoning',
  'sqlite_home',
  'suppress_unstable_features_warning',
  'tool_output_token_limit',
] as const;

/** Ignored top-level keys, with the table structure Codex gives them. */
export const ignoredTopLevelKeys = {
  ...Object.fromEntries(ignoredTopLevelScalars.map((k) => [k, ignored])),
  ...ignoredProfileKeys,
  agents: openTable.optional(),
  apps: openTable.optional(),
  audio: closedTable(['microphone', 'speaker']).optional(),
  auto_review: openTable.optional(),
  debug: closedTable(['config_lockfile']).optional(),
  desktop: openTable.optional(),
  feedback: closedTable(['enabled']).optional(),
  ghost_snapshot: closedTable(['disable_warnings', 'ignore_large_untracked_dirs', 'ignore_large_untracked_files']).optional(),
  history: closedTable(['max_bytes', 'persistence']).optional(),
  hooks: openTable.optional(),
  marketplaces: tableOf(['last_revision', 'last_updated', 'ref', 'source', 'source_type', 'sparse_paths']).optional(),
  memories: closedTable([
    'consolidation_model',
    'dedicated_tools',
    'disable_on_external_context',
    'extract_model',
    'generate_memories',
    'max_raw_memories_for_consolidation',
    'max_rollout_age_days',
    'max_rollouts_per_startup',
    'max_unused_days',
    'min_rate_limit_remaining_percent',
    'min_rollout_idle_hours',
    'use_memories',
  ]).optional(),
  notice: closedTable([
    'external_config_migration_prompts',
    'fast_default_opt_out',
    'hide_full_access_warning',
    'hide_gpt-5.1-codex-max_migration_prompt',
    'hide_gpt5_1_migration_prompt',
    'hide_rate_limit_model_nudge',
    'hide_world_writable_warning',
    'model_migrations',
  ]).optional(),
  otel: closedTable(['environment', 'exporter', 'log_user_prompt', 'metrics_exporter', 'span_attributes', 'trace_exporter', 'tracestate']).optional(),
  permissions: openTable.optional(),
  plugins: tableOf(['enabled', 'mcp_servers']).optional(),
  projects: tableOf(['trust_level']).optional(),
  realtime: closedTable(['transport', 'type', 'version', 'voice']).optional(),
  skills: closedTable(['bundled', 'config', 'include_instructions']).optional(),
  tool_suggest: closedTable(['disabled_tools', 'discoverables']).optional(),
};

/** Ignored keys of `[model_providers.<id>]`. */
export const ignoredProviderKeys = {
  auth: ignored,
  aws: ignored,
  env_key_instructions: ignored,
  supports_websockets: ignored,
  websocket_connect_timeout_ms: ignored,
};

/** Ignored keys of `[mcp_servers.<id>]` (the MCP servers' runtime reads the others). */
export const ignoredMcpServerKeys = {
  default_tools_approval_mode: ignored,
  environment_id: ignored,
  name: ignored,
  oauth: ignored,
  oauth_resource: ignored,
  scopes: ignored,
  supports_parallel_tool_calls: ignored,
  tools: ignored,
};

/** Ignored keys of `[shell_environment_policy]`. */
export const ignoredShellEnvironmentPolicyKeys = {
  experimental_use_profile: ignored,
};
