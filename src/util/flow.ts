/**
 * Flow control of what goes to the client. The transport owns the outgoing byte budget; producers
 * (the model stream, command output) check `ready()` and, when it is full, wait on `whenReady()`
 * instead of buffering, so a client that stops reading slows the producers down rather than
 * growing the daemon's memory.
 */
export interface OutputFlow {
  /** Whether the outgoing budget has room now. */
  ready(): boolean;
  /** Resolves once the budget has room again (at once when it has). */
  whenReady(): Promise<void>;
}

/** A flow that never pushes back (no client, tests, one-shot runs). */
export const ALWAYS_READY: OutputFlow = {
  ready: () => true,
  whenReady: () => Promise.resolve(),
};
