/** Server → client approval requests and the client's answers. */
import { z } from 'zod';
import { wire } from './registry.js';
import { CommandAction } from './items.js';

/** A command prefix (argv words) a rule allows without asking. */
export const ExecPolicyAmendment = wire('ExecPolicyAmendment', z.array(z.string()));

export const NetworkPolicyRuleAction = wire('NetworkPolicyRuleAction', z.enum(['allow', 'deny']));
export const NetworkPolicyAmendment = wire(
  'NetworkPolicyAmendment',
  z.object({ host: z.string(), action: NetworkPolicyRuleAction }),
);

/**
 * The client's verdict on a command. `decline` skips the command and the turn goes on; `cancel`
 * also interrupts the turn. `acceptForSession` approves this and identical later requests of the
 * thread; `acceptWithExecpolicyAmendment` approves it and stores a prefix rule (the user's
 * policy, every thread, kept across restarts) so that matching commands later run without asking.
 * `applyNetworkPolicyAmendment` answers a network prompt; agentd asks none, so an `allow` answer
 * counts as `accept` and a `deny` as `decline` (nothing is stored).
 */
export const CommandExecutionApprovalDecision = wire(
  'CommandExecutionApprovalDecision',
  z.union([
    z.literal('accept'),
    z.literal('acceptForSession'),
    z.strictObject({ acceptWithExecpolicyAmendment: z.object({ execpolicy_amendment: ExecPolicyAmendment }) }),
    z.strictObject({ applyNetworkPolicyAmendment: z.object({ network_policy_amendment: NetworkPolicyAmendment }) }),
    z.literal('decline'),
    z.literal('cancel'),
  ]),
);

/** The client's verdict on a patch (no amendments). */
export const FileChangeApprovalDecision = wire('FileChangeApprovalDecision', z.enum(['accept', 'acceptForSession', 'decline', 'cancel']));

const approvalTarget = {
  threadId: z.string(),
  turnId: z.string(),
  /** The `commandExecution` / `fileChange` item already announced with `item/started`. */
  itemId: z.string(),
  /** Unix milliseconds. */
  startedAtMs: z.int(),
  /** Why approval is needed (for example the model's justification). */
  reason: z.string().nullish(),
};

export const CommandExecutionRequestApprovalParams = wire(
  'CommandExecutionRequestApprovalParams',
  z.object({
    ...approvalTarget,
    /** Null for an ordinary approval (the item id identifies it); set only for sub-command callbacks. */
    approvalId: z.string().nullish(),
    command: z.string().nullish(),
    cwd: z.string().nullish(),
    commandActions: z.array(CommandAction).nullish(),
    /** The rule the user may store to run matching commands without asking (the command's argv prefix). */
    proposedExecpolicyAmendment: ExecPolicyAmendment.nullish(),
    proposedNetworkPolicyAmendments: z.array(NetworkPolicyAmendment).nullish(),
    /** The decisions this request accepts, in the order a client should offer them. */
    availableDecisions: z.array(CommandExecutionApprovalDecision).nullish(),
  }),
);
export const CommandExecutionRequestApprovalResponse = wire(
  'CommandExecutionRequestApprovalResponse',
  z.object({ decision: CommandExecutionApprovalDecision }),
);

export const FileChangeRequestApprovalParams = wire(
  'FileChangeRequestApprovalParams',
  z.object({
    ...approvalTarget,
    /** A directory the patch wants write access to for the rest of the session. */
    grantRoot: z.string().nullish(),
  }),
);
export const FileChangeRequestApprovalResponse = wire(
  'FileChangeRequestApprovalResponse',
  z.object({ decision: FileChangeApprovalDecision }),
);
