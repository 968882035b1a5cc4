import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/load-config.js';
import { listModels, modelInfo } from '../../../src/config/models.js';
import type { Config } from '../../../src/config/types.js';

function config(overrides: string[] = []): Config {
  // A home that does not exist: no config file, defaults only.
  return loadConfig({ home: '/nonexistent/agentd-home', overrides, env: {} }).config;
}

describe('modelInfo', () => {
  it('knows the catalogue windows and picks tool styles by family', () => {
    expect(modelInfo('gpt-5-codex')).toMatchObject({ contextWindow: 272_000, toolStyle: 'codex' });
    expect(modelInfo('gpt-4.1')).toMatchObject({ contextWindow: 1_047_576, toolStyle: 'classic' });
    expect(modelInfo('o3')).toMatchObject({ contextWindow: 200_000, toolStyle: 'classic' });
    expect(modelInfo('my-codex-finetune').toolStyle).toBe('codex');
  });

  it('gives dated and tagged variants their family window', () => {
    expect(modelInfo('gpt-4o-2024-08-06').contextWindow).toBe(128_000);
    expect(modelInfo('qwen2.5-coder:7b').contextWindow).toBe(32_768);
    expect(modelInfo('gpt-4o-2024-08-06').displayName).toBe('gpt-4o-2024-08-06');
  });

  it('defaults an unknown model to 128000 tokens', () => {
    expect(modelInfo('totally-unknown')).toMatchObject({ contextWindow: 128_000, toolStyle: 'classic', isDefault: false });
  });

  it('lets model_context_window and a non-auto tool_style override the catalogue', () => {
    const c = config(['model_context_window=4096', 'tool_style=classic']);
    expect(modelInfo('gpt-5-codex', c)).toMatchObject({ contextWindow: 4096, toolStyle: 'classic', isDefault: true });
  });
});

describe('listModels', () => {
  it('puts the configured model first, marked default, followed by the catalogue', () => {
    const models = listModels(config(['model=my-local-model']));
    expect(models[0]).toMatchObject({ model: 'my-local-model', isDefault: true });
    expect(models.filter((m) => m.isDefault)).toHaveLength(1);
    expect(models.map((m) => m.model)).toContain('gpt-5-codex');
  });

  it('does not list the configured model twice when it is in the catalogue', () => {
    const models = listModels(config());
    expect(models[0]!.model).toBe('gpt-5-codex');
    expect(models.filter((m) => m.model === 'gpt-5-codex')).toHaveLength(1);
  });
});
