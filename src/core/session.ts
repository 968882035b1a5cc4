import { Mutex } from 'async-mutex';
import type { HistoryItem } from '../model/types.js';
import type { StoredTurn } from '../store/reconstruct.js';
import type { RevertedFile, RolloutLine, TurnFileChange } from '../store/types.js';
import { restorePaths, stateHash, type RestoreConflict } from '../tools/diff/restore-files.js';
import { CompactTask } from '../tasks/compact.js';
import { RegularTurnTask } from '../tasks/regular-turn.js';
import { ReviewTask, type ReviewTarget } from '../tasks/review.js';
import type { Task } from '../tasks/task.js';
import type { ApprovalDecision, EditorFiles } from '../tools/types.js';
import { newId } from '../util/ids.js';
import type { SessionEvent, SessionEventListener, ThreadStatus, ThreadTokenUsage, TurnInfo } from './events.js';
import { MAX_GOAL_OBJECTIVE_CHARS, type GoalUpdate, type ThreadGoal } from './goal.js';
import type { UserInput } from './items.js';
import { SessionError, storageSessionError } from './session-error.js';
import type { SessionServices } from './services.js';
import type { RunningSession } from '../tools/shell/process-sessions.js';
import type { ThreadSettings } from './settings.js';
import { importedTurnLines } from './imported-turns.js';
import { ActiveTurn } from './state/active-turn.js';
import { SessionState } from './state/session-state.js';
import { TurnState } from './state/turn-state.js';
import { TurnRunner, type RolloutLineInput, type TurnHost, type TurnView } from './turn-runner.js';

export type { TurnView, EditorFiles };
export { toTurnError } from './turn-runner.js';

export interface SessionInit {
  threadId: string;
  settings: ThreadSettings;
  services: SessionServices;
  /** The model history, or a function giving it when first needed (a resume reads it lazily). */
  history?: HistoryItem[] | (() => HistoryItem[]);
  turns?: TurnView[];
  tokenUsage?: ThreadTokenUsage | null;
  goal?: ThreadGoal | null;
  /** The files each turn changed (from `turn_files` lines). */
  turnFiles?: Map<string, TurnFileChange[]>;
  /** The last revert, if it can still be undone. */
  undoableRevert?: { beforeTurnId: string; restored: RevertedFile[] } | null;
}

/**
 * One loaded thread: the façade faces call. Holds the SessionState, the ActiveTurn slot and the
 * services, and reports everything as SessionEvents. A turn's lifecycle belongs to its
 * TurnRunner (owned by the ActiveTurn), which always ends the turn, whatever happens.
 */
export class Session {
  readonly threadId: string;
  private readonly state: SessionState;
  private readonly services: SessionServices;
  private readonly slotLock = new Mutex();
  private active: ActiveTurn | null = null;
  private readonly listeners = new Set<SessionEventListener>();
  private readonly turnViews: TurnView[];
  /** History length at the end of each turn this session finished (for forks). */
  private readonly historyMarks = new Map<string, number>();
  /** What the turn runners see of this session. */
  private readonly host: TurnHost;
  /** The thread's token total when each running turn started (for the goal's accounting). */
  private readonly tokensAtStart = new Map<string, number>();
  /** Files each turn changed, with their images before it (for revert with restoreFiles). */
  private readonly turnFiles: Map<string, TurnFileChange[]>;
  /** The last revert while it can be undone; `turns`/`history` set when it happened in this process. */
  private undoable: RevertUndo | null;
  /** The client editor's files (ACP `fs/*`), when the face that opened the thread offers them. */
  private editor: EditorFiles | null = null;

