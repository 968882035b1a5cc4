import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/load-config.js';
import { ConfigError } from '../../../src/config/types.js';

let home: string;
beforeEach(() => {
  home = mkdtempSync(join(tmpdir(), 'agentd-config-'));
});
afterEach(() => {
  rmSync(home, { recursive: true, force: true });
});

function writeConfig(text: string): void {
  writeFileSync(join(home, 'config.toml'), text);
}

function load(overrides: string[] = [], env: NodeJS.ProcessEnv = {}) {
  return loadConfig({ home, overrides, env, cwd: home });
}

function loadError(overrides: string[] = [], env: NodeJS.ProcessEnv = {}): ConfigError {
  try {
    load(overrides, env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error('expected loadConfig to throw');
}

describe('loadConfig', () => {
  it('returns Codex defaults when there is no config file', () => {
    const { config, warnings } = load();
    expect(warnings).toEqual([]);
    expect(config.home).toBe(home);
    expect(config.model).toBe('gpt-5-codex');
    expect(config.modelProvider).toBe('openai');
    expect(config.approvalPolicy).toBe('on-request');
    expect(config.sandboxMode).toBe('read-only');
    expect(config.toolStyle).toBe('auto');
    expect(config.configFile).toBeNull();
    expect(config.providers['openai']).toMatchObject({
      name: 'OpenAI',
      baseUrl: 'https://api.openai.com/v1',
      wireApi: 'responses',
      requestMaxRetries: 4,
      streamMaxRetries: 5,
      streamIdleTimeoutMs: 300_000,
    });
    expect(config.providers['ollama']).toMatchObject({ baseUrl: 'http://localhost:11434/v1', wireApi: 'chat' });
    expect(config.providers['ollama']!.apiKey).toBeUndefined();
  });

  it('finds the home through AGENTD_HOME when no home is given', () => {
    writeConfig('model = "o3"\n');
    const { config } = loadConfig({ env: { AGENTD_HOME: home } });
    expect(config.home).toBe(home);
    expect(config.model).toBe('o3');
  });

  it('reads the API key from env_key and OPENAI_BASE_URL for the built-in provider', () => {
    const { config } = load([], { OPENAI_API_KEY: 'sk-test', OPENAI_BASE_URL: 'http://proxy.local/v1' });
    expect(config.providers['openai']!.apiKey).toBe('sk-test');
    expect(config.providers['openai']!.baseUrl).toBe('http://proxy.local/v1');
  });

  it('reads the known Codex keys from config.toml', () => {
    writeConfig(`
model = "my-model"
model_provider = "mock"
approval_policy = "never"
sandbox_mode = "workspace-write"
model_context_window = 64000
model_auto_compact_token_limit = 50000
model_reasoning_effort = "high"
model_reasoning_summary = "detailed"
developer_instructions = "be brief"
instructions = "you are a bot"
tool_style = "classic"

[sandbox_workspace_write]
writable_roots = ["/opt/data", "rel"]
network_access = true

[model_providers.mock]
name = "Mock"
base_url = "http://127.0.0.1:9999/v1"
env_key = "MOCK_KEY"
http_headers = { "X-Static" = "1" }
env_http_headers = { "X-From-Env" = "MOCK_HEADER" }
query_params = { "api-version" = "2025-01-01" }
request_max_retries = 0
stream_idle_timeout_ms = 1000

[mcp_servers.docs]
command = "docs-mcp"
args = ["--stdio"]
env = { TOKEN = "t" }
startup_timeout_sec = 10
`);
    const { config, warnings } = load([], { MOCK_KEY: 'k', MOCK_HEADER: 'h' });
    expect(warnings).toEqual([]);
    expect(config.model).toBe('my-model');
    expect(config.modelProvider).toBe('mock');
    expect(config.approvalPolicy).toBe('never');
    expect(config.sandboxMode).toBe('workspace-write');
    expect(config.sandboxWorkspaceWrite).toEqual({
      writableRoots: ['/opt/data', join(home, 'rel')],
      networkAccess: true,
      excludeTmpdirEnvVar: false,
      excludeSlashTmp: false,
    });
    expect(config.modelContextWindow).toBe(64000);
    expect(config.modelAutoCompactTokenLimit).toBe(50000);
    expect(config.modelReasoningEffort).toBe('high');
    expect(config.modelReasoningSummary).toBe('detailed');
    expect(config.developerInstructions).toBe('be brief');
    expect(config.baseInstructions).toBe('you are a bot');
    expect(config.toolStyle).toBe('classic');
    expect(config.providers['mock']).toEqual({
      id: 'mock',
      name: 'Mock',
      baseUrl: 'http://127.0.0.1:9999/v1',
      wireApi: 'chat',
      apiKey: 'k',
      httpHeaders: { 'X-Static': '1', 'X-From-Env': 'h' },
      queryParams: { 'api-version': '2025-01-01' },
      requestMaxRetries: 0,
      streamMaxRetries: 5,
      streamIdleTimeoutMs: 1000,
    });
    expect(config.mcpServers).toEqual({ docs: { command: 'docs-mcp', args: ['--stdio'], env: { TOKEN: 't' }, startupTimeoutSec: 10 } });
    expect((config.raw['mcp_servers'] as Record<string, Record<string, unknown>>)['docs']!['startup_timeout_sec']).toBe(10);
  });

  it('lets a user table override individual fields of a built-in provider', () => {
    writeConfig('[model_providers.openai]\nbase_url = "http://localhost:1/v1"\n');
    const { config } = load([], { OPENAI_API_KEY: 'sk' });
    expect(config.providers['openai']).toMatchObject({
      name: 'OpenAI',
      baseUrl: 'http://localhost:1/v1',
      wireApi: 'responses',
      apiKey: 'sk',
    });
  });

  it('loads a full Codex config.toml quietly: every Codex key is honoured or accepted', () => {
    writeConfig(FULL_CODEX_CONFIG);
    const { config, warnings } = load([], { OPENAI_API_KEY: 'sk-test' });
    expect(warnings).toEqual([]);
    // The keys agentd honours took effect next to the ignored ones.
    expect(config.model).toBe('gpt-5.1-codex');
    expect(config.modelProvider).toBe('azure');
    expect(config.approvalPolicy).toBe('on-request');
    expect(config.sandboxMode).toBe('workspace-write');
    expect(config.sandboxWorkspaceWrite.writableRoots).toEqual(['/home/me/scratch']);
    expect(config.shellEnvironmentPolicy?.inherit).toBe('core');
    expect(config.modelReasoningEffort).toBe('high');
    expect(config.providers['openai']!.baseUrl).toBe('https://proxy.example.com/v1');
    expect(config.providers['azure']).toMatchObject({ apiKey: 'sk-test', queryParams: { 'api-version': '2025-04-01-preview' } });
    expect(config.providerSources?.['azure']).toMatchObject({ requiresOpenaiAuth: true, envKey: 'OPENAI_API_KEY' });
    expect(config.mcpServers['docs']).toMatchObject({ command: 'docs-mcp', enabled: true, toolTimeoutSec: 60, enabledTools: ['search'] });
    expect(config.mcpServers['remote']).toMatchObject({ url: 'https://mcp.example.com/mcp', bearerTokenEnvVar: 'REMOTE_TOKEN' });
  });

  it('warns about keys Codex would not know either, naming their path, and ignores them', () => {
    writeConfig(`
modle = "x"
model = "gpt-5"

[sandbox_workspace_write]
writeable_roots = ["/tmp/a"]

[tui]
notifcations = true

[projects."/home/me/repo"]
trust = "trusted"

[model_providers.local]
base_url = "http://127.0.0.1:1/v1"
requires_openai_auht = true

[mcp_servers.docs]
command = "docs-mcp"
startup_timeout = 10

[profiles.fast]
model_reasoning_efort = "low"
`);
    const { config, warnings } = load();
    expect(config.model).toBe('gpt-5');
    expect(config.sandboxWorkspaceWrite.writableRoots).toEqual([]);
    expect(warnings.map((w) => w.summary).sort()).toEqual(
      [
        'unknown config key `modle` is ignored',
        'unknown config key `sandbox_workspace_write.writeable_roots` is ignored',
        'unknown config key `tui.notifcations` is ignored',
        'unknown config key `projects."/home/me/repo".trust` is ignored',
        'unknown config key `model_providers.local.requires_openai_auht` is ignored',
        'unknown config key `mcp_servers.docs.startup_timeout` is ignored',
        'unknown config key `profiles.fast.model_reasoning_efort` is ignored',
      ].sort(),
    );
    expect(warnings.every((w) => w.path === join(home, 'config.toml'))).toBe(true);
  });

  it('keeps a wrong-typed table of an ignored Codex key an error', () => {
    writeConfig('tui = true\n');
    expect(loadError().key).toBe('tui');
  });

  it('reports a malformed file with its path, line and column', () => {
    writeConfig('model = "gpt-5"\napproval_policy = = "never"\n');
    const err = loadError();
    expect(err.message).toContain(join(home, 'config.toml'));
    expect(err.message).toMatch(/:2:\d+/);
  });

  it('names the key and the allowed values for an invalid enum value', () => {
    writeConfig('approval_policy = "sometimes"\n');
    const err = loadError();
    expect(err.key).toBe('approval_policy');
    expect(err.message).toContain(
      'approval_policy: expected one of untrusted, on-failure, on-request, never, got "sometimes"',
    );
  });

  it('names the dotted key for a nested value of the wrong type', () => {
    writeConfig('[model_providers.mock]\nbase_url = "http://x"\nrequest_max_retries = "four"\n');
    const err = loadError();
    expect(err.key).toBe('model_providers.mock.request_max_retries');
    expect(err.message).toMatch(/^model_providers\.mock\.request_max_retries: expected (a number|an integer), got "four"/);
  });

  it('rejects an unknown model_provider id', () => {
    writeConfig('model_provider = "nowhere"\n');
    const err = loadError();
    expect(err.key).toBe('model_provider');
    expect(err.message).toContain('nowhere');
  });
});

describe('-c overrides', () => {
  it('win over the file and parse values as TOML', () => {
    writeConfig('model = "gpt-5"\nmodel_context_window = 1000\n');
    const { config } = load([
      'model=o3',
      'model_context_window=2000',
      'sandbox_workspace_write.writable_roots=["/a", "/b"]',
      'sandbox_workspace_write.network_access=true',
      'approval_policy="never"',
    ]);
    expect(config.model).toBe('o3');
    expect(config.modelContextWindow).toBe(2000);
    expect(config.sandboxWorkspaceWrite.writableRoots).toEqual(['/a', '/b']);
    expect(config.sandboxWorkspaceWrite.networkAccess).toBe(true);
    expect(config.approvalPolicy).toBe('never');
  });

  it('create nested tables such as a whole new provider', () => {
    const { config } = load([
      'model_providers.mock.base_url=http://127.0.0.1:1234/v1',
      'model_providers.mock.wire_api=responses',
      'model_provider=mock',
    ]);
    expect(config.modelProvider).toBe('mock');
    expect(config.providers['mock']).toMatchObject({ baseUrl: 'http://127.0.0.1:1234/v1', wireApi: 'responses' });
  });

  it('blame the override when its value is invalid', () => {
    writeConfig('sandbox_mode = "read-only"\n');
    const err = loadError(['sandbox_mode=everything']);
    expect(err.key).toBe('sandbox_mode');
    expect(err.message).toContain('from -c override');
  });

  it('reject an override without =', () => {
    expect(() => load(['model'])).toThrow(ConfigError);
  });
});

describe('profiles', () => {
  it('lay the selected profile over the top-level keys', () => {
    writeConfig(`
model = "gpt-5"
approval_policy = "on-request"
profile = "fast"

[profiles.fast]
model = "gpt-5-mini"
approval_policy = "never"

[profiles.slow]
model = "o3"
`);
    expect(load().config).toMatchObject({ model: 'gpt-5-mini', approvalPolicy: 'never', profile: 'fast' });
    expect(load(['profile=slow']).config).toMatchObject({ model: 'o3', approvalPolicy: 'on-request' });
  });

  it('reject a profile that does not exist', () => {
    writeConfig('profile = "nope"\n');
    expect(loadError().key).toBe('profile');
  });
});

/** A realistic Codex config.toml using many of the keys Codex's config schema defines. */
const FULL_CODEX_CONFIG = `
model = "gpt-5.1-codex"
model_provider = "azure"
review_model = "gpt-5.1-codex"
model_reasoning_effort = "high"
model_reasoning_summary = "auto"
model_verbosity = "medium"
model_supports_reasoning_summaries = true
plan_mode_reasoning_effort = "medium"
approval_policy = "on-request"
approvals_reviewer = "user"
sandbox_mode = "workspace-write"
check_for_update_on_startup = false
disable_paste_burst = true
file_opener = "vscode"
hide_agent_reasoning = false
show_raw_agent_reasoning = false
notify = ["notify-send", "Codex"]
openai_base_url = "https://proxy.example.com/v1"
chatgpt_base_url = "https://chatgpt.com/backend-api/"
cli_auth_credentials_store = "keyring"
forced_login_method = "api"
mcp_oauth_credentials_store = "auto"
project_doc_max_bytes = 32768
project_doc_fallback_filenames = ["CLAUDE.md"]
project_root_markers = [".git", ".hg"]
tool_output_token_limit = 12000
background_terminal_max_timeout = 300000
personality = "pragmatic"
service_tier = "flex"
web_search = "cached"
compact_prompt = "Summarize."
log_dir = "/tmp/codex-logs"
suppress_unstable_features_warning = true
allow_login_shell = true
include_environment_context = true
model_auto_compact_token_limit_scope = "thread"

[analytics]
enabled = false

[feedback]
enabled = false

[features]
web_search_request = true
unified_exec = true
apply_patch_freeform = true
shell_snapshot = false

[tui]
notifications = ["agent-turn-complete", "approval-requested"]
animations = false
show_tooltips = false
theme = "dark"
status_line = ["model", "cwd"]

[tui.keymap]
submit = "enter"

[history]
persistence = "save-all"
max_bytes = 10485760

[otel]
environment = "dev"
exporter = "none"
log_user_prompt = false

[notice]
hide_full_access_warning = true
hide_rate_limit_model_nudge = true
"hide_gpt-5.1-codex-max_migration_prompt" = true

[notice.model_migrations]
"gpt-5" = "gpt-5.1"

[ghost_snapshot]
disable_warnings = true

[memories]
use_memories = false

[tools]
web_search = true

[windows]
sandbox = "elevated"

[sandbox_workspace_write]
writable_roots = ["/home/me/scratch"]
network_access = false
exclude_tmpdir_env_var = false
exclude_slash_tmp = false

[shell_environment_policy]
inherit = "core"
ignore_default_excludes = false
exclude = ["AWS_*"]
set = { CI = "1" }
include_only = []
experimental_use_profile = false

[projects."/home/me/repo"]
trust_level = "trusted"

[projects."/home/me/other"]
trust_level = "untrusted"

[model_providers.azure]
name = "Azure"
base_url = "https://example.openai.azure.com/openai"
wire_api = "responses"
requires_openai_auth = true
query_params = { api-version = "2025-04-01-preview" }
supports_websockets = false
websocket_connect_timeout_ms = 5000
env_key_instructions = "Set OPENAI_API_KEY"
request_max_retries = 4
stream_max_retries = 5
stream_idle_timeout_ms = 300000

[model_providers.openai]
name = "OpenAI"
supports_websockets = true

[mcp_servers.docs]
command = "docs-mcp"
args = ["--stdio"]
env = { DOCS_HOME = "/srv/docs" }
cwd = "/srv/docs"
enabled = true
required = false
startup_timeout_sec = 20
tool_timeout_sec = 60
enabled_tools = ["search"]
disabled_tools = ["delete"]
supports_parallel_tool_calls = true

[mcp_servers.docs.tools.search]
approval_mode = "approve"

[mcp_servers.remote]
url = "https://mcp.example.com/mcp"
bearer_token_env_var = "REMOTE_TOKEN"
http_headers = { "X-Team" = "core" }
scopes = ["read"]

[profiles.deep]
model = "gpt-5.1-codex"
model_reasoning_effort = "xhigh"
model_verbosity = "high"
approvals_reviewer = "user"
personality = "friendly"
web_search = "live"

[profiles.deep.features]
unified_exec = false

[profiles.deep.tui]
theme = "light"

[agents.reviewer]
description = "Reviews diffs"
config_file = "reviewer.toml"

[plugins.example]
enabled = true

[marketplaces.team]
source = "https://example.com/market.git"
source_type = "git"

[skills]
include_instructions = true

[hooks]
state = {}

[realtime]
voice = "alloy"

[audio]
microphone = "default"

[debug]
config_lockfile = "/tmp/lock"

[tool_suggest]
disabled_tools = []

[permissions]

[apps._default]
enabled = true
`;
