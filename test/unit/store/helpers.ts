import pino from 'pino';
import type { Logger } from '../../../src/util/logger.js';
import type { NewThreadMeta } from '../../../src/store/thread-store.js';

/** A logger whose records can be inspected as soon as the log call returns. */
export function capturingLogger(): { logger: Logger; records: Array<Record<string, unknown>> } {
  const records: Array<Record<string, unknown>> = [];
  const logger = pino({ level: 'debug' }, { write: (s: string) => void records.push(JSON.parse(s) as Record<string, unknown>) });
  return { logger, records };
}

/** Meta for a new thread; `createdAt` in unix seconds. */
export function newMeta(id: string, createdAt: number, extra: Partial<NewThreadMeta> = {}): NewThreadMeta {
  return {
    id,
    createdAt,
    cwd: '/work/project',
    model: 'gpt-5-codex',
    modelProvider: 'openai',
    forkedFromId: null,
    cliVersion: '0.1.0',
    source: 'app-server',
    ...extra,
  };
}
