import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/load-config.js';
import { normalizeThreadLayer, threadConfig } from '../../../src/config/thread-config.js';
import { ConfigError, type Config } from '../../../src/config/types.js';

let home: string;
let base: Config;
beforeEach(() => {
  home = mkdtempSync(join(tmpdir(), 'agentd-thread-config-'));
  base = loadConfig({
    home,
    cwd: home,
    env: {},
    overrides: ['sandbox_mode="workspace-write"', 'sandbox_workspace_write.network_access=true', 'mcp_servers.docs.command="docs"'],
  }).config;
});
afterEach(() => {
  rmSync(home, { recursive: true, force: true });
});

describe('normalizeThreadLayer', () => {
  it('merges dotted keys and nested tables into one table, dropping nulls', () => {
    const layer = normalizeThreadLayer(
      {
        'sandbox_workspace_write.network_access': false,
        sandbox_workspace_write: { exclude_slash_tmp: true, writable_roots: null },
        'mcp_servers.a.command': 'x',
        mcp_servers: { a: { args: ['1'] }, b: { url: 'https://b' } },
        model: null,
      },
      '/w',
    );
    expect(layer).toEqual({
      sandbox_workspace_write: { network_access: false, exclude_slash_tmp: true },
      mcp_servers: { a: { command: 'x', args: ['1'] }, b: { url: 'https://b' } },
    });
  });

  it('resolves relative writable roots against the thread cwd', () => {
    const layer = normalizeThreadLayer({ 'sandbox_workspace_write.writable_roots': ['sub', '../up', '/abs'] }, '/w/proj');
    expect(layer).toEqual({ sandbox_workspace_write: { writable_roots: ['/w/proj/sub', '/w/up', '/abs'] } });
  });

  it('refuses keys that would reach an object prototype', () => {
    expect(() => normalizeThreadLayer({ '__proto__.x': 1 }, '/w')).toThrow(ConfigError);
    expect(() => normalizeThreadLayer(JSON.parse('{"a":{"__proto__":{"x":1}}}'), '/w')).toThrow(ConfigError);
    expect(() => normalizeThreadLayer({ 'a..b': 1 }, '/w')).toThrow(ConfigError);
    expect(({} as Record<string, unknown>)['x']).toBeUndefined();
  });
});

describe('threadConfig', () => {
  it('lays the layer over the daemon config without changing it', () => {
    const rawBefore = structuredClone(base.raw);
    const t = threadConfig(base, { 'sandbox_workspace_write.writable_roots': ['r'], mcp_servers: { ed: { command: 'ed' } }, model: 'm2' }, '/w');
    expect(t.config.sandboxWorkspaceWrite).toMatchObject({ writableRoots: ['/w/r'], networkAccess: true });
    expect(Object.keys(t.config.mcpServers).sort()).toEqual(['docs', 'ed']);
    expect(t.config.model).toBe('m2');
    expect([...t.keys].sort()).toEqual(['mcp_servers', 'model', 'sandbox_workspace_write']);
    expect(base.raw).toEqual(rawBefore);
    expect(base.sandboxWorkspaceWrite.writableRoots).toEqual([]);
    expect(Object.keys(base.mcpServers)).toEqual(['docs']);
  });

  it('names the key path of a wrong-typed value', () => {
    const err = (() => {
      try {
        threadConfig(base, { shell_environment_policy: { set: { A: 1 } } }, '/w');
      } catch (e) {
        return e as ConfigError;
      }
      throw new Error('expected a ConfigError');
    })();
    expect(err).toBeInstanceOf(ConfigError);
    expect(err.key).toBe('shell_environment_policy.set.A');
    expect(err.message).toContain('params.config');
  });

  it('warns about unknown keys of the layer only, and counts the keys of a profile it selects', () => {
    const withProfile = loadConfig({ home, cwd: home, env: {}, overrides: ['profiles.fast.model="quick"', 'profiles.fast.approval_policy="never"', 'typo_in_daemon=1'] }).config;
    const t = threadConfig(withProfile, { profile: 'fast', modle: 'x' }, '/w');
    expect(t.warnings.map((w) => w.summary)).toEqual(['unknown config key `modle` is ignored']);
    expect(t.config.model).toBe('quick');
    expect([...t.keys].sort()).toEqual(['approval_policy', 'model', 'modle', 'profile']);
  });
});
