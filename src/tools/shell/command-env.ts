import type { Config, ShellEnvironmentPolicy } from '../../config/types.js';

/** The policy when `[shell_environment_policy]` says nothing: everything but secrets. */
export const DEFAULT_SHELL_ENVIRONMENT_POLICY: ShellEnvironmentPolicy = {
  inherit: 'all',
  ignoreDefaultExcludes: false,
  exclude: [],
  set: {},
  includeOnly: [],
};

/** Names `inherit = "core"` keeps. */
export const CORE_ENV_VARS: readonly string[] = ['HOME', 'LOGNAME', 'PATH', 'SHELL', 'USER', 'USERNAME', 'TMPDIR', 'TEMP', 'TMP'];

/** Dropped unless `ignore_default_excludes`: names that usually hold credentials. */
export const DEFAULT_EXCLUDES: readonly string[] = ['*KEY*', '*SECRET*', '*TOKEN*'];

/** Settings that keep commands from waiting on a terminal (pagers, colours). */
export const NON_INTERACTIVE_ENV: Readonly<Record<string, string>> = {
  NO_COLOR: '1',
  TERM: 'dumb',
  PAGER: 'cat',
  GIT_PAGER: 'cat',
};

/** A case-insensitive glob over a whole name: `*` any run, `?` one character, `[...]` a class. */
export function envPatternRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const ch = glob[i]!;
    if (ch === '*') re += '.*';
    else if (ch === '?') re += '.';
    else if (ch === '[') {
      const end = glob.indexOf(']', i + 2);
      if (end < 0) {
        re += '\\[';
        continue;
      }
      let body = glob.slice(i + 1, end);
      if (body.startsWith('!')) body = `^${body.slice(1)}`;
      re += `[${body.replace(/\\/g, '\\\\')}]`;
      i = end;
    } else re += ch.replace(/[.+^${}()|\\/]/g, '\\$&');
  }
  return new RegExp(`^${re}$`, 'i');
}

function matcher(patterns: readonly string[]): (name: string) => boolean {
  const res = patterns.map(envPatternRegExp);
  return (name) => res.some((r) => r.test(name));
}

/**
 * Builds a command environment from `base` (the daemon's) by the policy (see
 * `ShellEnvironmentPolicy` for the order). `secretNames` (the providers' credential variables) are
 * dropped with the default excludes. The non-interactive settings are added last unless `set`
 * names them.
 */
export function buildCommandEnv(
  policy: ShellEnvironmentPolicy,
  base: NodeJS.ProcessEnv,
  secretNames: readonly string[] = [],
): NodeJS.ProcessEnv {
  let env: [string, string][] = [];
  if (policy.inherit !== 'none') {
    const core = new Set(CORE_ENV_VARS);
    for (const [k, v] of Object.entries(base)) {
      if (v === undefined) continue;
      if (policy.inherit === 'all' || core.has(k)) env.push([k, v]);
    }
  }
  if (!policy.ignoreDefaultExcludes) {
    const isDefault = matcher(DEFAULT_EXCLUDES);
    const secrets = new Set(secretNames);
    env = env.filter(([k]) => !isDefault(k) && !secrets.has(k));
  }
  if (policy.exclude.length > 0) {
    const isExcluded = matcher(policy.exclude);
    env = env.filter(([k]) => !isExcluded(k));
  }
  const out: NodeJS.ProcessEnv = Object.fromEntries(env);
  for (const [k, v] of Object.entries(policy.set)) out[k] = v;
  if (policy.includeOnly.length > 0) {
    const isIncluded = matcher(policy.includeOnly);
    for (const k of Object.keys(out)) if (!isIncluded(k)) delete out[k];
  }
  for (const [k, v] of Object.entries(NON_INTERACTIVE_ENV)) if (!(k in policy.set)) out[k] = v;
  return out;
}

/**
 * `env` plus `safe.bareRepository=explicit` for git (appended to any `GIT_CONFIG_COUNT` entries
 * already there), for commands that run because they are known-safe, without a question.
 *
 * A directory shaped like a bare repository (`HEAD`, `config`, `objects/`, `refs/`) is ordinary
 * content a cloned project can carry, and git takes it as the repository when run inside it:
 * its `config` then names programs git runs (`core.fsmonitor` on `git status`, textconv drivers
 * on `git log -p`). So `git status` with `workdir` in such a directory would run the project's
 * code with no approval. Explicit bare repositories (`--git-dir`, `GIT_DIR`) still work, and git
 * before 2.38 ignores the setting.
 */
export function withExplicitBareRepositories(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const count = Number(env.GIT_CONFIG_COUNT ?? '0');
  const n = Number.isInteger(count) && count >= 0 ? count : 0;
  return {
    ...env,
    GIT_CONFIG_COUNT: String(n + 1),
    [`GIT_CONFIG_KEY_${n}`]: 'safe.bareRepository',
    [`GIT_CONFIG_VALUE_${n}`]: 'explicit',
  };
}

/** The variables the configured providers read credentials from (`env_key`, `env_http_headers`). */
export function providerSecretNames(config: Pick<Config, 'providerSources'>): string[] {
  const names = new Set<string>();
  for (const src of Object.values(config.providerSources ?? {})) {
    if (src.envKey) names.add(src.envKey);
    for (const v of Object.values(src.envHttpHeaders)) names.add(v);
  }
  return [...names];
}

/**
 * The command environment factory for a configuration: the daemon's environment as it is at each
 * call, filtered by `[shell_environment_policy]`, with the providers' credentials left out.
 */
export function commandEnvFor(
  config: Pick<Config, 'shellEnvironmentPolicy' | 'providerSources'>,
  base: () => NodeJS.ProcessEnv = () => process.env,
): () => NodeJS.ProcessEnv {
  const policy = config.shellEnvironmentPolicy ?? DEFAULT_SHELL_ENVIRONMENT_POLICY;
  const secrets = providerSecretNames(config);
  return () => buildCommandEnv(policy, base(), secrets);
}
