import type { ApprovalPolicy, SandboxPolicy } from '../types.js';
import { isKnownSafeCommand } from './safe-commands.js';

/** What to do with a command before running it. */
export type CommandApprovalDecision =
  | { action: 'run-sandboxed'; reason?: string }
  | { action: 'run-unsandboxed'; reason?: string }
  | {
      action: 'ask';
      reason?: string;
      /** How to run it once the user accepts (an addition to the brief's shape). */
      onAccept: 'sandboxed' | 'unsandboxed';
    }
  | { action: 'reject'; reason: string };

/** Inputs of `decideCommandApproval`. */
export interface CommandApprovalInput {
  argv: string[];
  approvalPolicy: ApprovalPolicy;
  sandboxPolicy: SandboxPolicy;
  /** Whether bwrap works here (see `probeSandbox`). */
  sandboxAvailable: boolean;
  /** Why the sandbox is unavailable, quoted in the reason. */
  sandboxUnavailableReason?: string;
  /** The model asked to run outside the sandbox (`with_escalated_permissions`/`require_escalated`). */
  escalationRequested: boolean;
  /** The model's justification, used as the question when it asked for escalation. */
  justification?: string;
}

/**
 * Codex's approval rules for a command:
 * - `dangerFullAccess`: runs unsandboxed; only `untrusted` asks, and only for commands not known safe.
 * - escalation requested: `never` rejects it; every other policy asks, then runs unsandboxed.
 * - sandbox needed but unavailable: asks (then runs unsandboxed); `never` rejects. Never silent.
 * - `untrusted`: known-safe commands run sandboxed, anything else asks (then runs sandboxed).
 * - `on-failure`, `on-request`, `never`: run sandboxed without asking (denials are handled after).
 */
export function decideCommandApproval(input: CommandApprovalInput): CommandApprovalDecision {
  const { argv, approvalPolicy, sandboxPolicy } = input;
  const safe = isKnownSafeCommand(argv);

  if (sandboxPolicy.type === 'dangerFullAccess') {
    if (approvalPolicy === 'untrusted' && !safe) {
      return { action: 'ask', reason: 'command is not known to be read-only', onAccept: 'unsandboxed' };
    }
    return { action: 'run-unsandboxed' };
  }

  if (input.escalationRequested) {
    if (approvalPolicy === 'never') {
      return {
        action: 'reject',
        reason: 'running without the sandbox was requested, but the approval policy is "never"; run it sandboxed instead',
      };
    }
    return {
      action: 'ask',
      reason: input.justification?.trim() || 'the model requested to run this command without the sandbox',
      onAccept: 'unsandboxed',
    };
  }

  if (!input.sandboxAvailable) {
    const why = `the sandbox could not start${input.sandboxUnavailableReason ? ` (${input.sandboxUnavailableReason})` : ''}`;
    if (approvalPolicy === 'never') return { action: 'reject', reason: `${why}; refusing to run the command unsandboxed` };
    return { action: 'ask', reason: `${why}; run the command without a sandbox?`, onAccept: 'unsandboxed' };
  }

  if (approvalPolicy === 'untrusted' && !safe) {
    return { action: 'ask', reason: 'command is not known to be read-only', onAccept: 'sandboxed' };
  }
  return { action: 'run-sandboxed' };
}

/**
 * After a sandboxed run failed with what looks like a sandbox denial: ask to retry without the
 * sandbox, except under `never`, where the failure goes back to the model as it is.
 */
export function decideRetryAfterDenial(approvalPolicy: ApprovalPolicy): 'ask' | 'no' {
  return approvalPolicy === 'never' ? 'no' : 'ask';
}
