import type { ModelInfo } from '../config/types.js';
import type { SessionEvent, ThreadTokenUsage } from '../core/events.js';
import type { ThreadGoal } from '../core/goal.js';
import type { TurnItem, UserInput } from '../core/items.js';
import type { ThreadSettings } from '../core/settings.js';
import type { TurnState } from '../core/state/turn-state.js';
import type { HistoryItem, ModelClient, RateLimitSnapshot, TokenUsage } from '../model/types.js';
import type { SkillMetadata } from '../skills/index.js';
import type { ToolRegistry } from '../tools/registry.js';
import type { ToolContext } from '../tools/types.js';
import type { OutputFlow } from '../util/flow.js';
import type { Logger } from '../util/logger.js';

/**
 * What a running task may do to its session. The Session implements it; tasks never touch
 * session state directly, so every change goes through one persisted, event-emitting path.
 */
export interface TurnContext {
  readonly threadId: string;
  readonly turnId: string;
  /** The settings this turn runs with (thread settings plus the turn's overrides). */
  readonly settings: ThreadSettings;
  readonly modelInfo: ModelInfo;
  readonly signal: AbortSignal;
  readonly turnState: TurnState;
  readonly modelClient: ModelClient;
  readonly tools: ToolRegistry;
  readonly logger: Logger;
  /** Back-pressure from the client connection: wait on it before producing more output. */
  readonly flow: OutputFlow;
  /** The skills of the turn's cwd when the turn started, listed in the model's context. */
  readonly skills?: readonly SkillMetadata[];
  /** Emits an event that needs no persistence (deltas, usage, warnings). */
  emit(event: SessionEvent): void;
  /** Appends items to the model history (persisted before returning). */
  recordHistory(items: HistoryItem[]): void;
  /** The model history so far (a copy). */
  history(): HistoryItem[];
  /** The thread's goal as it is now (it may change while the turn runs), or null. */
  goal(): ThreadGoal | null;
  itemStarted(item: TurnItem): void;
  /** Persists, then emits `item_completed`. */
  itemCompleted(item: TurnItem): void;
  recordUsage(usage: TokenUsage): void;
  setRateLimits(snapshot: RateLimitSnapshot): void;
  /** Builds the ToolContext handed to tool handlers for this turn. */
  toolContext(): ToolContext;
  /** Aborts the turn (used when the user answers `cancel`). */
  abortTurn(): void;
  /** The reported usage at which the history is compacted (`model_auto_compact_token_limit`, else 90% of the window). */
  readonly autoCompactTokenLimit: number;
  /** The thread's token usage so far (last response and running total), or null. */
  tokenUsage(): ThreadTokenUsage | null;
  /** Replaces the model history (compaction); persisted as a `compacted` line before it applies. */
  replaceHistory(items: HistoryItem[]): void;
  /** Records that the context now holds about `tokens` tokens (after a compaction), and reports it. */
  setContextTokens(tokens: number): void;
}

/** The contract every task (regular turn, compaction, review) shares. */
export interface Task {
  readonly kind: 'regular' | 'compact' | 'review';
  run(ctx: TurnContext, input: UserInput[]): Promise<void>;
}
