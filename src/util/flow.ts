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

/**
 * The flow of several clients (`--listen`): ready when every connection's budget has room, so a
 * subscriber that stops reading slows the producers down (memory stays bounded) instead of its
 * queue growing. A connection that closes is removed and no longer holds anyone back.
 */
export class CompositeFlow implements OutputFlow {
  private readonly flows = new Set<OutputFlow>();
  private changed: (() => void) | null = null;
  private changedPromise: Promise<void> | null = null;

  /** Adds a connection's flow; returns the function that removes it. */
  add(flow: OutputFlow): () => void {
    this.flows.add(flow);
    return () => {
      if (this.flows.delete(flow)) this.signal();
    };
  }

  ready(): boolean {
    for (const f of this.flows) if (!f.ready()) return false;
    return true;
  }

  async whenReady(): Promise<void> {
    for (;;) {
      const waiting = [...this.flows].filter((f) => !f.ready());
      if (waiting.length === 0) return;
      this.changedPromise ??= new Promise<void>((r) => (this.changed = r));
      // Wakes when the first of them has room or when the set changes, then checks all again.
      await Promise.race([Promise.all(waiting.map((f) => f.whenReady())), this.changedPromise]);
    }
  }

  private signal(): void {
    const wake = this.changed;
    this.changed = null;
    this.changedPromise = null;
    wake?.();
  }
}
