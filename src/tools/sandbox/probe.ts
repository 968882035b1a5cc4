import { runCommand, type ExecResult } from '../shell/exec.js';
import { SECCOMP_ARCHES } from './seccomp.js';
import { setNestedUsernsDisabled, wrapCommand, type WrapOptions } from './wrap.js';

/** Whether commands can be sandboxed here, and why not. */
export interface SandboxProbe {
  /** Whether the restricting sandboxes (`readOnly`, `workspaceWrite`) can run a command. */
  available: boolean;
  reason?: string;
  /**
   * Whether `dangerFullAccess` commands can run in a pid namespace that dies with the daemon
   * (`WrapOptions.containFullAccess`). Absent means no: they run as plain process groups.
   */
  containsFullAccess?: boolean;
  /**
   * Set when this bwrap is older than 0.8 and cannot forbid user namespaces inside the sandbox:
   * it still runs, without `--disable-userns`.
   */
  nestedUserns?: true;
}

/** How long one probe run may take before it counts as failed. */
export const PROBE_TIMEOUT_MS = 10_000;

let cached: Promise<SandboxProbe> | null = null;

/** Runs `true` wrapped exactly as a real command with these options would be. */
function runWrapped(opts: Omit<WrapOptions, 'env'>, timeoutMs: number): Promise<ExecResult> {
  const env = process.env;
  const { argv, inputFds } = wrapCommand(['true'], { ...opts, env });
  return runCommand({ argv, cwd: opts.cwd, env, timeoutMs, inputFds });
}

function failure(r: ExecResult): string {
  if (r.spawnError !== undefined) return `bubblewrap (bwrap) is not installed: ${r.spawnError}`;
  const detail = r.aggregated.trim() || (r.timedOut ? 'timed out' : `exit code ${r.exitCode ?? r.signal}`);
  return `bubblewrap could not start a sandbox: ${detail}`;
}

async function probe(timeoutMs: number): Promise<SandboxProbe> {
  if (!SECCOMP_ARCHES.includes(process.arch)) {
    return { available: false, reason: `no seccomp filter for this architecture (${process.arch}); the sandbox supports x64 and arm64` };
  }
  // The restricting run uses every feature a real command can: a user namespace without
  // capabilities, the pid/uts/ipc/net namespaces and the seccomp filter fed through fd 3.
  const [restricted, full] = await Promise.all([
    runWrapped({ policy: { type: 'readOnly' }, policyCwd: '/', cwd: '/' }, timeoutMs),
    runWrapped({ policy: { type: 'dangerFullAccess' }, policyCwd: '/', cwd: '/', containFullAccess: true }, timeoutMs),
  ]);
  const containsFullAccess = full.exitCode === 0;
  if (restricted.exitCode === 0) return { available: true, containsFullAccess };
  if (restricted.aggregated.includes('--disable-userns')) {
    // A bwrap before 0.8: sandbox without the option rather than not at all.
    setNestedUsernsDisabled(false);
    const older = await runWrapped({ policy: { type: 'readOnly' }, policyCwd: '/', cwd: '/' }, timeoutMs);
    if (older.exitCode === 0) return { available: true, containsFullAccess, nestedUserns: true };
    return { available: false, reason: failure(older), containsFullAccess };
  }
  return { available: false, reason: failure(restricted), containsFullAccess };
}

/**
 * Checks once per process that bwrap exists and can run `true` with the arguments real commands
 * get (it can be installed yet unusable, e.g. without user namespaces in a container). A machine
 * where that fails reports the sandbox unavailable instead of failing every command.
 */
export function probeSandbox(timeoutMs = PROBE_TIMEOUT_MS): Promise<SandboxProbe> {
  cached ??= probe(timeoutMs);
  return cached;
}

/** Forgets the cached probe (tests). */
export function resetSandboxProbe(): void {
  cached = null;
  setNestedUsernsDisabled(true);
}
