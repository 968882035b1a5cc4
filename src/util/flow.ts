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
 * queue growing. A connection that closes is removed and no longer holds anyone back. A
 * connection whose budget stays full for `stallMs` while producers wait on it is reported
 * stalled (its `onStalled`, which disconnects it): one client that stops reading must not hold
 * every other client's turns back for ever.
 */
export class CompositeFlow implements OutputFlow {
  private readonly flows = new Map<OutputFlow, (() => void) | undefined>();
  /** Since when each waited-on flow has been full (cleared once it has room). */
  private readonly fullSince = new Map<OutputFlow, number>();
  private changed: (() => void) | null = null;
  private changedPromise: Promise<void> | null = null;

  constructor(private readonly stallMs = Infinity) {}

  /** Adds a connection's flow; returns the function that removes it. */
  add(flow: OutputFlow, onStalled?: () => void): () => void {
    this.flows.set(flow, onStalled);
    return () => {
      this.fullSince.delete(flow);
      if (this.flows.delete(flow)) this.signal();
    };
  }

  ready(): boolean {
    for (const f of this.flows.keys()) if (!f.ready()) return false;
    return true;
  }

  async whenReady(): Promise<void> {
    for (;;) {
      const waiting: OutputFlow[] = [];
      for (const f of this.flows.keys()) {
        if (f.ready()) this.fullSince.delete(f);
        else waiting.push(f);
      }
      if (waiting.length === 0) return;
      this.changedPromise ??= new Promise<void>((r) => (this.changed = r));
      const now = Date.now();
      for (const f of waiting) if (!this.fullSince.has(f)) this.fullSince.set(f, now);
      let timer: NodeJS.Timeout | undefined;
      const wakes = [Promise.all(waiting.map((f) => f.whenReady())), this.changedPromise];
      if (Number.isFinite(this.stallMs)) {
        const first = Math.min(...waiting.map((f) => this.fullSince.get(f)!));
        wakes.push(new Promise<void>((r) => (timer = setTimeout(r, Math.max(0, first + this.stallMs - now)))));
      }
      // Wakes when the first of them has room, when the set changes or when one has stalled,
      // then checks all again.
      try {
        await Promise.race(wakes);
      } finally {
        clearTimeout(timer);
      }
      this.reportStalled();
    }
  }

  /** Tells each flow still full after `stallMs` (it is then expected to be removed). */
  private reportStalled(): void {
    const now = Date.now();
    for (const [f, since] of this.fullSince) {
      if (f.ready()) {
        this.fullSince.delete(f);
        continue;
      }
      if (now - since < this.stallMs) continue;
      this.fullSince.delete(f);
      this.flows.get(f)?.();
    }
  }

  private signal(): void {
    const wake = this.changed;
    this.changed = null;
    this.changedPromise = null;
    wake?.();
  }
}
