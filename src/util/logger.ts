import { chmodSync, mkdirSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import pino, { type Logger } from 'pino';

export type { Logger };

/** Options for the daemon's logger. Logs never go to stdout: stdout carries the protocol. */
export interface LoggerOptions {
  /** pino level name; defaults to `AGENTD_LOG` or `info`. */
  level?: string;
  /** Write to this file instead of stderr (created 0600: logs name files and commands). */
  file?: string;
}

/**
 * Creates the structured logger (stderr or a file, never stdout). A log file is owner-only, also
 * when it already existed with a looser mode. A failing log write (full disk, closed stderr) is
 * dropped: losing a log line must never end the daemon.
 */
/** Log bytes held while the destination cannot take them; beyond this, lines are dropped. */
const MAX_PENDING_LOG_BYTES = 4 * 1024 * 1024;

export function createLogger(opts: LoggerOptions = {}): Logger {
  const level = opts.level ?? process.env.AGENTD_LOG ?? 'info';
  let dest;
  if (opts.file) {
    mkdirSync(dirname(opts.file), { recursive: true, mode: 0o700 });
    dest = pino.destination({ dest: opts.file, sync: true, mode: 0o600, maxLength: MAX_PENDING_LOG_BYTES });
    // Only a regular file: a device (`/dev/stderr`, `/dev/null`) keeps its mode.
    if (statSync(opts.file).isFile()) chmodSync(opts.file, 0o600);
  } else {
    dest = pino.destination({ dest: 2, sync: true, maxLength: MAX_PENDING_LOG_BYTES });
  }
  dest.on('error', () => {
    // Nowhere left to report it; the next line tries again.
  });
  return pino({ level, base: { pid: process.pid } }, dest);
}

/** A logger that discards everything (tests, helpers). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