  constructor(init: SessionInit) {
    this.threadId = init.threadId;
    this.services = init.services;
    this.state = new SessionState(init.settings, init.history ?? [], init.tokenUsage ?? null, init.goal ?? null);
    this.turnFiles = new Map(init.turnFiles ?? []);
    this.undoable = init.undoableRevert ? { ...init.undoableRevert, turns: null, history: null } : null;
    this.turnViews = (init.turns ?? []).map((t) => ({ info: { ...t.info }, items: t.items.slice() }));
    this.host = {
      threadId: this.threadId,
      state: this.state,
      services: this.services,
      status: () => this.status(),
      emit: (e) => this.emit(e),
      persist: (line) => this.persist(line),
      release: (active) =>
        this.slotLock.runExclusive(() => {
          if (this.active === active) this.active = null;
          this.accountGoal(active.turnId, active.startedAt);
        }),
      markHistory: (turnId, length) => this.historyMarks.set(turnId, length),
      editorFiles: () => this.editor,
      recordTurnFiles: (turnId, files) => {
        const stored = files.map((f) => ({
          path: f.path,
          before: f.before ? { contentBase64: f.before.content.toString('base64'), mode: f.before.mode } : null,
          afterSha256: f.afterSha256,
          ...(f.notKept ? { notKept: f.notKept } : {}),
        }));
        this.persist({ type: 'turn_files', turnId, files: stored });
        this.turnFiles.set(turnId, stored);
      },
    };
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

  /**
   * Lets the thread's patches read the client editor's buffers and write through it, from the next
   * tool call on (null: agentd reads and writes the files itself).
   */
  setEditorFiles(files: EditorFiles | null): void {
    this.editor = files;
  }

  /**
   * The completion handle of a turn: resolves with the final turn once it has ended (after its
   * `turn_completed` was emitted), at once for a turn that already ended. A face whose request
   * answers at the end of a turn (ACP's `session/prompt`) waits on it.
   */
  turnEnded(turnId: string): Promise<TurnInfo> {
    const active = this.active;
    if (active?.turnId === turnId) return active.drain();
    const view = this.turnViews.find((t) => t.info.id === turnId);
    if (!view) return Promise.reject(new SessionError('invalid_input', `thread ${this.threadId} has no turn ${turnId}`));
    return Promise.resolve({ ...view.info });
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
   * Starts a turn. The turn is registered (and its first line persisted) before this returns, so
   * an interrupt that follows at once always finds it. Overrides stick for later turns. A turn
   * whose first line cannot be written is refused with `storage_error` and changes nothing.
   */
  async submit(input: UserInput[], overrides: Partial<ThreadSettings> = {}, task?: Task): Promise<TurnInfo> {
    if (input.length === 0 && !task) throw new SessionError('invalid_input', 'input must not be empty');
    return this.slotLock.runExclusive(async () => {
      if (this.active) throw new SessionError('turn_in_progress', `turn ${this.active.turnId} is still running`);
      const before = this.state.settings();
      const settings = this.state.updateSettings(overrides);
      const changed = JSON.stringify(before) !== JSON.stringify(settings);
      const turnId = newId();
      // A new turn makes the last revert final.
      this.undoable = null;
      try {
        if (changed) this.persist({ type: 'settings', settings: { ...settings } });
        this.persist({ type: 'turn_started', turnId, settings: { ...settings } });
      } catch (err) {
        this.state.updateSettings(before);
        throw storageSessionError(err);
      }
      if (changed) this.emit({ type: 'settings_updated', settings: { ...settings } });
      this.tokensAtStart.set(turnId, this.state.tokenUsage()?.total.totalTokens ?? 0);
      const startedAt = this.services.now();
      const active = new ActiveTurn(turnId, task?.kind ?? 'regular', new TurnState(this.services.createDiffTracker(settings.cwd)), startedAt);
      this.active = active;
      const view: TurnView = {
        info: { id: turnId, status: 'inProgress', error: null, startedAt: secs(startedAt), completedAt: null, durationMs: null },
        items: [],
      };
      this.turnViews.push(view);
      // Starts after the caller has had the chance to answer its request.
      active.launch(new TurnRunner(this.host, active, task ?? new RegularTurnTask(), input, settings, view));
      return { ...view.info };
    });
  }

  /**
   * Starts a turn that compacts the history (answers at once; the turn reports a
   * `contextCompaction` item). Refused with `turn_in_progress` while any turn runs, and a turn
   * started while the compaction runs is refused the same way.
   */
  compact(): Promise<TurnInfo> {
    return this.submit([], {}, new CompactTask());
  }

  /**
   * Starts a review of `target` as a turn of this thread (inline): read-only, its outcome added to
   * the history. Refused with `turn_in_progress` while a turn runs, like any turn.
   */
  review(target: ReviewTarget): Promise<TurnInfo> {
    return this.submit([], {}, new ReviewTask(target));
  }

  /**
   * Changes the thread's settings for the turns that start after this call; a running turn keeps
   * the settings it started with. The new settings are persisted (a `settings` line) before they
   * are reported; a failed write changes nothing and throws `storage_error`.
   */
  updateSettings(patch: Partial<ThreadSettings>): ThreadSettings {
    const before = this.state.settings();
    const settings = this.state.updateSettings(patch);
    if (JSON.stringify(before) !== JSON.stringify(settings)) {
      try {
        this.persist({ type: 'settings', settings: { ...settings } });
      } catch (err) {
        this.state.updateSettings(before);
        throw storageSessionError(err);
      }
    }
    this.emit({ type: 'settings_updated', settings: { ...settings } });
    return settings;
  }

  /** The thread's goal, or null. */
  goal(): ThreadGoal | null {
    return this.state.goal();
  }

  /**
   * Sets or changes the goal. With an objective, creates the goal (status `active` unless given)
   * or replaces the objective of the current one, keeping its accounting; without one, changes the
   * current goal's status or budget (`invalid_input` when there is no goal). Persisted, then
   * reported as `goal_updated`.
   */
  setGoal(update: GoalUpdate): ThreadGoal {
    const current = this.state.goal();
    const now = secs(this.services.now());
    let objective = current?.objective;
    if (update.objective !== undefined) {
      objective = update.objective.trim();
      if (objective.length === 0) throw new SessionError('invalid_input', 'objective: must not be empty');
      if (objective.length > MAX_GOAL_OBJECTIVE_CHARS) {
        throw new SessionError('invalid_input', `objective: must be at most ${MAX_GOAL_OBJECTIVE_CHARS} characters`);
      }
    }
    if (objective === undefined) {
      throw new SessionError('invalid_input', `thread ${this.threadId} has no goal: set an objective first`);
    }
    const tokenBudget = update.tokenBudget !== undefined ? update.tokenBudget : (current?.tokenBudget ?? null);
    if (tokenBudget !== null && (!Number.isSafeInteger(tokenBudget) || tokenBudget <= 0)) {
      throw new SessionError('invalid_input', 'tokenBudget: must be a positive integer');
    }
    const goal: ThreadGoal = {
      objective,
      status: update.status ?? current?.status ?? 'active',
      tokenBudget,
      tokensUsed: current?.tokensUsed ?? 0,
      timeUsedSeconds: current?.timeUsedSeconds ?? 0,
      createdAt: current?.createdAt ?? now,
      updatedAt: now,
    };
    this.commitGoal(goal);
    this.emit({ type: 'goal_updated', turnId: this.active?.turnId ?? null, goal: { ...goal } });
    return goal;
  }

  /** Removes the goal; false when there was none. Persisted, then reported as `goal_cleared`. */
  clearGoal(): boolean {
    if (!this.state.goal()) return false;
    this.commitGoal(null);
    this.emit({ type: 'goal_cleared' });
    return true;
  }

  /** Writes the goal line, then changes the state; a failed write changes nothing. */
  private commitGoal(goal: ThreadGoal | null): void {
    try {
      this.persist({ type: 'goal', goal: goal ? { ...goal } : null });
    } catch (err) {
      throw storageSessionError(err);
    }
    this.state.setGoal(goal);
  }

  /**
   * At the end of a turn that ends with the goal active: adds the turn's tokens and time to the
   * goal, and marks it `budgetLimited` once its budget is spent. Best effort: a failed write is
   * logged and leaves the goal as it was.
   */
  private accountGoal(turnId: string, startedAtMs: number): void {
    const atStart = this.tokensAtStart.get(turnId);
    this.tokensAtStart.delete(turnId);
    const goal = this.state.goal();
    if (!goal || goal.status !== 'active' || atStart === undefined) return;
    const nowMs = this.services.now();
    const tokens = Math.max(0, (this.state.tokenUsage()?.total.totalTokens ?? 0) - atStart);
    const next: ThreadGoal = {
      ...goal,
      tokensUsed: goal.tokensUsed + tokens,
      timeUsedSeconds: goal.timeUsedSeconds + Math.max(0, Math.round((nowMs - startedAtMs) / 1000)),
      updatedAt: secs(nowMs),
    };
    if (next.tokenBudget !== null && next.tokensUsed >= next.tokenBudget) next.status = 'budgetLimited';
    try {
      this.commitGoal(next);
    } catch (err) {
      this.services.logger.warn({ err, threadId: this.threadId }, 'cannot record the goal accounting');
      return;
    }
    this.emit({ type: 'goal_updated', turnId, goal: { ...next } });
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
    // A review works only on its target; input for the thread waits for the next turn.
    if (active.kind === 'review') throw new SessionError('invalid_input', `turn ${active.turnId} is a review and cannot be steered`);
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

  /**
   * Answers a pending approval. Unknown or settled ids are ignored (returns false). With `turnId`,
   * only that turn's request is answered: request ids are the model's call ids, which a later turn
   * may reuse, and a late answer to an interrupted turn's request must not approve the new one.
   */
  resolveApproval(requestId: string, decision: ApprovalDecision, turnId?: string): boolean {
    const active = this.active;
    if (turnId !== undefined && active?.turnId !== turnId) return false;
    const waiter = active?.state.takeApproval(requestId);
    if (!waiter) return false;
    waiter.decision.resolve(decision);
    return true;
  }

  /** Settles every pending approval as `cancel` (connection closed). */
  cancelPendingApprovals(): void {
    this.active?.state.clearApprovals();
  }

  /** The thread's commands that still run in the background (exec sessions), oldest first. */
  backgroundProcesses(): RunningSession[] {
    return this.services.processes.running();
  }

  /** Kills one of the thread's background commands; false when it names none that runs. */
  terminateBackgroundProcess(sessionId: number): boolean {
    if (!this.services.processes.running().some((r) => r.sessionId === sessionId)) return false;
    this.services.processes.kill(sessionId);
    return true;
  }

  /** Interrupts any running turn, waits for it to finish, then disposes the thread's services. */
  async shutdown(): Promise<void> {
    const active = this.active;
    if (active) {
      active.abort();
      await active.drain();
    }
    this.services.dispose();
  }

  /**
   * Replaces the model history (compaction, revert) and persists the replacement; throws
   * `storage_error` (history unchanged) when it cannot be written.
   */
  replaceHistory(items: HistoryItem[], turnId: string | null): void {
    try {
      this.persist({ type: 'compacted', turnId, replacementHistory: items });
    } catch (err) {
      throw storageSessionError(err);
    }
    this.state.replaceHistory(items);
  }

  /**
   * Seeds an idle, new session with turns and history copied from another thread (fork), and
   * persists them so the copy reads back the same after a restart.
   */
  importTurns(turns: TurnView[], history: HistoryItem[]): void {
    if (this.active) throw new SessionError('turn_in_progress', 'cannot import turns while a turn runs');
    try {
      for (const t of turns) {
        for (const line of importedTurnLines(t)) this.persist(line);
        this.turnViews.push({ info: { ...t.info }, items: t.items.slice() });
        this.historyMarks.set(t.info.id, history.length);
      }
    } catch (err) {
      throw storageSessionError(err);
    }
    this.replaceHistory(history, null);
  }

  /** The history as it was when `turnId` finished, if this session saw it finish. */
  historyThrough(turnId: string): HistoryItem[] | undefined {
    const mark = this.historyMarks.get(turnId);
    return mark === undefined ? undefined : this.state.historySnapshot().slice(0, mark);
  }

  /**
   * Drops `beforeTurnId` and every later turn from the history, the turns and resume (a
   * `reverted` line). With `restoreFiles`, first puts back every file those turns changed (their
   * images before the first of them) and refuses with `file_conflict`, changing nothing, when one
   * was changed since. Undoable with `undoRevert` until the next turn starts.
   */
  async revert(beforeTurnId: string, restoreFiles: boolean): Promise<TurnView[]> {
    return this.slotLock.runExclusive(async () => {
      if (this.active) throw new SessionError('turn_in_progress', `turn ${this.active.turnId} is still running`);
      const at = this.turnViews.findIndex((t) => t.info.id === beforeTurnId);
      if (at < 0) throw new SessionError('invalid_input', `beforeTurnId: thread ${this.threadId} has no turn ${beforeTurnId}`);
      const dropped = this.turnViews.slice(at);
      const prevId = at > 0 ? this.turnViews[at - 1]!.info.id : null;
      const mark = prevId === null ? 0 : this.historyMarks.get(prevId);
      if (!this.services.reload && mark === undefined) {
        throw new SessionError('invalid_input', `beforeTurnId: the history before turn ${beforeTurnId} is not known in this session`);
      }
      let restored: RevertedFile[] = [];
      if (restoreFiles) restored = await this.restoreTurnFiles(dropped.map((t) => t.info.id));
      try {
        this.persist({ type: 'reverted', beforeTurnId, ...(restored.length > 0 ? { restored } : {}) });
      } catch (err) {
        await this.putBack(restored).catch(() => undefined);
        throw storageSessionError(err);
      }
      const historyBefore = this.state.historySnapshot();
      const history = this.services.reload ? (await this.services.reload()).history : historyBefore.slice(0, mark);
      this.state.replaceHistory(history);
      this.turnViews.splice(at);
      this.undoable = { beforeTurnId, restored, turns: dropped, history: historyBefore };
      this.emit({ type: 'reverted' });
      return this.turns();
    });
  }

  /** Takes back the last revert (history, turns and the files it restored) if no turn started since. */
  async undoRevert(): Promise<TurnView[]> {
    return this.slotLock.runExclusive(async () => {
      if (this.active) throw new SessionError('turn_in_progress', `turn ${this.active.turnId} is still running`);
      const undo = this.undoable;
      if (!undo) throw new SessionError('invalid_input', `thread ${this.threadId} has no revert to undo (a turn started since, or none was made)`);
      const entries = undo.restored.map((f) => ({
        path: f.path,
        expectedSha256: f.restoredSha256,
        target: f.current ? { content: Buffer.from(f.current.contentBase64, 'base64'), mode: f.current.mode } : null,
      }));
      const result = await restorePaths(entries);
      if (!result.ok) throw conflictError(result.conflicts);
      try {
        this.persist({ type: 'revert_undone' });
      } catch (err) {
        throw storageSessionError(err);
      }
      if (this.services.reload) {
        const r = await this.services.reload();
        this.state.replaceHistory(r.history);
      } else if (undo.history) {
        this.state.replaceHistory(undo.history);
      }
      if (undo.turns) this.turnViews.push(...undo.turns);
      else if (this.services.reload) {
        const r = await this.services.reload();
        const have = new Set(this.turnViews.map((t) => t.info.id));
        for (const t of r.turns) if (!have.has(t.turnId)) this.turnViews.push(storedView(t));
      }
      this.undoable = null;
      this.emit({ type: 'reverted' });
      return this.turns();
    });
  }

  /** Restores the files of `turnIds` (in order) to before the first of them; returns what undo needs. */
  private async restoreTurnFiles(turnIds: string[]): Promise<RevertedFile[]> {
    const plan = new Map<string, { target: TurnFileChange['before']; expected: string | null }>();
    const notKept: string[] = [];
    for (const id of turnIds) {
      for (const f of this.turnFiles.get(id) ?? []) {
        const seen = plan.get(f.path);
        if (seen) seen.expected = f.afterSha256;
        else {
          plan.set(f.path, { target: f.before, expected: f.afterSha256 });
          // What the file was before the first of these turns is the one thing a restore needs.
          if (f.notKept) notKept.push(`${f.path} (its content before turn ${id} was not kept: ${f.notKept})`);
        }
      }
    }
    if (notKept.length > 0) {
      throw new SessionError('invalid_input', `cannot restore files: ${notKept.join('; ')}. Revert without restoreFiles to keep the files as they are.`);
    }
    const entries = [...plan].map(([p, e]) => ({
      path: p,
      expectedSha256: e.expected,
      target: e.target ? { content: Buffer.from(e.target.contentBase64, 'base64'), mode: e.target.mode } : null,
    }));
    const result = await restorePaths(entries);
    if (!result.ok) throw conflictError(result.conflicts);
    return entries.map((e) => {
      const prev = result.previous.get(e.path) ?? null;
      return {
        path: e.path,
        current: prev ? { contentBase64: prev.content.toString('base64'), mode: prev.mode } : null,
        restoredSha256: stateHash(e.target),
      };
    });
  }

  /** Best effort: writes back what a revert replaced (its line could not be persisted). */
  private async putBack(restored: RevertedFile[]): Promise<void> {
    await restorePaths(
      restored.map((f) => ({
        path: f.path,
        expectedSha256: f.restoredSha256,
        target: f.current ? { content: Buffer.from(f.current.contentBase64, 'base64'), mode: f.current.mode } : null,
      })),
    );
  }

  /** Appends a rollout line; throws (a StorageError from the store) when it cannot be written. */
  private persist(line: RolloutLineInput): void {
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

interface RevertUndo {
  beforeTurnId: string;
  restored: RevertedFile[];
  /** The dropped turns and the history before the revert, when this session made it. */
  turns: TurnView[] | null;
  history: HistoryItem[] | null;
}

function conflictError(conflicts: RestoreConflict[]): SessionError {
  const list = conflicts.map((c) => `${c.path} (${c.reason})`).join('; ');
  return new SessionError('file_conflict', `cannot restore files, changed since the turns wrote them: ${list}`);
}

function storedView(t: StoredTurn): TurnView {
  return {
    info: { id: t.turnId, status: t.status, error: t.error ? { message: t.error.message, kind: t.error.kind ?? 'other', httpStatus: t.error.httpStatus ?? null } : null, startedAt: t.startedAt, completedAt: t.completedAt, durationMs: t.durationMs },
    items: t.items.slice(),
  };
}

function secs(ms: number): number {
  return Math.floor(ms / 1000);
}
