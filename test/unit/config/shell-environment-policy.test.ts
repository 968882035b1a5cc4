import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/load-config.js';
import { ConfigError } from '../../../src/config/types.js';

let home: string;
beforeEach(() => {
  home = mkdtempSync(join(tmpdir(), 'agentd-config-env-'));
});
afterEach(() => {
  rmSync(home, { recursive: true, force: true });
});

describe('[shell_environment_policy] in config', () => {
  it('is read with every Codex key and no warning', () => {
    writeFileSync(
      join(home, 'config.toml'),
      [
        '[shell_environment_policy]',
        'inherit = "core"',
        'ignore_default_excludes = true',
        'exclude = ["AWS_*", "AZURE_*"]',
        'include_only = ["PATH", "HOME", "MY_*"]',
        '[shell_environment_policy.set]',
        'MY_FLAG = "1"',
      ].join('\n'),
    );
    const { config, warnings } = loadConfig({ home, env: {}, cwd: home });
    expect(warnings).toEqual([]);
    expect(config.shellEnvironmentPolicy).toEqual({
      inherit: 'core',
      ignoreDefaultExcludes: true,
      exclude: ['AWS_*', 'AZURE_*'],
      includeOnly: ['PATH', 'HOME', 'MY_*'],
      set: { MY_FLAG: '1' },
    });
  });

  it('defaults to inheriting everything but the default excludes', () => {
    const { config } = loadConfig({ home, env: {}, cwd: home });
    expect(config.shellEnvironmentPolicy).toEqual({ inherit: 'all', ignoreDefaultExcludes: false, exclude: [], includeOnly: [], set: {} });
  });

  it('takes -c overrides, and rejects a bad inherit value naming the key', () => {
    const { config } = loadConfig({ home, env: {}, cwd: home, overrides: ['shell_environment_policy.set.X="y"'] });
    expect(config.shellEnvironmentPolicy?.set).toEqual({ X: 'y' });
    expect(() => loadConfig({ home, env: {}, cwd: home, overrides: ['shell_environment_policy.inherit="some"'] })).toThrow(ConfigError);
    try {
      loadConfig({ home, env: {}, cwd: home, overrides: ['shell_environment_policy.inherit="some"'] });
    } catch (err) {
      expect((err as ConfigError).key).toBe('shell_environment_policy.inherit');
    }
  });
});
