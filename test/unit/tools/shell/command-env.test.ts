import { describe, expect, it } from 'vitest';
import {
  withExplicitBareRepositories,
  buildCommandEnv,
  commandEnvFor,
  DEFAULT_SHELL_ENVIRONMENT_POLICY,
  envPatternRegExp,
  providerSecretNames,
} from '../../../../src/tools/shell/command-env.js';
import { defaultCommandEnv } from '../../../../src/tools/shell/runtime.js';
import type { ShellEnvironmentPolicy } from '../../../../src/config/types.js';

const base: NodeJS.ProcessEnv = {
  PATH: '/usr/bin:/bin',
  HOME: '/home/u',
  USER: 'u',
  LANG: 'C.UTF-8',
  OPENAI_API_KEY: 'sk-1',
  GITHUB_TOKEN: 'ghp-1',
  AWS_SECRET_ACCESS_KEY: 'aws-1',
  my_private_token: 'lower',
  MOCK_PROVIDER_CREDENTIAL: 'cred-1',
  HEADER_CREDENTIAL: 'hdr-1',
  AWS_REGION: 'eu-west-1',
  FOO: 'foo',
};

const policy = (p: Partial<ShellEnvironmentPolicy>): ShellEnvironmentPolicy => ({ ...DEFAULT_SHELL_ENVIRONMENT_POLICY, ...p });

describe('command environment from [shell_environment_policy]', () => {
  it('by default drops every KEY, SECRET and TOKEN name (any case) and the providers\' credential variables', () => {
    const env = buildCommandEnv(DEFAULT_SHELL_ENVIRONMENT_POLICY, base, ['MOCK_PROVIDER_CREDENTIAL', 'HEADER_CREDENTIAL']);
    for (const k of ['OPENAI_API_KEY', 'GITHUB_TOKEN', 'AWS_SECRET_ACCESS_KEY', 'my_private_token', 'MOCK_PROVIDER_CREDENTIAL', 'HEADER_CREDENTIAL']) {
      expect(env).not.toHaveProperty(k);
    }
    expect(env).toMatchObject({ PATH: '/usr/bin:/bin', HOME: '/home/u', AWS_REGION: 'eu-west-1', FOO: 'foo' });
    // Commands never wait on a terminal.
    expect(env).toMatchObject({ NO_COLOR: '1', TERM: 'dumb', PAGER: 'cat', GIT_PAGER: 'cat' });
  });

  it('ignore_default_excludes lets them through', () => {
    const env = buildCommandEnv(policy({ ignoreDefaultExcludes: true }), base, ['MOCK_PROVIDER_CREDENTIAL']);
    expect(env).toMatchObject({ OPENAI_API_KEY: 'sk-1', GITHUB_TOKEN: 'ghp-1', MOCK_PROVIDER_CREDENTIAL: 'cred-1' });
  });

  it('inherit core keeps only the core names; none keeps nothing', () => {
    const core = buildCommandEnv(policy({ inherit: 'core' }), base);
    expect(Object.keys(core).sort()).toEqual(['GIT_PAGER', 'HOME', 'NO_COLOR', 'PAGER', 'PATH', 'TERM', 'USER']);
    const none = buildCommandEnv(policy({ inherit: 'none' }), base);
    expect(Object.keys(none).sort()).toEqual(['GIT_PAGER', 'NO_COLOR', 'PAGER', 'TERM']);
  });

  it('applies exclude, then set, then include_only, in that order', () => {
    const env = buildCommandEnv(
      policy({ exclude: ['aws_*', 'F?O'], set: { AWS_PROFILE: 'dev', EXTRA: 'x', TERM: 'xterm' }, includeOnly: ['PATH', 'AWS_*', 'TERM'] }),
      base,
    );
    // exclude removed AWS_REGION and FOO; set put AWS_PROFILE back in (set wins over exclude);
    // include_only then dropped HOME, EXTRA…; set's TERM beats the non-interactive default.
    expect(env).toEqual({ PATH: '/usr/bin:/bin', AWS_PROFILE: 'dev', TERM: 'xterm', NO_COLOR: '1', PAGER: 'cat', GIT_PAGER: 'cat' });
  });

  it('a set value can carry a name the default excludes would drop', () => {
    const env = buildCommandEnv(policy({ set: { SERVICE_TOKEN: 'for-tests' } }), base);
    expect(env.SERVICE_TOKEN).toBe('for-tests');
  });

  it('patterns are case-insensitive globs over the whole name', () => {
    expect(envPatternRegExp('*KEY*').test('openai_api_key')).toBe(true);
    expect(envPatternRegExp('KEY').test('KEYS')).toBe(false);
    expect(envPatternRegExp('A?C').test('abc')).toBe(true);
    expect(envPatternRegExp('[ab]X').test('bx')).toBe(true);
    expect(envPatternRegExp('[!ab]X').test('bx')).toBe(false);
    expect(envPatternRegExp('A.B').test('AxB')).toBe(false);
    expect(envPatternRegExp('A(B').test('A(B')).toBe(true);
  });

  it("collects every provider's env_key and env_http_headers variables", () => {
    const names = providerSecretNames({
      providerSources: {
        a: { builtIn: true, envKey: 'OPENAI_API_KEY', staticHttpHeaders: {}, envHttpHeaders: {} },
        b: { builtIn: false, envKey: 'MOCK_PROVIDER_CREDENTIAL', staticHttpHeaders: {}, envHttpHeaders: { 'X-Org': 'HEADER_CREDENTIAL' } },
        c: { builtIn: true, envKey: null, staticHttpHeaders: {}, envHttpHeaders: {} },
      },
    });
    expect(names.sort()).toEqual(['HEADER_CREDENTIAL', 'MOCK_PROVIDER_CREDENTIAL', 'OPENAI_API_KEY']);
  });

  it('commandEnvFor reads the environment at each call', () => {
    let current: NodeJS.ProcessEnv = { A: '1' };
    const make = commandEnvFor({ providerSources: {} }, () => current);
    expect(make().A).toBe('1');
    current = { A: '2' };
    expect(make().A).toBe('2');
  });

  it('the default command environment (no config) keeps secrets out too', () => {
    const saved = process.env.AGENTD_TEST_SECRET_TOKEN;
    process.env.AGENTD_TEST_SECRET_TOKEN = 'x';
    try {
      expect(defaultCommandEnv()).not.toHaveProperty('AGENTD_TEST_SECRET_TOKEN');
    } finally {
      if (saved === undefined) delete process.env.AGENTD_TEST_SECRET_TOKEN;
      else process.env.AGENTD_TEST_SECRET_TOKEN = saved;
    }
  });
});

describe('withExplicitBareRepositories', () => {
  it('adds safe.bareRepository=explicit after the GIT_CONFIG_COUNT entries already there', () => {
    expect(withExplicitBareRepositories({ PATH: '/bin' })).toEqual({
      PATH: '/bin',
      GIT_CONFIG_COUNT: '1',
      GIT_CONFIG_KEY_0: 'safe.bareRepository',
      GIT_CONFIG_VALUE_0: 'explicit',
    });
    const user = { GIT_CONFIG_COUNT: '1', GIT_CONFIG_KEY_0: 'user.name', GIT_CONFIG_VALUE_0: 'me' };
    expect(withExplicitBareRepositories(user)).toEqual({
      ...user,
      GIT_CONFIG_COUNT: '2',
      GIT_CONFIG_KEY_1: 'safe.bareRepository',
      GIT_CONFIG_VALUE_1: 'explicit',
    });
  });
});
