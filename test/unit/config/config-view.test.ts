import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { configReadView } from '../../../src/config/config-view.js';
import { loadConfig } from '../../../src/config/load-config.js';

let home: string;
beforeEach(() => {
  home = mkdtempSync(join(tmpdir(), 'agentd-view-'));
});
afterEach(() => {
  rmSync(home, { recursive: true, force: true });
});

describe('configReadView', () => {
  it('shows the effective config in Codex key names without any secret', () => {
    writeFileSync(
      join(home, 'config.toml'),
      `model = "gpt-5"
approval_policy = "never"
[model_providers.mock]
base_url = "http://127.0.0.1:1/v1"
env_key = "MOCK_KEY"
http_headers = { Authorization = "Bearer static-secret" }
env_http_headers = { "X-Token" = "MOCK_TOKEN" }
[mcp_servers.docs]
command = "docs"
env = { TOKEN = "mcp-secret" }
`,
    );
    const { config } = loadConfig({
      home,
      env: { OPENAI_API_KEY: 'sk-openai-secret', MOCK_KEY: 'mock-secret', MOCK_TOKEN: 'token-secret' },
    });
    const view = configReadView(config);
    expect(view.origins).toEqual({});
    expect(view.config).toMatchObject({
      model: 'gpt-5',
      model_provider: 'openai',
      approval_policy: 'never',
      sandbox_mode: 'read-only',
      sandbox_workspace_write: {
        writable_roots: [],
        network_access: false,
        exclude_tmpdir_env_var: false,
        exclude_slash_tmp: false,
      },
      model_context_window: null,
      model_auto_compact_token_limit: null,
      model_reasoning_effort: null,
      model_reasoning_summary: null,
      developer_instructions: null,
    });
    const providers = view.config['model_providers'] as Record<string, Record<string, unknown>>;
    expect(providers['mock']).toMatchObject({
      base_url: 'http://127.0.0.1:1/v1',
      wire_api: 'chat',
      env_key: 'MOCK_KEY',
      env_http_headers: { 'X-Token': 'MOCK_TOKEN' },
    });
    expect(providers['openai']).toMatchObject({ env_key: 'OPENAI_API_KEY', wire_api: 'responses' });
    const text = JSON.stringify(view);
    for (const secret of ['sk-openai-secret', 'mock-secret', 'token-secret', 'static-secret', 'mcp-secret']) {
      expect(text).not.toContain(secret);
    }
  });
});
