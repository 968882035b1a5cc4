import { existsSync, realpathSync } from 'node:fs';
import path from 'node:path';
import type { SandboxPolicy } from '../types.js';
import { noNetworkSeccompFilter } from './seccomp.js';

/** The bubblewrap binary we use. */
export const BWRAP_PATH = 'bwrap';

/**
 * Whether sandboxes pass `--disable-userns` (bubblewrap 0.8 and later). Without it a sandboxed
 * process can `unshare` a user namespace of its own and hold every capability over namespaces it
 * creates there (a network namespace's nf_tables, mounts): none reaches the host, but that is the
 * kernel surface most namespace escapes go through. The probe turns it off for an older bwrap
 * that does not know the option (see `probeSandbox`).
 */
let nestedUsernsDisabled = true;

/** Sets whether `--disable-userns` is passed (the probe; tests). */
export function setNestedUsernsDisabled(on: boolean): void {
  nestedUsernsDisabled = on;
}

/** What `wrapCommand` needs besides the argv. */
export interface WrapOptions {
  policy: SandboxPolicy;
  /**
   * The thread's cwd (never the command's): under `workspaceWrite` it is a writable root and the
   * base of relative `writable_roots`. Writable roots come only from the policy.
   */
  policyCwd: string;
  /** The command's working directory (bwrap `--chdir`): readable, writable only inside a root. */
  cwd: string;
  /** The command's environment (consulted for `TMPDIR`). */
  env: NodeJS.ProcessEnv;
  /**
   * `dangerFullAccess` only: run the command in a bwrap pid namespace with full access, so it and
   * everything it starts die with the daemon even on SIGKILL. Set it when the probe says
   * `containsFullAccess`; without it the command runs as a plain process group.
   */
  containFullAccess?: boolean;
}

/** The argv to spawn, what the spawner must pass along, and whether the policy restricts it. */
export interface WrappedCommand {
  argv: string[];
  /** Whether it runs restricted by a sandbox policy (false under `dangerFullAccess`). */
  sandboxed: boolean;
  /**
   * Bytes the spawner must feed to the process through file descriptors 3, 4, … (see
   * `input-fds.ts`: a pipe each, written then closed). bwrap reads its seccomp filter from fd 3;
   * a spawner that forgets them makes bwrap fail, never run unfiltered.
   */
  inputFds: Buffer[];
}

/** Whether a policy needs a sandbox at all. */
export function policyNeedsSandbox(policy: SandboxPolicy): boolean {
  return policy.type !== 'dangerFullAccess';
}

/** Whether the policy lets commands reach the network (and host Unix sockets). */
export function policyAllowsNetwork(policy: SandboxPolicy): boolean {
  return policy.type === 'dangerFullAccess' ? true : policy.networkAccess === true;
}

/**
 * Resolves symlinks so a bind mount covers the real directory (binding a symlink path would make
 * bwrap follow it anyway, and comparing unresolved paths would miss nested roots).
 */
function realDir(p: string): string | null {
  try {
    return realpathSync(p);
  } catch {
    return null;
  }
}

/**
 * The directories a `workspaceWrite` command may write, resolved, deduplicated, existing: the
 * thread's cwd, `writable_roots` (relative ones against that cwd) and the temp dirs.
 */
export function writableRoots(policy: SandboxPolicy, policyCwd: string, env: NodeJS.ProcessEnv): string[] {
  if (policy.type !== 'workspaceWrite') return [];
  const candidates = [policyCwd, ...policy.writableRoots.map((r) => path.resolve(policyCwd, r))];
  if (!policy.excludeSlashTmp) candidates.push('/tmp');
  const tmpdir = env.TMPDIR;
  if (!policy.excludeTmpdirEnvVar && tmpdir && path.isAbsolute(tmpdir)) candidates.push(tmpdir);
  const out: string[] = [];
  for (const c of candidates) {
    const real = realDir(c);
    if (real !== null && !out.includes(real)) out.push(real);
  }
  // Parents before children, so a nested bind is not hidden by its parent's later bind.
  return out.sort((a, b) => a.length - b.length);
}

