import { runCommand } from '../shell/exec.js';
import { BWRAP_PATH, bwrapArgs } from './wrap.js';

/** Whether commands can be sandboxed here, and why not. */
export interface SandboxProbe {
  available: boolean;
  reason?: string;
}

let cached: Promise<SandboxProbe> | null = null;

async function probe(): Promise<SandboxProbe> {
  const cwd = '/';
  const argv = [BWRAP_PATH, ...bwrapArgs({ type: 'readOnly' }, cwd, {}), '--', 'true'];
  const r = await runCommand({ argv, cwd, env: process.env, timeoutMs: 10_000 });
  if (r.spawnError !== undefined) return { available: false, reason: `bubblewrap (bwrap) is not installed: ${r.spawnError}` };
  if (r.exitCode === 0) return { available: true };
  const detail = r.aggregated.trim() || (r.timedOut ? 'timed out' : `exit code ${r.exitCode ?? r.signal}`);
  return { available: false, reason: `bubblewrap could not start a sandbox: ${detail}` };
}

/**
 * Checks once per process that bwrap exists and can run `true` in a read-only sandbox (it can be
 * installed yet unusable, e.g. without user namespaces in a container).
 */
export function probeSandbox(): Promise<SandboxProbe> {
  cached ??= probe();
  return cached;
}

/** Forgets the cached probe (tests). */
export function resetSandboxProbe(): void {
  cached = null;
}
