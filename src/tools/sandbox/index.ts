export { probeSandbox, resetSandboxProbe, type SandboxProbe } from './probe.js';
export { wrapCommand, policyNeedsSandbox, writableRoots, type WrapOptions, type WrappedCommand } from './wrap.js';
export { isLikelySandboxDenial } from './denial.js';
