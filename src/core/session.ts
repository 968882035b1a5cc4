import { Mutex } from 'async-mutex';
import { ModelError } from '../model/types.js';
import type { HistoryItem, RateLimitSnapshot, TokenUsage } from '../model/types.js';
import type { RolloutLine } from '../store/types.js';
import { RegularTurnTask } from '../tasks/regular-turn.js';
import type { Task, TurnContext } from '../tasks/task.js';
import type { ApprovalDecision, ApprovalRequest, ToolContext } from '../tools/types.js';
import { newId } from '../util/ids.js';
import type { SessionEvent, SessionEventListener, ThreadStatus, ThreadTokenUsage, TurnError, TurnInfo } from './events.js';
import type { TurnItem, UserInput } from './items.js';
import { SessionError } from './session-error.js';
import type { SessionServices } from './services.js';
import type { ThreadSettings } from './settings.js';
import { ActiveTurn } from './state/active-turn.js';
import { SessionState } from './state/session-state.js';
import { TurnState } from './state/turn-state.js';

/** A turn as clients see it when reading the thread: its outcome and completed items. */
export interface TurnView {
  info: TurnInfo;
  items: TurnItem[];
}

export interface SessionInit {
  threadId: string;
  settings: ThreadSettings;
  services: SessionServices;
  history?: HistoryItem[];
  turns?: TurnView[];
  tokenUsage?: ThreadTokenUsage | null;
}

/**
 * One loaded thread: the façade faces call. Holds the SessionState, the ActiveTurn slot and the
 * services; runs tasks and reports everything as SessionEvents. Every turn ends in `finishTurn`.
 */
export class Session {
  readonly threadId: string;
  private readonly state: SessionState;
  private readonly services: SessionServices;
  private readonly slotLock = new Mutex();
  private active: ActiveTurn | null = null;
  private readonly listeners = new Set<SessionEventListener>();
  private readonly turnViews: TurnView[];
  private diffChain: Promise<void> = Promise.resolve();
  /** History length at the end of each turn this session finished (for forks). */
  private readonly historyMarks = new Map<string, number>();

  constructor(init: SessionInit) {
    this.threadId = init.threadId;
    this.services = init.services;
    this.state = new SessionState(init.settings, init.history ?? [], init.tokenUsage ?? null);
    this.turnViews = (init.turns ?? []).map((t) => ({ info: { ...t.info }, items: t.items.slice() }));
  }

  // --- observation

