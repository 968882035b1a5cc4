import type { Readable } from 'node:stream';
import type { OutputFlow } from '../../util/flow.js';

/**
 * Back-pressure from the client onto a child's pipes. After each chunk has been handed on, the
 * owner calls `check()`: when the client's outgoing budget is full, every stream of the child is
 * paused until the flow is ready again. A paused stream stops reading its pipe once Node's small
 * read buffer is full, the pipe fills, and the child blocks in write(2), so a command cannot outrun
 * a client that stopped reading and nothing piles up in the daemon.
 */
export class StreamGate {
  private paused = false;
  private released = false;
  private flow: OutputFlow | null;
  private waiters: (() => void)[] = [];

  constructor(
    private readonly streams: readonly (Readable | null | undefined)[],
    flow: OutputFlow | null = null,
  ) {
    this.flow = flow;
  }

  /** Whether the streams are paused waiting for the client. */
  get isPaused(): boolean {
    return this.paused;
  }

  /** Pauses the streams if the flow has no room; call after each chunk is handed on. */
  check(): void {
    const flow = this.flow;
    if (this.released || !flow) return;
    if (this.paused) {
      // Node resumes a child's stdio itself when the child exits (to drain it): hold it again.
      for (const s of this.streams) s?.pause();
      return;
    }
    if (flow.ready()) return;
    this.paused = true;
    for (const s of this.streams) s?.pause();
    const resume = (): void => {
      // A newer flow (the next poll) may still be full: check again rather than run free.
      if (this.flow === flow) this.resume();
    };
    void flow.whenReady().then(resume, resume);
  }

  /**
   * Changes the flow that applies (a session's output is streamed only while a poll listens);
   * null means nobody is waiting on the client, so the streams flow freely.
   */
  setFlow(flow: OutputFlow | null): void {
    this.flow = flow;
    this.resume();
  }

  /** Stops applying back-pressure for good (the process is being killed: read what is left). */
  release(): void {
    this.released = true;
    this.resume();
  }

  /** Resolves once the streams are not paused. */
  whenFlowing(): Promise<void> {
    if (!this.paused) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  private resume(): void {
    if (!this.paused) return;
    this.paused = false;
    for (const s of this.streams) s?.resume();
    for (const w of this.waiters.splice(0)) w();
  }
}
