import type { ServerResponse } from 'node:http';

/** Events are joined into writes of about this many characters. */
const BATCH_CHARS = 64 * 1024;

/**
 * Writes `events[from, to)` to `res`, batching them into large writes and waiting for `drain`
 * when the socket pushes back, so 20,000 deltas take a handful of writes instead of 20,000.
 * Resolves false if the connection closed first.
 */
export async function writeEvents(res: ServerResponse, events: readonly string[], from = 0, to = events.length): Promise<boolean> {
  let buf = '';
  for (let i = from; i < to; i++) {
    buf += events[i];
    if (buf.length >= BATCH_CHARS) {
      if (!(await write(res, buf))) return false;
      buf = '';
    }
  }
  return buf === '' ? !res.destroyed : write(res, buf);
}

/** Writes one chunk and resolves once it is flushed to the socket (or the socket closed). */
export function flush(res: ServerResponse, chunk: string): Promise<void> {
  return new Promise((resolve) => {
    if (res.destroyed) {
      resolve();
      return;
    }
    res.once('close', resolve);
    res.write(chunk, () => {
      res.off('close', resolve);
      resolve();
    });
  });
}

function write(res: ServerResponse, chunk: string): Promise<boolean> {
  if (res.destroyed) return Promise.resolve(false);
  if (res.write(chunk)) return Promise.resolve(true);
  return new Promise((resolve) => {
    const done = (): void => {
      res.off('drain', done);
      res.off('close', done);
      resolve(!res.destroyed);
    };
    res.on('drain', done);
    res.on('close', done);
  });
}
