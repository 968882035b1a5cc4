import { probeSandbox } from '../../src/tools/sandbox/probe.js';

/** How long the probe may take: bwrap starts in milliseconds when it works at all. */
const PROBE_TIMEOUT_MS = 5_000;

/**
 * Vitest global setup: the suite needs a working bubblewrap (the sandbox tests are never skipped),
 * so without one the run stops here, within seconds, with one message saying how to get it,
 * instead of failing dozens of tests one by one.
 */
export default async function setup(): Promise<void> {
  const probe = await probeSandbox(PROBE_TIMEOUT_MS);
  if (probe.available) return;
  throw new Error(
    [
      `agentd's tests need a working bubblewrap sandbox, and it cannot run here: ${probe.reason ?? 'unknown reason'}.`,
      'Install it with `apt-get install bubblewrap` (Debian/Ubuntu) or `dnf install bubblewrap` (Fedora).',
      'If it is installed, it needs to be allowed to create user, pid and network namespaces (containers often forbid that).',
    ].join('\n'),
  );
}
