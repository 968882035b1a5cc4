export { isKnownSafeCommand, isSafeSimpleCommand } from './safe-commands.js';
export {
  decideCommandApproval,
  decideRetryAfterDenial,
  type CommandApprovalDecision,
  type CommandApprovalInput,
} from './decide.js';
