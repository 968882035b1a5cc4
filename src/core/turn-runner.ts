import { ModelError } from '../model/types.js';
import type { HistoryItem, RateLimitSnapshot, TokenUsage } from '../model/types.js';
import type { SkillMetadata } from '../skills/index.js';
import { StorageError } from '../store/errors.js';
import type { RolloutLine } from '../store/types.js';
import type { Task, TurnContext } from '../tasks/task.js';
import type { ApprovalDecision, ApprovalRequest, EditorFiles, ToolContext, TrackedFileChange } from '../tools/types.js';
import type { SessionEvent, ThreadStatus, TurnError, TurnInfo } from './events.js';
import type { TurnItem, UserInput } from './items.js';
import type { SessionServices } from './services.js';
import type { ThreadSettings } from './settings.js';
import type { ActiveTurn, TurnRunnerHandle } from './state/active-turn.js';
import type { SessionState } from './state/session-state.js';

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/** A rollout line before the recorder stamps its time. */
export type RolloutLineInput = DistributiveOmit<RolloutLine, 'ts'>;

/** A turn as clients see it when reading the thread: its outcome and completed items. */
export interface TurnView {
  info: TurnInfo;
  items: TurnItem[];
}

/** What a turn runner needs from its Session. */
export interface TurnHost {
  readonly threadId: string;
  readonly state: SessionState;
  readonly services: SessionServices;
  status(): ThreadStatus;
  emit(event: SessionEvent): void;
  /** Appends a rollout line (no-op for ephemeral threads); throws when it cannot be written. */
  persist(line: RolloutLineInput): void;
  /** Frees the thread's turn slot if it still holds `active`. */
  release(active: ActiveTurn): Promise<void>;
  /** Remembers how long the history was when `turnId` finished (forks cut there). */
  markHistory(turnId: string, historyLength: number): void;
  /** Keeps (and persists) the files the turn changed, for a later revert with file restore. */
  recordTurnFiles?(turnId: string, files: TrackedFileChange[]): void;
  /** The client editor's files, when its face offers them. */
  editorFiles?(): EditorFiles | null;
}

interface Outcome {
  status: TurnInfo['status'];
  error: TurnError | null;
}

/**
 * Drives one turn from start to end: runs its task, builds the contexts the task and its tools
 * use, awaits approvals, completes items (persist, then report) and chains the turn diff. `run`
 * ends in `finish` whatever happens (a model error, a storage error, a bug in a tool), so the slot
 * is always freed, every approval waiter settled and `turn_completed` always reported.
 *
 * A line of the turn that cannot be written fails the turn (`storage_error`): the item it
 * belonged to is not reported as completed, the task is stopped, and the thread stays usable for
 * the next turn.
 */
export class TurnRunner implements TurnRunnerHandle {
  private diffChain: Promise<void> = Promise.resolve();
  private toolCtx: ToolContext | null = null;

  constructor(
    private readonly host: TurnHost,
    private readonly active: ActiveTurn,
    private readonly task: Task,
    private readonly input: UserInput[],
    private readonly settings: ThreadSettings,
    private readonly view: TurnView,
  ) {}

  /** Runs the turn to its end. Never rejects. */
  async run(): Promise<void> {
    let outcome: Outcome = { status: 'failed', error: { message: 'turn ended unexpectedly', kind: 'other' } };
    try {
      // Codex order: the thread turns active before the turn is announced.
      this.host.emit({ type: 'status_changed', status: this.host.status() });
      this.host.emit({ type: 'turn_started', turn: { ...this.view.info } });
      // The skills the model is told of are those of the cwd as the turn starts.
      const skills = (await this.host.services.skills?.forTurn(this.settings.cwd)) ?? [];
      if (!this.active.signal.aborted) await this.task.run(this.turnContext(skills), this.input);
      outcome = this.outcome(null);
    } catch (err) {
      outcome = this.outcome(err);
    } finally {
      await this.finish(outcome);
    }
  }

