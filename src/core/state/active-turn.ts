import { deferred, type Deferred } from '../../util/deferred.js';
import type { TurnError, TurnInfo } from '../events.js';
import type { TurnState } from './turn-state.js';

export type TaskKind = 'regular' | 'compact' | 'review';

/** What runs a turn (the core's TurnRunner); the ActiveTurn owns it for the turn's lifetime. */
export interface TurnRunnerHandle {
  /** Runs the turn to its end; never rejects. */
  run(): Promise<void>;
}

/**
 * The slot for the one running turn of a thread: its id, task kind, abort controller, TurnState
 * and the runner that drives it. `done` settles when the turn has fully finished (its
 * turn_completed emitted).
 */
export class ActiveTurn {
  readonly controller = new AbortController();
  private readonly doneDeferred: Deferred<TurnInfo> = deferred<TurnInfo>();
  private abortReason: 'interrupted' | 'failed' | null = null;
  private failureValue: TurnError | null = null;
  private closing = false;
  private runnerValue: TurnRunnerHandle | null = null;

  constructor(
    readonly turnId: string,
    readonly kind: TaskKind,
    readonly state: TurnState,
    readonly startedAt: number,
  ) {}

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** The runner driving this turn, once launched. */
  get runner(): TurnRunnerHandle | null {
    return this.runnerValue;
  }

  /** Hands the turn to its runner and starts it on the next tick (after the caller's reply). */
  launch(runner: TurnRunnerHandle): void {
    if (this.runnerValue) throw new Error(`turn ${this.turnId} was already launched`);
    this.runnerValue = runner;
    setImmediate(() => void runner.run());
  }

  /** Aborts the turn's work (model stream, child processes, approval waits). Idempotent. */
  abort(): void {
    if (this.controller.signal.aborted) return;
    this.abortReason = 'interrupted';
    this.state.clearApprovals();
    this.controller.abort(new Error('turn interrupted'));
  }

  /**
   * Stops the turn because it cannot go on (its rollout cannot be written): like `abort`, but the
   * turn ends `failed` with `error`. The first failure wins; a later interrupt does not hide it.
   */
  fail(error: TurnError): void {
    if (this.failureValue) return;
    this.failureValue = error;
    if (this.controller.signal.aborted) return;
    this.abortReason = 'failed';
    this.state.clearApprovals();
    this.controller.abort(new Error(error.message));
  }

  /** Why the turn failed, if `fail` was called. */
  failure(): TurnError | null {
    return this.failureValue;
  }

  /** The turn is finishing: it takes no more steered input. */
  markClosing(): void {
    this.closing = true;
  }

  isClosing(): boolean {
    return this.closing;
  }

  /** Whether the user (or a shutdown) interrupted the turn. */
  wasAborted(): boolean {
    return this.abortReason === 'interrupted';
  }

  /** Resolves with the final turn once it has finished. */
  drain(): Promise<TurnInfo> {
    return this.doneDeferred.promise;
  }

  markDone(turn: TurnInfo): void {
    this.doneDeferred.resolve(turn);
  }
}
