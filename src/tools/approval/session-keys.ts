import type { SandboxPolicy } from '../types.js';

/** How a command will run once approved: inside a given sandbox, or without one. */
export type CommandRunMode = { sandboxed: true; policy: SandboxPolicy } | { sandboxed: false };

/**
 * What `acceptForSession` remembers for a command: the exact argv, its working directory and how
 * it will run. A sandboxed approval therefore never answers for an unsandboxed run of the same
 * command (an escalation, a sandbox that could not start), nor for a run under a wider sandbox.
 */
export function commandSessionKey(argv: readonly string[], cwd: string, mode: CommandRunMode): string {
  const how = mode.sandboxed ? { sandbox: mode.policy } : { sandbox: 'none' };
  return JSON.stringify({ argv, cwd, ...how });
}