  private outcome(err: unknown): Outcome {
    const failure = this.active.failure();
    if (failure) return { status: 'failed', error: failure };
    if (err === null) return { status: this.active.wasAborted() ? 'interrupted' : 'completed', error: null };
    if (err instanceof StorageError) return { status: 'failed', error: storageTurnError(err) };
    if (this.active.wasAborted() || (err instanceof ModelError && err.kind === 'aborted')) return { status: 'interrupted', error: null };
    this.host.services.logger.warn({ err, threadId: this.host.threadId, turnId: this.active.turnId }, 'turn failed');
    return { status: 'failed', error: toTurnError(err) };
  }

  /** The one place a turn ends: settle waiters, flush the diff, persist, free the slot, report. */
  private async finish(outcome: Outcome): Promise<void> {
    const { host, active, view } = this;
    const info = view.info;
    let { status, error } = outcome;
    try {
      // From here on the model will not be asked again: refuse steering instead of dropping it.
      active.markClosing();
      active.state.clearApprovals();
      await this.diffChain;
      await this.recordFiles();
      const completedAt = host.services.now();
      host.markHistory(active.turnId, host.state.historyLength());
      info.completedAt = secs(completedAt);
      info.durationMs = completedAt - active.startedAt;
      try {
        host.persist({
          type: 'turn_completed',
          turn: { turnId: active.turnId, status: status === 'inProgress' ? 'completed' : status, error, startedAt: info.startedAt ?? 0, completedAt: info.completedAt, durationMs: info.durationMs },
        });
      } catch (err) {
        // The turn cannot be recorded as it ended; report that instead.
        host.services.logger.error({ err, turnId: active.turnId }, 'cannot persist the end of the turn');
        status = 'failed';
        error = storageTurnError(err);
      }
      if (error?.kind === 'storage_error') this.answerDanglingCalls();
      await this.syncAndTouch(completedAt);
    } catch (err) {
      host.services.logger.error({ err, turnId: active.turnId }, 'finishing the turn failed');
      if (status === 'completed') {
        status = 'failed';
        error = toTurnError(err);
      }
    } finally {
      info.status = status;
      info.error = error;
      try {
        await host.release(active);
      } catch (err) {
        host.services.logger.error({ err, turnId: active.turnId }, 'cannot free the turn slot');
      }
      if (error) host.emit({ type: 'error', turnId: active.turnId, error, willRetry: false });
      host.emit({ type: 'status_changed', status: host.status() });
      const lastAgentMessage = view.items.findLast((i) => i.type === 'agentMessage');
      host.emit({ type: 'turn_completed', turn: { ...info }, ...(lastAgentMessage ? { lastAgentMessage: { ...lastAgentMessage } } : {}) });
      active.markDone({ ...info });
    }
  }

  /**
   * After a failed write the history may hold tool calls whose outputs could not be saved; the
   * model API rejects a call without an output, so each gets one saying so (saved if the disk
   * takes it now, kept in memory in any case, so the thread's next turn works).
   */
  private answerDanglingCalls(): void {
    const { state } = this.host;
    const history = state.historySnapshot();
    const answered = new Set(history.flatMap((h) => (h.type === 'function_call_output' || h.type === 'custom_tool_call_output' ? [h.call_id] : [])));
    for (const h of history) {
      if ((h.type !== 'function_call' && h.type !== 'custom_tool_call') || answered.has(h.call_id)) continue;
      const output = 'aborted: the turn failed because its history could not be saved';
      const item: HistoryItem =
        h.type === 'function_call' ? { type: 'function_call_output', call_id: h.call_id, output } : { type: 'custom_tool_call_output', call_id: h.call_id, output };
      try {
        this.host.persist({ type: 'response_item', turnId: this.active.turnId, item });
      } catch {
        // Still full: the in-memory answer keeps the next request valid.
      }
      state.recordItems([item]);
    }
  }