/** Paths inside writable roots that stay read-only (a writable `.git` lets a command plant hooks). */
export function readOnlySubpaths(roots: string[]): string[] {
  const out: string[] = [];
  for (const root of roots) {
    const git = path.join(root, '.git');
    if (existsSync(git)) out.push(realDir(git) ?? git);
  }
  return out;
}

/**
 * The bwrap arguments (without the command) of a restricting policy.
 *
 * Filesystem: the root read-only, then the writable roots, then `.git` inside them read-only,
 * then a fresh /dev and /proc. A uid 0 without capabilities still passes the permission checks
 * of sysctls (they look at the uid, not at capabilities), so `/proc/sys` and
 * `/proc/sysrq-trigger` are covered read-only: `kernel.core_pattern` would run code as host root.
 *
 * Privileges: a user namespace plus `--cap-drop ALL` leave the command no capability at all, not
 * even in its bounding set, even when agentd runs as root (bwrap run by root keeps every
 * capability otherwise); bwrap also sets no_new_privs, so setuid binaries gain nothing. UTS and
 * IPC are unshared, so `hostname` cannot touch the host's. No user namespace can be created
 * inside (`--disable-userns`, see `setNestedUsernsDisabled`).
 *
 * Network off: a network namespace, plus the seccomp filter of `seccomp.ts` (fd 3) against host
 * Unix sockets, which the network namespace does not cover.
 *
 * Lifetime: `--unshare-pid` makes bwrap's child the init of a pid namespace (its death takes
 * everything inside with it), and `--die-with-parent` ties that to bwrap and bwrap to us. No
 * `--new-session`: the spawner already starts a new session (`detached`), and the sandboxed tree
 * must stay in that process group so the group kill reaches it.
 */
export function bwrapArgs(policy: SandboxPolicy, policyCwd: string, cwd: string, env: NodeJS.ProcessEnv): { args: string[]; inputFds: Buffer[] } {
  const args = ['--ro-bind', '/', '/'];
  const roots = writableRoots(policy, policyCwd, env);
  for (const root of roots) args.push('--bind', root, root);
  for (const sub of readOnlySubpaths(roots)) args.push('--ro-bind', sub, sub);
  args.push('--dev', '/dev', '--proc', '/proc');
  args.push('--ro-bind', '/proc/sys', '/proc/sys', '--ro-bind-try', '/proc/sysrq-trigger', '/proc/sysrq-trigger');
  args.push('--unshare-user', '--cap-drop', 'ALL', '--unshare-pid', '--unshare-uts', '--unshare-ipc');
  if (nestedUsernsDisabled) args.push('--disable-userns');
  const inputFds: Buffer[] = [];
  if (!policyAllowsNetwork(policy)) {
    args.push('--unshare-net', '--seccomp', '3');
    inputFds.push(noNetworkSeccompFilter());
  }
  args.push('--die-with-parent', '--chdir', cwd);
  return { args, inputFds };
}

/**
 * The bwrap arguments of a `dangerFullAccess` command: no restriction (the host's filesystem and
 * devices, its network, no seccomp, privileges kept), only a pid namespace that dies with bwrap,
 * which dies with us. The price: the command sees only its own processes in /proc, and mounts it
 * makes stay inside its mount namespace.
 */
export function fullAccessArgs(cwd: string): string[] {
  return ['--dev-bind', '/', '/', '--proc', '/proc', '--unshare-pid', '--die-with-parent', '--chdir', cwd];
}

/**
 * Wraps `argv` in bwrap per the policy. `dangerFullAccess` is wrapped in a full-access pid
 * namespace when `containFullAccess` is set, and returned unchanged otherwise.
 */
export function wrapCommand(argv: string[], opts: WrapOptions): WrappedCommand {
  if (!policyNeedsSandbox(opts.policy)) {
    if (opts.containFullAccess !== true) return { argv: [...argv], sandboxed: false, inputFds: [] };
    return { argv: [BWRAP_PATH, ...fullAccessArgs(opts.cwd), '--', ...argv], sandboxed: false, inputFds: [] };
  }
  const { args, inputFds } = bwrapArgs(opts.policy, opts.policyCwd, opts.cwd, opts.env);
  return { argv: [BWRAP_PATH, ...args, '--', ...argv], sandboxed: true, inputFds };
}
