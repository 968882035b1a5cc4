export { probeSandbox, resetSandboxProbe, type SandboxProbe } from './probe.js';
export { wrapCommand, policyNeedsSandbox, policyAllowsNetwork, writableRoots, type WrapOptions, type WrappedCommand } from './wrap.js';
export { feedInputFds, inputFdStdio } from './input-fds.js';
export { noNetworkSeccompFilter } from './seccomp.js';
export { isLikelySandboxDenial } from './denial.js';