  /** Flushes the rollout to disk and bumps the thread's `updatedAt`; failures are only logged. */
  /** Best effort: a turn whose before-images cannot be kept simply cannot restore files later. */
  private async recordFiles(): Promise<void> {
    const { host, active } = this;
    try {
      const files = (await active.state.diff.fileChanges?.()) ?? [];
      if (files.length > 0) host.recordTurnFiles?.(active.turnId, files);
    } catch (err) {
      host.services.logger.warn({ err, turnId: active.turnId }, 'cannot keep the files the turn changed');
    }
  }

  private async syncAndTouch(completedAt: number): Promise<void> {
    const { services } = this.host;
    if (!services.recorder) return;
    try {
      await services.recorder.sync();
    } catch (err) {
      services.logger.error({ err, threadId: this.host.threadId }, 'rollout sync failed');
    }
    try {
      services.updateMeta?.({ updatedAt: secs(completedAt) });
    } catch (err) {
      services.logger.warn({ err, threadId: this.host.threadId }, 'cannot update the thread index');
    }
  }

  /** Persists a line of this turn; a failed write fails the turn, then is rethrown to stop the task. */
  private persist(line: RolloutLineInput): void {
    try {
      this.host.persist(line);
    } catch (err) {
      const storage = StorageError.wrap('cannot write the rollout', err);
      this.active.fail(storageTurnError(storage));
      throw storage;
    }
  }

  private turnContext(skills: readonly SkillMetadata[]): TurnContext {
    const { host, active, settings } = this;
    const turnId = active.turnId;
    return {
      threadId: host.threadId,
      turnId,
      settings,
      skills,
      modelInfo: host.services.modelInfo(settings.model),
      signal: active.signal,
      turnState: active.state,
      modelClient: host.services.modelClientFor(settings.modelProvider),
      tools: host.services.tools,
      logger: host.services.logger,
      flow: host.services.flow,
      emit: (e) => host.emit(e),
      recordHistory: (items) => {
        // Saved first: the model is never shown history that a restart would not give back.
        for (const item of items) {
          this.persist({ type: 'response_item', turnId, item });
          host.state.recordItems([item]);
        }
      },
      history: () => host.state.historySnapshot(),
      goal: () => host.state.goal(),
      itemStarted: (item) => host.emit({ type: 'item_started', turnId, item: { ...item } as TurnItem }),
      itemCompleted: (item) => this.completeItem(item),
      recordUsage: (usage: TokenUsage) => {
        const window = host.services.modelInfo(settings.model).contextWindow;
        const total = host.state.recordUsage(usage, window);
        this.persist({ type: 'token_usage', ...total });
        host.emit({ type: 'token_usage', turnId, usage: total });
      },
      setRateLimits: (snapshot: RateLimitSnapshot) => {
        host.state.setRateLimits(snapshot);
        host.emit({ type: 'rate_limits', snapshot });
      },
      toolContext: () => (this.toolCtx ??= this.toolContext()),
      abortTurn: () => active.abort(),
      autoCompactTokenLimit: autoCompactLimit(host.services.autoCompactTokenLimit?.() ?? null, host.services.modelInfo(settings.model).contextWindow),
      tokenUsage: () => host.state.tokenUsage(),
      replaceHistory: (items) => {
        this.persist({ type: 'compacted', turnId, replacementHistory: items });
        host.state.replaceHistory(items);
      },
      setContextTokens: (tokens) => {
        const usage = host.state.setContextTokens(tokens, host.services.modelInfo(settings.model).contextWindow);
        this.persist({ type: 'token_usage', ...usage });
        host.emit({ type: 'token_usage', turnId, usage });
      },
    };
  }

