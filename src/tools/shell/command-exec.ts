import type { SandboxPolicy } from '../types.js';
import { probeSandbox, type SandboxProbe } from '../sandbox/probe.js';
import { policyNeedsSandbox, wrapCommand } from '../sandbox/wrap.js';
import { effectiveExitCode, runCommand } from './exec.js';
import { defaultCommandEnv } from './runtime.js';

/** Params of the `command/exec` RPC. */
export interface StandaloneExecOptions {
  command: string[];
  cwd: string;
  /** Laid over the command environment (the client is trusted: nothing is filtered out of it). */
  env?: Record<string, string>;
  /** The command environment before `env` (`[shell_environment_policy]`); defaults to `defaultCommandEnv`. */
  baseEnv?: () => NodeJS.ProcessEnv;
  sandboxPolicy: SandboxPolicy;
  timeoutMs?: number;
  /** Injected in tests. */
  probe?: () => Promise<SandboxProbe>;
}

/** Error thrown when a sandbox is required but bwrap cannot run. */
export class SandboxUnavailableError extends Error {
  constructor(reason: string | undefined) {
    super(`the sandbox is unavailable, refusing to run the command unsandboxed: ${reason ?? 'unknown reason'}`);
    this.name = 'SandboxUnavailableError';
  }
}

/**
 * Runs one command outside any thread (no item, no approval), sandboxed per policy. Timeouts
 * report exit code 124, signals 128+N.
 */
export async function execStandalone(opts: StandaloneExecOptions): Promise<{ exitCode: number; stdout: string; stderr: string }> {
  if (opts.command.length === 0) throw new Error('command must not be empty');
  const probe = await (opts.probe ?? probeSandbox)();
  if (policyNeedsSandbox(opts.sandboxPolicy) && !probe.available) throw new SandboxUnavailableError(probe.reason);
  const env = { ...(opts.baseEnv ?? defaultCommandEnv)(), ...opts.env };
  // No thread here: the request's cwd is both the policy's cwd and the command's.
  const { argv, inputFds } = wrapCommand(opts.command, {
    policy: opts.sandboxPolicy,
    policyCwd: opts.cwd,
    cwd: opts.cwd,
    env,
    containFullAccess: probe.containsFullAccess === true,
  });
  const r = await runCommand({
    argv,
    inputFds,
    cwd: opts.cwd,
    env,
    ...(opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {}),
  });
  return { exitCode: effectiveExitCode(r), stdout: r.stdout, stderr: r.stderr };
}
