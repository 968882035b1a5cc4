import { closeSync, constants, openSync, writeSync } from 'node:fs';
import { setTimeout as delay } from 'node:timers/promises';

/**
 * Writes `data` to a FIFO without ever blocking the event loop: a synchronous write to a FIFO
 * blocks until a reader opens it, forever if none does, and vitest's timeouts cannot fire
 * meanwhile. Opening with O_NONBLOCK fails at once (ENXIO) while there is no reader, so this
 * polls for one, bounded by `timeoutMs`; the small write then fits the pipe buffer.
 */
export async function writeFifo(path: string, data: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let fd: number;
    try {
      fd = openSync(path, constants.O_WRONLY | constants.O_NONBLOCK);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENXIO') throw err;
      if (Date.now() > deadline) throw new Error(`nobody opened the FIFO ${path} for reading within ${timeoutMs} ms`);
      await delay(20);
      continue;
    }
    try {
      writeSync(fd, data);
    } finally {
      closeSync(fd);
    }
    return;
  }
}