  onEvent(listener: SessionEventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  settings(): ThreadSettings {
    return this.state.settings();
  }

  status(): ThreadStatus {
    if (!this.active) return { type: 'idle' };
    return {
      type: 'active',
      activeFlags: this.active.state.pendingApprovalCount() > 0 ? ['waitingOnApproval'] : [],
    };
  }

  /** The turns so far, the running one last (a copy). */
  turns(): TurnView[] {
    return this.turnViews.map((t) => ({ info: { ...t.info }, items: t.items.slice() }));
  }

  activeTurnId(): string | null {
    return this.active?.turnId ?? null;
  }

  tokenUsage() {
    return this.state.tokenUsage();
  }

  /** The model history (a copy), e.g. for tests and forks. */
  history(): HistoryItem[] {
    return this.state.historySnapshot();
  }

  // --- operations

  /**
   * Starts a turn. The turn is registered before this returns, so an interrupt that follows at
   * once always finds it. Overrides stick for later turns.
   */
  async submit(input: UserInput[], overrides: Partial<ThreadSettings> = {}, task?: Task): Promise<TurnInfo> {
    if (input.length === 0 && !task) throw new SessionError('invalid_input', 'input must not be empty');
    return this.slotLock.runExclusive(async () => {
      if (this.active) throw new SessionError('turn_in_progress', `turn ${this.active.turnId} is still running`);
      const before = this.state.settings();
      const settings = this.state.updateSettings(overrides);
      if (JSON.stringify(before) !== JSON.stringify(settings)) this.persist({ type: 'settings', settings: { ...settings } });
      const turnId = newId();
      const startedAt = this.services.now();
      const active = new ActiveTurn(turnId, task?.kind ?? 'regular', new TurnState(this.services.createDiffTracker(settings.cwd)), startedAt);
      this.active = active;
      const info: TurnInfo = { id: turnId, status: 'inProgress', error: null, startedAt: secs(startedAt), completedAt: null, durationMs: null };
      this.turnViews.push({ info, items: [] });
      const runTask = task ?? new RegularTurnTask();
      // Start after the caller has had the chance to answer its request.
      setImmediate(() => void this.runTask(active, runTask, input, settings, info));
      return { ...info };
    });
  }

  /** Adds input to the running turn; the model sees it at its next request. */
  steer(input: UserInput[], expectedTurnId: string): string {
    const active = this.active;
    if (!active) throw new SessionError('turn_not_active', 'no turn is running');
    if (active.turnId !== expectedTurnId) {
      throw new SessionError('turn_id_mismatch', `expected turn ${expectedTurnId} but ${active.turnId} is running`);
    }
    if (input.length === 0) throw new SessionError('invalid_input', 'input must not be empty');
    if (active.isClosing()) throw new SessionError('turn_not_active', `turn ${active.turnId} is finishing`);
    active.state.pushPendingInput(input);
    return active.turnId;
  }

  /** Interrupts the running turn; it ends with status `interrupted`. */
  interrupt(turnId?: string): Promise<TurnInfo> {
    const active = this.active;
    if (!active) throw new SessionError('turn_not_active', 'no turn is running');
    if (turnId && active.turnId !== turnId) {
      throw new SessionError('turn_id_mismatch', `turn ${turnId} is not the running turn (${active.turnId})`);
    }
    active.abort();
    return active.drain();
  }

  /** Answers a pending approval. Unknown or settled ids are ignored (returns false). */
  resolveApproval(requestId: string, decision: ApprovalDecision): boolean {
    const waiter = this.active?.state.takeApproval(requestId);
    if (!waiter) return false;
    waiter.decision.resolve(decision);
    return true;
  }

  /** Settles every pending approval as `cancel` (connection closed). */
  cancelPendingApprovals(): void {
    this.active?.state.clearApprovals();
  }

  /** Interrupts any running turn and waits for it to finish. */
  async shutdown(): Promise<void> {
    const active = this.active;
    if (active) {
      active.abort();
      await active.drain();
    }
    this.services.processes.killAll();
    this.services.recorder?.close();
  }

  /** Replaces the model history (compaction, revert) and persists the replacement. */
  replaceHistory(items: HistoryItem[], turnId: string | null): void {
    this.state.replaceHistory(items);
    this.persist({ type: 'compacted', turnId, replacementHistory: items });
  }

  /**
   * Seeds an idle, new session with turns and history copied from another thread (fork), and
   * persists them so the copy reads back the same after a restart.
   */
  importTurns(turns: TurnView[], history: HistoryItem[]): void {
    if (this.active) throw new SessionError('turn_in_progress', 'cannot import turns while a turn runs');
    for (const t of turns) {
      const view = { info: { ...t.info }, items: t.items.slice() };
      this.turnViews.push(view);
      this.persist({ type: 'turn_started', turnId: t.info.id, settings: {} });
      for (const item of view.items) this.persist({ type: 'item_completed', turnId: t.info.id, item });
      this.persist({
        type: 'turn_completed',
        turn: {
          turnId: t.info.id,
          status: t.info.status === 'inProgress' ? 'interrupted' : t.info.status,
          error: t.info.error,
          startedAt: t.info.startedAt ?? 0,
          completedAt: t.info.completedAt ?? 0,
          durationMs: t.info.durationMs ?? 0,
        },
      });
      this.historyMarks.set(t.info.id, history.length);
    }
    this.replaceHistory(history, null);
  }

  /** The history as it was when `turnId` finished, if this session saw it finish. */
  historyThrough(turnId: string): HistoryItem[] | undefined {
    const mark = this.historyMarks.get(turnId);
    return mark === undefined ? undefined : this.state.historySnapshot().slice(0, mark);
  }

  // --- the turn lifecycle

  private async runTask(active: ActiveTurn, task: Task, input: UserInput[], settings: ThreadSettings, info: TurnInfo): Promise<void> {
    this.emit({ type: 'turn_started', turn: { ...info } });
    this.emit({ type: 'status_changed', status: this.status() });
    this.persist({ type: 'turn_started', turnId: active.turnId, settings: { ...settings } });
    let status: TurnInfo['status'] = 'completed';
    let error: TurnError | null = null;
    try {
      if (!active.signal.aborted) await task.run(this.turnContext(active, settings), input);
      if (active.wasAborted()) status = 'interrupted';
    } catch (err) {
      if (active.wasAborted() || (err instanceof ModelError && err.kind === 'aborted')) {
        status = 'interrupted';
      } else {
        status = 'failed';
        error = toTurnError(err);
        this.services.logger.warn({ err, threadId: this.threadId, turnId: active.turnId }, 'turn failed');
      }
    }
    await this.finishTurn(active, info, status, error);
  }

  /** The one place a turn ends: settle waiters, flush the diff, persist, free the slot, report. */
  private async finishTurn(active: ActiveTurn, info: TurnInfo, status: TurnInfo['status'], error: TurnError | null): Promise<void> {
    // From here on the model will not be asked again: refuse steering instead of dropping it.
    active.markClosing();
    active.state.clearApprovals();
    await this.diffChain;
    const completedAt = this.services.now();
    this.historyMarks.set(active.turnId, this.state.historyLength());
    info.status = status;
    info.error = error;
    info.completedAt = secs(completedAt);
    info.durationMs = completedAt - active.startedAt;
    if (error) this.emit({ type: 'error', turnId: active.turnId, error, willRetry: false });
    this.persist({
      type: 'turn_completed',
      turn: {
        turnId: active.turnId,
        status: status === 'inProgress' ? 'completed' : status,
        error,
        startedAt: info.startedAt ?? 0,
        completedAt: info.completedAt,
        durationMs: info.durationMs,
      },
    });
    const recorder = this.services.recorder;
    if (recorder) {
      try {
        await recorder.sync();
      } catch (err) {
        this.services.logger.error({ err, threadId: this.threadId }, 'rollout sync failed');
      }
      this.services.updateMeta?.({ updatedAt: secs(completedAt) });
    }
    await this.slotLock.runExclusive(() => {
      if (this.active === active) this.active = null;
    });
    this.emit({ type: 'status_changed', status: this.status() });
    this.emit({ type: 'turn_completed', turn: { ...info } });
    active.markDone({ ...info });
  }

  private turnContext(active: ActiveTurn, settings: ThreadSettings): TurnContext {
    const turnId = active.turnId;
    let toolCtx: ToolContext | null = null;
    const ctx: TurnContext = {
      threadId: this.threadId,
      turnId,
      settings,
      modelInfo: this.services.modelInfo(settings.model),
      signal: active.signal,
      turnState: active.state,
      modelClient: this.services.modelClientFor(settings.modelProvider),
      tools: this.services.tools,
      logger: this.services.logger,
      flow: this.services.flow,
      emit: (e) => this.emit(e),
      recordHistory: (items) => {
        this.state.recordItems(items);
        for (const item of items) this.persist({ type: 'response_item', turnId, item });
      },
      history: () => this.state.historySnapshot(),
      itemStarted: (item) => this.emit({ type: 'item_started', turnId, item: { ...item } as TurnItem }),
      itemCompleted: (item) => this.completeItem(turnId, item),
      recordUsage: (usage: TokenUsage) => {
        const window = this.services.modelInfo(settings.model).contextWindow;
        const total = this.state.recordUsage(usage, window);
        this.persist({ type: 'token_usage', ...total });
        this.emit({ type: 'token_usage', turnId, usage: total });
      },
      setRateLimits: (snapshot: RateLimitSnapshot) => {
        this.state.setRateLimits(snapshot);
        this.emit({ type: 'rate_limits', snapshot });
      },
      toolContext: () => (toolCtx ??= this.toolContext(active, settings)),
      abortTurn: () => active.abort(),
    };
    return ctx;
  }

  private toolContext(active: ActiveTurn, settings: ThreadSettings): ToolContext {
    const turnId = active.turnId;
    return {
      threadId: this.threadId,
      turnId,
      cwd: settings.cwd,
      sandboxPolicy: settings.sandboxPolicy,
      approvalPolicy: settings.approvalPolicy,
      signal: active.signal,
      logger: this.services.logger,
      itemStarted: (item) => this.emit({ type: 'item_started', turnId, item: { ...item } as TurnItem }),
      itemCompleted: (item) => this.completeItem(turnId, item),
      commandOutputDelta: (itemId, delta) => this.emit({ type: 'command_output_delta', turnId, itemId, delta }),
      requestApproval: (req) => this.requestApproval(active, req),
      diff: active.state.diff,
      diffChanged: () => {
        // Computed now, so each update shows the files right after the change that caused it.
        const next = active.state.diff
          .unifiedDiff()
          .then((diff) => this.emit({ type: 'diff_updated', turnId, diff }))
          .catch((err) => this.services.logger.warn({ err }, 'turn diff failed'));
        this.diffChain = this.diffChain.then(() => next);
        return next;
      },
      planUpdated: (explanation, plan) => {
        active.state.setPlan(explanation, plan);
        this.emit({ type: 'plan_updated', turnId, explanation, plan });
      },
      processes: this.services.processes,
      flow: this.services.flow,
    };
  }

  private async requestApproval(active: ActiveTurn, req: ApprovalRequest): Promise<ApprovalDecision> {
    if (active.signal.aborted) return 'cancel';
    // A retry without the sandbox is never answered from the session's approvals.
    const alwaysAsk = req.kind === 'command' && req.alwaysAsk === true;
    if (!alwaysAsk && this.state.isApprovedForSession(req.kind, req.sessionKeys)) return 'accept';
    const requestId = req.itemId;
    const startedAtMs = this.services.now();
    const waiter = active.state.insertApproval(requestId, req, startedAtMs);
    this.emit({ type: 'status_changed', status: this.status() });
    this.emit({ type: 'approval_requested', turnId: active.turnId, requestId, startedAtMs, request: req });
    const decision = await waiter.decision.promise;
    active.state.takeApproval(requestId);
    if (decision === 'acceptForSession') this.state.recordApprovedForSession(req.kind, req.sessionKeys);
    this.emit({ type: 'approval_resolved', turnId: active.turnId, requestId, decision });
    this.emit({ type: 'status_changed', status: this.status() });
    return decision;
  }

  /** Persists the completed item before anyone is told about it. */
  private completeItem(turnId: string, item: TurnItem): void {
    const copy = { ...item } as TurnItem;
    this.persist({ type: 'item_completed', turnId, item: copy });
    const view = this.turnViews.find((t) => t.info.id === turnId);
    view?.items.push(copy);
    this.emit({ type: 'item_completed', turnId, item: copy });
  }

  private persist(line: DistributiveOmit<RolloutLine, 'ts'>): void {
    const recorder = this.services.recorder;
    if (!recorder) return;
    recorder.append({ ts: this.services.now(), ...line } as RolloutLine);
  }

  private emit(event: SessionEvent): void {
    for (const l of this.listeners) {
      try {
        l(event);
      } catch (err) {
        this.services.logger.error({ err, event: event.type }, 'session event listener failed');
      }
    }
  }
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

function secs(ms: number): number {
  return Math.floor(ms / 1000);
}

/** Maps a failure to the wire-neutral TurnError. */
export function toTurnError(err: unknown): TurnError {
  if (err instanceof ModelError) return { message: err.message, kind: err.kind, httpStatus: err.httpStatus ?? null };
  return { message: err instanceof Error ? err.message : String(err), kind: 'other' };
}
