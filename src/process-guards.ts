import type { Logger } from './util/logger.js';

/**
 * Keeps the daemon serving through a stray failure: an unhandled promise rejection or an
 * exception thrown from a callback is logged (stderr or the log file, never stdout, which
 * carries the protocol) instead of ending the process and every thread with it. A broken
 * stdout is not one of these: the RPC writer listens for its errors and the server exits cleanly.
 */
export function installProcessGuards(logger: Logger): void {
  // A throw from inside these handlers would end the process after all (e.g. logging to a
  // broken stderr), so logging failures are swallowed here.
  const log = (obj: object, msg: string): void => {
    try {
      logger.error(obj, msg);
    } catch {
      // nowhere left to report it
    }
  };
  process.on('unhandledRejection', (reason) => log({ err: reason }, 'unhandled promise rejection (daemon keeps serving)'));
  process.on('uncaughtException', (err, origin) => log({ err, origin }, 'uncaught exception (daemon keeps serving)'));
}

/** The faults {@link injectTestFaults} knows. */
const FAULTS = {
  /** A promise rejected with nobody awaiting it. */
  'unhandled-rejection': () => {
    void Promise.reject(new Error('injected fault: unhandled rejection'));
  },
  /** An exception thrown from a timer callback. */
  'uncaught-exception': () => {
    setTimeout(() => {
      throw new Error('injected fault: uncaught exception');
    }, 0);
  },
} as const;

/**
 * Test hook: `AGENTD_TEST_FAULTS=unhandled-rejection,uncaught-exception` makes the daemon hit
 * those faults once it is serving, so tests can check it survives them. Inert when unset.
 */
export function injectTestFaults(spec: string | undefined, logger: Logger): void {
  if (!spec) return;
  for (const name of spec.split(',').map((s) => s.trim()).filter(Boolean)) {
    const fault = FAULTS[name as keyof typeof FAULTS];
    if (!fault) {
      logger.warn({ fault: name }, 'unknown AGENTD_TEST_FAULTS entry');
      continue;
    }
    logger.warn({ fault: name }, 'injecting test fault');
    setImmediate(fault);
  }
}
