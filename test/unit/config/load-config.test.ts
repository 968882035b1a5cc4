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
    expect(config.mcpServers).toEqual({ docs: { command: 'docs-mcp', args: ['--stdio'], env: { TOKEN: 't' } } });
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

  it('warns about each unknown key and still loads a full Codex config', () => {
    writeConfig(`
model = "gpt-5"
model_verbosity = "low"
notify = ["notify-send"]

[tui]
notifications = true

[features]
web_search_request = true

[projects."/home/me/repo"]
trust_level = "trusted"

[shell_environment_policy]
inherit = "core"

[model_providers.openai]
requires_openai_auth = true
`);
    const { config, warnings } = load();
    expect(config.model).toBe('gpt-5');
    expect(config.shellEnvironmentPolicy?.inherit).toBe('core');
    const summaries = warnings.map((w) => w.summary).sort();
    expect(summaries).toEqual(
      [
        'unknown config key `features` is ignored',
        'unknown config key `model_providers.openai.requires_openai_auth` is ignored',
        'unknown config key `model_verbosity` is ignored',
        'unknown config key `notify` is ignored',
        'unknown config key `projects` is ignored',
        'unknown config key `tui` is ignored',
      ].sort(),
    );
    expect(warnings.every((w) => w.path === join(home, 'config.toml'))).toBe(true);
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