  private toolContext(): ToolContext {
    const { host, active, settings } = this;
    const turnId = active.turnId;
    return {
      threadId: host.threadId,
      turnId,
      cwd: settings.cwd,
      sandboxPolicy: settings.sandboxPolicy,
      approvalPolicy: settings.approvalPolicy,
      signal: active.signal,
      logger: host.services.logger,
      ...(host.services.commandEnv ? { commandEnv: host.services.commandEnv } : {}),
      itemStarted: (item) => host.emit({ type: 'item_started', turnId, item: { ...item } as TurnItem }),
      itemCompleted: (item) => this.completeItem(item),
      recordInProgress: (item) => this.persist({ type: 'item_started', turnId, item: { ...item } as TurnItem }),
      commandOutputDelta: (itemId, delta) => host.emit({ type: 'command_output_delta', turnId, itemId, delta }),
      mcpProgress: (itemId, message) => host.emit({ type: 'mcp_tool_call_progress', turnId, itemId, message }),
      requestApproval: (req) => this.requestApproval(req),
      diff: active.state.diff,
      diffChanged: () => {
        // Computed now, so each update shows the files right after the change that caused it.
        const next = active.state.diff
          .unifiedDiff()
          .then((diff) => host.emit({ type: 'diff_updated', turnId, diff }))
          .catch((err) => host.services.logger.warn({ err }, 'turn diff failed'));
        this.diffChain = this.diffChain.then(() => next);
        return next;
      },
      planUpdated: (explanation, plan) => {
        active.state.setPlan(explanation, plan);
        host.emit({ type: 'plan_updated', turnId, explanation, plan });
      },
      processes: host.services.processes,
      flow: host.services.flow,
      ...withEditorFiles(host.editorFiles?.() ?? null),
    };
  }

  private async requestApproval(req: ApprovalRequest): Promise<ApprovalDecision> {
    const { host, active } = this;
    if (active.signal.aborted) return 'cancel';
    // A retry without the sandbox is never answered from the session's approvals.
    const alwaysAsk = req.kind === 'command' && req.alwaysAsk === true;
    if (!alwaysAsk && host.state.isApprovedForSession(req.kind, req.sessionKeys)) return 'accept';
    const requestId = req.itemId;
    const startedAtMs = host.services.now();
    const waiter = active.state.insertApproval(requestId, req, startedAtMs);
    host.emit({ type: 'status_changed', status: host.status() });
    host.emit({ type: 'approval_requested', turnId: active.turnId, requestId, startedAtMs, request: req });
    const decision = await waiter.decision.promise;
    active.state.takeApproval(requestId);
    if (decision === 'acceptForSession') host.state.recordApprovedForSession(req.kind, req.sessionKeys);
    host.emit({ type: 'approval_resolved', turnId: active.turnId, requestId, decision });
    host.emit({ type: 'status_changed', status: host.status() });
    return decision;
  }

  /**
   * Persists the completed item before anyone is told about it. An item that cannot be persisted
   * is not reported (the turn fails instead).
   */
  private completeItem(item: TurnItem): void {
    const copy = { ...item } as TurnItem;
    this.persist({ type: 'item_completed', turnId: this.active.turnId, item: copy });
    this.view.items.push(copy);
    this.host.emit({ type: 'item_completed', turnId: this.active.turnId, item: copy });
  }
}

/** The configured auto-compact limit, else 90% of the context window. */
export function autoCompactLimit(configured: number | null, contextWindow: number): number {
  return configured ?? Math.floor((contextWindow * 9) / 10);
}

function secs(ms: number): number {
  return Math.floor(ms / 1000);
}

/** The TurnError of a failed write: kind `storage_error`, with the errno in the details. */
export function storageTurnError(err: unknown): TurnError {
  const storage = StorageError.wrap('cannot write the rollout', err);
  return {
    message: `storage error: ${storage.message}`,
    kind: 'storage_error',
    additionalDetails: `storage_error${storage.errno ? ` (${storage.errno})` : ''}`,
  };
}

/** Maps a failure to the wire-neutral TurnError. */
export function toTurnError(err: unknown): TurnError {
  if (err instanceof StorageError) return storageTurnError(err);
  if (err instanceof ModelError) return { message: err.message, kind: err.kind, httpStatus: err.httpStatus ?? null };
  return { message: err instanceof Error ? err.message : String(err), kind: 'other' };
}

function withEditorFiles(files: EditorFiles | null): Pick<ToolContext, 'editorFiles'> {
  return files ? { editorFiles: files } : {};
}
