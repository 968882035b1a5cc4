/** Server → client approval requests and the client's answers. */
import { z } from 'zod';
import { wire } from './registry.js';
import { CommandAction } from './items.js';

/**
 * The client's verdict. `decline` skips the action and the turn goes on; `cancel` also
 * interrupts the turn. `acceptForSession` approves this and identical later requests.
 */
export const ApprovalDecision = z.enum(['accept', 'acceptForSession', 'decline', 'cancel']);

export const CommandExecutionApprovalDecision = wire('CommandExecutionApprovalDecision', ApprovalDecision);
export const FileChangeApprovalDecision = wire('FileChangeApprovalDecision', ApprovalDecision.clone());

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
    command: z.string().nullish(),
    cwd: z.string().nullish(),
    commandActions: z.array(CommandAction).nullish(),
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
