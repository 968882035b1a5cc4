import { RpcResponseError, type DaemonClient, type WireMessage } from '../../src/client/daemon-client.js';

/** The error of a request expected to fail (throws if it succeeds). */
export async function rpcError(p: Promise<unknown>): Promise<{ code: number; message: string; data?: any }> { // eslint-disable-line @typescript-eslint/no-explicit-any
  try {
    await p;
  } catch (err) {
    if (err instanceof RpcResponseError) return err.error;
    throw err;
  }
  throw new Error('expected an error response');
}

/** Responses (no method) among the messages read since index `from`. */
export function responsesSince(c: DaemonClient, from: number): WireMessage[] {
  return c.messages.slice(from).filter((m) => m.method === undefined);
}

/** Resolves once `n` messages since index `from` match `pred`; returns them. */
export function waitForCount(c: DaemonClient, pred: (m: WireMessage) => boolean, n: number, from = 0): Promise<WireMessage[]> {
  const matching = () => c.messages.slice(from).filter(pred);
  return new Promise((resolve, reject) => {
    const check = () => {
      const got = matching();
      if (got.length >= n) {
        off();
        resolve(got);
        return true;
      }
      return false;
    };
    const off = c.onMessage(() => void check());
    if (check()) return;
    // Fail fast instead of timing out if the daemon dies while we wait.
    void c.exited().then(({ code, signal }) => {
      if (!check()) reject(new Error(`daemon exited (code ${code}, signal ${signal}) with ${matching().length}/${n} messages`));
    });
  });
}

/**
 * A round trip through the daemon: everything it wrote for lines sent before this one has been
 * read once this resolves (the daemon answers a line only after reading the earlier ones, and
 * a cheap request's answer follows the error lines and quick answers queued before it).
 */
export async function roundTrip(c: DaemonClient): Promise<void> {
  await c.request('thread/loaded/list', {});
}

/** Every `__unparseable__` pseudo-message: stdout lines that were not JSON. */
export function unparseableOutput(c: DaemonClient): WireMessage[] {
  return c.messages.filter((m) => m.method === '__unparseable__');
}
