export { isKnownSafeCommand, isSafeSimpleCommand } from './safe-commands.js';
export {
  decideCommandApproval,
  decideRetryAfterDenial,
  type CommandApprovalDecision,
  type CommandApprovalInput,
} from './decide.js';
export { commandSessionKey, type CommandRunMode } from './session-keys.js';
export { isSystemShell, SYSTEM_SHELLS } from './system-shell.js';
