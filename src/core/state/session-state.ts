import type { HistoryItem, RateLimitSnapshot, TokenUsage } from '../../model/types.js';
import type { ThreadTokenUsage } from '../events.js';
import type { ThreadGoal } from '../goal.js';
import type { ThreadSettings } from '../settings.js';

const zeroUsage = (): TokenUsage => ({
  inputTokens: 0,
  cachedInputTokens: 0,
  outputTokens: 0,
  reasoningOutputTokens: 0,
  totalTokens: 0,
});

/**
 * The thread's durable state: history sent to the model, token usage, rate limits, approvals
 * remembered for the session, and settings. No I/O; the Session guards it with a lock.
 */
export class SessionState {
  private historyItems: HistoryItem[] | null;
  /** Gives the history when it is first needed (a resumed thread decodes it then). */
  private pendingHistory: (() => HistoryItem[]) | null;
  private usage: ThreadTokenUsage | null;
  private rateLimits: RateLimitSnapshot | null = null;
  private readonly approvedForSession = new Set<string>();
  private settingsValue: ThreadSettings;
  private goalValue: ThreadGoal | null;

  constructor(
    settings: ThreadSettings,
    history: HistoryItem[] | (() => HistoryItem[]) = [],
    usage: ThreadTokenUsage | null = null,
    goal: ThreadGoal | null = null,
  ) {
    this.settingsValue = settings;
    this.historyItems = typeof history === 'function' ? null : history.slice();
    this.pendingHistory = typeof history === 'function' ? history : null;
    this.usage = usage;
    this.goalValue = goal;
  }

  // --- history

  private get history(): HistoryItem[] {
    if (this.historyItems === null) {
      this.historyItems = (this.pendingHistory?.() ?? []).slice();
      this.pendingHistory = null;
    }
    return this.historyItems;
  }

  /** The items the model has seen, oldest first (a copy). */
  historySnapshot(): HistoryItem[] {
    return this.history.slice();
  }

  historyLength(): number {
    return this.history.length;
  }

  recordItems(items: readonly HistoryItem[]): void {
    for (const item of items) this.history.push(item);
  }

  replaceHistory(items: HistoryItem[]): void {
    this.historyItems = items.slice();
    this.pendingHistory = null;
  }

  // --- token usage and rate limits

  /** Adds one response's usage; returns the thread's totals. */
  recordUsage(last: TokenUsage, contextWindow: number | null): ThreadTokenUsage {
    const total = this.usage?.total ?? zeroUsage();
    const next: TokenUsage = {
      inputTokens: total.inputTokens + last.inputTokens,
      cachedInputTokens: total.cachedInputTokens + last.cachedInputTokens,
      outputTokens: total.outputTokens + last.outputTokens,
      reasoningOutputTokens: total.reasoningOutputTokens + last.reasoningOutputTokens,
      totalTokens: total.totalTokens + last.totalTokens,
    };
    this.usage = { total: next, last, modelContextWindow: contextWindow };
    return this.usage;
  }

  /**
   * After a compaction: the context now holds about `tokens` tokens. `last` becomes that estimate
   * (so the auto-compact check sees the new size); the running total is unchanged.
   */
  setContextTokens(tokens: number, contextWindow: number | null): ThreadTokenUsage {
    const last: TokenUsage = { ...zeroUsage(), inputTokens: tokens, totalTokens: tokens };
    this.usage = { total: this.usage?.total ?? zeroUsage(), last, modelContextWindow: contextWindow };
    return this.usage;
  }

  tokenUsage(): ThreadTokenUsage | null {
    return this.usage;
  }

  setRateLimits(snapshot: RateLimitSnapshot): void {
    this.rateLimits = snapshot;
  }

  latestRateLimits(): RateLimitSnapshot | null {
    return this.rateLimits;
  }

  // --- approvals remembered for the session

  /** Remembers `keys` of one kind of request (a command key never matches a patched path). */
  recordApprovedForSession(kind: string, keys: readonly string[]): void {
    for (const k of keys) this.approvedForSession.add(JSON.stringify([kind, k]));
  }

  /** True when every key of this kind was approved for the session (and there is at least one). */
  isApprovedForSession(kind: string, keys: readonly string[]): boolean {
    return keys.length > 0 && keys.every((k) => this.approvedForSession.has(JSON.stringify([kind, k])));
  }

  // --- settings

  settings(): ThreadSettings {
    return this.settingsValue;
  }

  /** Merges overrides that stick for later turns; returns the new settings. */
  updateSettings(patch: Partial<ThreadSettings>): ThreadSettings {
    const clean = Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined));
    this.settingsValue = { ...this.settingsValue, ...clean };
    return this.settingsValue;
  }

  // --- goal

  /** The thread's goal, or null (a copy). */
  goal(): ThreadGoal | null {
    return this.goalValue ? { ...this.goalValue } : null;
  }

  setGoal(goal: ThreadGoal | null): void {
    this.goalValue = goal ? { ...goal } : null;
  }
}
