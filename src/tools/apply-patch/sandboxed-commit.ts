import { wrapCommand } from '../sandbox/wrap.js';
import { effectiveExitCode, runCommand } from '../shell/exec.js';
import type { SandboxPolicy } from '../types.js';
import type { PatchTarget } from './paths.js';
import type { PatchPlan } from './plan.js';
import { WRITER_SCRIPT, writeOps, type WriteOp } from './write-ops.js';

/** A patch write that stops past this is killed (a writer never needs long; this guards a hang). */
const WRITER_TIMEOUT_MS = 120_000;

/** Where the sandboxed writer may write. */
export interface SandboxedCommitOptions {
  /** The thread's policy (not `dangerFullAccess`: that commits in-process). */
  policy: SandboxPolicy;
  /** The thread's cwd: the policy's writable root. */
  cwd: string;
  /** Real directories the user approved on top of the policy's roots (see `PatchPathCheck`). */
  grants: readonly string[];
  /**
   * The approved paths (absolute, as the plan names them) with where they resolved when the user
   * was asked. Only these steps run with the grants, and at those resolved paths.
   */
  targets: Readonly<Record<string, PatchTarget>>;
}

/** What decides where one writer may write. */
export type WriterRoots = Pick<SandboxedCommitOptions, 'policy' | 'cwd' | 'grants'>;

/**
 * The policy the writer runs under: the thread's, plus the approved directories, never network.
 * A read-only thread gets exactly the approved directories (the first one stands in as the cwd,
 * because a workspace policy always makes its cwd writable).
 */
export function writerPolicy(opts: WriterRoots): { policy: SandboxPolicy; cwd: string } {
  const { policy, cwd, grants } = opts;
  if (policy.type === 'workspaceWrite') {
    return { policy: { ...policy, networkAccess: false, writableRoots: [...policy.writableRoots, ...grants] }, cwd };
  }
  if (policy.type === 'readOnly' && grants.length > 0) {
    return {
      policy: { type: 'workspaceWrite', writableRoots: grants.slice(1), networkAccess: false, excludeSlashTmp: true, excludeTmpdirEnvVar: true },
      cwd: grants[0]!,
    };
  }
  return { policy: policy.type === 'readOnly' ? { type: 'readOnly' } : policy, cwd };
}

/**
 * The writer's argv inside the sandbox. The only call into the sandbox wrapper, kept apart so a
 * change of `wrapCommand`'s options (or extra descriptors it needs passed) is adapted here.
 */
export function writerCommand(opts: WriterRoots): { argv: string[]; env: NodeJS.ProcessEnv; inputFds: Buffer[] } {
  const { policy, cwd } = writerPolicy(opts);
  // Only what the wrapper consults: PATH to find bwrap, TMPDIR for the roots (as the path check).
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH ?? '/usr/bin:/bin' };
  if (process.env.TMPDIR) env.TMPDIR = process.env.TMPDIR;
  const wrapped = wrapCommand([process.execPath, '-e', WRITER_SCRIPT], { policy, policyCwd: cwd, cwd, env });
  return { argv: wrapped.argv, env, inputFds: wrapped.inputFds };
}

/**
 * Applies a plan from a child process inside the same bubblewrap sandbox as commands, so the
 * kernel, not a check made earlier, decides where the writes land: a directory swapped for a
 * symlink after the path check leads to a read-only mount and the write fails. Steps run in patch
 * order with the same atomic-write semantics as `commitPatch`; the first failure stops the patch
 * (earlier files stay written) and throws an error naming the file.
 */
export async function commitPatchSandboxed(plan: PatchPlan, opts: SandboxedCommitOptions): Promise<void> {
  const { ops } = writeOps(plan);
  // Approved steps go to their resolved targets in a writer with the grants; every other step
  // runs in a writer without them, so only what the user approved can land in a granted
  // directory. Consecutive steps of one kind share a writer; patch order is kept.
  const steps = ops.map((op) => {
    const target = opts.grants.length > 0 ? opts.targets[op.path] : undefined;
    if (!target) return { op, granted: false };
    const real: WriteOp = op.op === 'unlink' ? { ...op, path: target.unlink } : { ...op, path: target.write };
    return { op: real, granted: true };
  });
  for (let i = 0; i < steps.length; ) {
    let j = i;
    while (j < steps.length && steps[j]!.granted === steps[i]!.granted) j++;
    const batch = steps.slice(i, j).map((s) => s.op);
    await runWriter(batch, { ...opts, grants: steps[i]!.granted ? opts.grants : [] });
    i = j;
  }
}

/** Runs one writer over `ops` (see `commitPatchSandboxed`). */
async function runWriter(ops: WriteOp[], opts: WriterRoots): Promise<void> {
  const { argv, env, inputFds } = writerCommand(opts);
  const r = await runCommand({ argv, cwd: '/', env, inputFds, stdin: JSON.stringify(ops), timeoutMs: WRITER_TIMEOUT_MS });
  const results = r.stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as { i: number; ok: boolean; code?: string | null; error?: string });
  const failed = results.find((x) => !x.ok);
  if (failed) {
    const op = ops[failed.i];
    const denied = failed.code === 'EROFS' || failed.code === 'EACCES' || failed.code === 'EPERM';
    if (op && denied) {
      throw new Error(
        `the sandbox refused to write ${op.path}: it is outside the writable roots (was a directory on its path replaced by a symlink?) (${failed.error ?? failed.code})`,
      );
    }
    throw new Error(failed.error ?? `writing ${op?.path ?? 'a file'} failed`);
  }
  if (results.length !== ops.length || effectiveExitCode(r) !== 0) {
    const why = r.timedOut ? 'timed out' : `exit code ${effectiveExitCode(r)}`;
    throw new Error(`the sandboxed patch writer failed (${why}): ${r.stderr.trim().slice(0, 2000) || 'no output'}`);
  }
}
