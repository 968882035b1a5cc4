import { existsSync, realpathSync } from 'node:fs';
import path from 'node:path';
import type { SandboxPolicy } from '../types.js';

/** The bubblewrap binary we use. */
export const BWRAP_PATH = 'bwrap';

/** What `wrapCommand` needs besides the argv. */
export interface WrapOptions {
  policy: SandboxPolicy;
  /** The command's working directory (writable under `workspaceWrite`). */
  cwd: string;
  /** The command's environment (consulted for `TMPDIR`). */
  env: NodeJS.ProcessEnv;
}

/** The argv to spawn, and whether it runs inside the sandbox. */
export interface WrappedCommand {
  argv: string[];
  sandboxed: boolean;
}

/** Whether a policy needs a sandbox at all. */
export function policyNeedsSandbox(policy: SandboxPolicy): boolean {
  return policy.type !== 'dangerFullAccess';
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

/** The directories a `workspaceWrite` command may write, resolved, deduplicated, existing. */
export function writableRoots(policy: SandboxPolicy, cwd: string, env: NodeJS.ProcessEnv): string[] {
  if (policy.type !== 'workspaceWrite') return [];
  const candidates = [cwd, ...policy.writableRoots.map((r) => path.resolve(cwd, r))];
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
 * The bwrap arguments (without the command) for a policy. The root is bound read-only first, then
 * the writable roots, then the protected subpaths on top. `--unshare-pid` makes bwrap's child the
 * init of a pid namespace (its death takes everything inside with it), and `--die-with-parent`
 * ties that to bwrap, so killing our process group leaves nothing behind. No `--new-session`:
 * the sandboxed tree must stay in our process group so the group kill reaches it.
 */
export function bwrapArgs(policy: SandboxPolicy, cwd: string, env: NodeJS.ProcessEnv): string[] {
  const args = ['--ro-bind', '/', '/', '--dev', '/dev', '--proc', '/proc'];
  const roots = writableRoots(policy, cwd, env);
  for (const root of roots) args.push('--bind', root, root);
  for (const sub of readOnlySubpaths(roots)) args.push('--ro-bind', sub, sub);
  const network = policy.type === 'dangerFullAccess' ? true : policy.networkAccess === true;
  if (!network) args.push('--unshare-net');
  args.push('--unshare-pid', '--die-with-parent', '--chdir', cwd);
  return args;
}

/** Wraps `argv` in bwrap per the policy; `dangerFullAccess` returns it unchanged. */
export function wrapCommand(argv: string[], opts: WrapOptions): WrappedCommand {
  if (!policyNeedsSandbox(opts.policy)) return { argv: [...argv], sandboxed: false };
  return { argv: [BWRAP_PATH, ...bwrapArgs(opts.policy, opts.cwd, opts.env), '--', ...argv], sandboxed: true };
}
