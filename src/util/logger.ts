import pino, { type Logger } from 'pino';

export type { Logger };

/** Options for the daemon's logger. Logs never go to stdout: stdout carries the protocol. */
export interface LoggerOptions {
  /** pino level name; defaults to `AGENTD_LOG` or `info`. */
  level?: string;
  /** Write to this file instead of stderr. */
  file?: string;
}

/** Creates the structured logger (stderr or a file, never stdout). */
export function createLogger(opts: LoggerOptions = {}): Logger {
  const level = opts.level ?? process.env.AGENTD_LOG ?? 'info';
  const dest = opts.file
    ? pino.destination({ dest: opts.file, sync: true, mkdir: true })
    : pino.destination({ dest: 2, sync: true });
  return pino({ level, base: { pid: process.pid } }, dest);
}

/** A logger that discards everything (tests, helpers). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
