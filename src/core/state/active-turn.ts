import { deferred, type Deferred } from '../../util/deferred.js';
import type { TurnInfo } from '../events.js';
import type { TurnState } from './turn-state.js';

export type TaskKind = 'regular' | 'compact' | 'review';

/**
 * The slot for the one running turn of a thread: its id, task kind, abort controller and
 * TurnState. `done` settles when the turn has fully finished (its turn_completed emitted).
 */
export class ActiveTurn {
  readonly controller = new AbortController();
  private readonly doneDeferred: Deferred<TurnInfo> = deferred<TurnInfo>();
  private abortReason: 'interrupted' | null = null;
  private closing = false;

  constructor(
    readonly turnId: string,
    readonly kind: TaskKind,
    readonly state: TurnState,
    readonly startedAt: number,
  ) {}

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** Aborts the turn's work (model stream, child processes, approval waits). Idempotent. */
  abort(): void {
    if (this.controller.signal.aborted) return;
    this.abortReason = 'interrupted';
    this.state.clearApprovals();
    this.controller.abort(new Error('turn interrupted'));
  }

  /** The turn is finishing: it takes no more steered input. */
  markClosing(): void {
    this.closing = true;
  }

  isClosing(): boolean {
    return this.closing;
  }

  wasAborted(): boolean {
    return this.abortReason !== null;
  }

  /** Resolves with the final turn once it has finished. */
  drain(): Promise<TurnInfo> {
    return this.doneDeferred.promise;
  }

  markDone(turn: TurnInfo): void {
    this.doneDeferred.resolve(turn);
  }
}
