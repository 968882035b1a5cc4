export { runCommand, effectiveExitCode, type ExecResult, type RunCommandOptions, type OutputStream } from './exec.js';
export { truncateForModel, approxTokenCount, type TruncationLimit } from './truncate.js';
export {
  splitShellWords,
  joinShellWords,
  extractShellScript,
  parseCommandActions,
  displayCommand,
  type ShellWrapper,
} from './command-parse.js';
export { ProcessSessionManager, UnknownSessionError, type SessionPoll, type SessionPollOptions, type SessionStartOptions } from './process-sessions.js';
export { StreamGate } from './stream-gate.js';
export { ShellRuntime, defaultCommandEnv, type ShellRuntimeOptions } from './runtime.js';
export { createShellHandlers, shellToolHandlers, formatExecOutput, type ShellHandlers } from './handlers.js';
export { shellToolSpecs } from './specs.js';
export { execStandalone, SandboxUnavailableError, type StandaloneExecOptions } from './command-exec.js';
export { buildCommandEnv, commandEnvFor, providerSecretNames, DEFAULT_SHELL_ENVIRONMENT_POLICY } from './command-env.js';
export { killAllProcessGroups, liveProcessGroups } from './process-group.js';
