import type { HistoryItem, TokenUsage } from '../model/types.js';
import type { ThreadGoal } from '../core/goal.js';
import type { TurnItem } from '../core/items.js';

/** Metadata of a stored thread (first line of its rollout, kept current in the index). */
export interface ThreadMeta {
  id: string;
  /** Unix seconds. */
  createdAt: number;
  /** Unix seconds. */
  updatedAt: number;
  cwd: string;
  model: string | null;
  modelProvider: string;
  name: string | null;
  /** The first user message (truncated), for lists. */
  preview: string;
  archived: boolean;
  /** Absolute path of the rollout file. */
  path: string;
  forkedFromId: string | null;
  cliVersion: string;
  source: string;
  /** The cwd's git repository when the thread was last started or resumed (null: not a repository). */
  gitInfo?: { sha: string | null; branch: string | null; originUrl: string | null } | null;
}

export interface TurnRecord {
  turnId: string;
  status: 'completed' | 'interrupted' | 'failed';
  error?: { message: string; kind?: string; httpStatus?: number | null } | null;
  startedAt: number;
  completedAt: number;
  durationMs: number;
}

/**
 * One line of a rollout file (JSONL, append-only). `ts` is ms since epoch. Replaying the lines in
 * order rebuilds the model history (`response_item`, `compacted`) and the client-visible turns
 * (`turn_started`, `item_completed`, `turn_completed`).
 */
export type RolloutLine = { ts: number } & (
  | { type: 'session_meta'; meta: ThreadMeta }
  | { type: 'turn_started'; turnId: string; settings: Record<string, unknown> }
  | { type: 'response_item'; turnId: string | null; item: HistoryItem }
  /** An item about to act on the world (a patch before its writes); its `item_completed` supersedes it. */
  | { type: 'item_started'; turnId: string; item: TurnItem }
  | { type: 'item_completed'; turnId: string; item: TurnItem }
  | { type: 'turn_completed'; turn: TurnRecord }
  | { type: 'token_usage'; total: TokenUsage; last: TokenUsage; modelContextWindow: number | null }
  | { type: 'settings'; settings: Record<string, unknown> }
  /** The history was replaced; `turnId` is null when no turn did it (a fork's copied history). */
  | { type: 'compacted'; turnId: string | null; replacementHistory: HistoryItem[] }
  /**
   * Drops `beforeTurnId` and every later turn. `restored`: the files the revert put back, each
   * with its content just before the revert (for undo) and the hash of what the revert wrote.
   */
  | { type: 'reverted'; beforeTurnId: string; restored?: RevertedFile[] }
  /** Undoes the last `reverted` line (only valid before the next turn starts). */
  | { type: 'revert_undone' }
  /** The files a turn changed: each one's content before the turn and the hash of it after. */
  | { type: 'turn_files'; turnId: string; files: TurnFileChange[] }
  /** The thread goal as it now is; null: cleared. The last one wins. */
  | { type: 'goal'; goal: ThreadGoal | null }
);

export type SortKey = 'created_at' | 'updated_at';

export interface ListThreadsQuery {
  cursor?: string | null;
  limit?: number | null;
  sortKey?: SortKey | null;
  sortDirection?: 'asc' | 'desc' | null;
  archived?: boolean | null;
  cwd?: string | null;
  searchTerm?: string | null;
}

export interface ListThreadsResult {
  data: ThreadMeta[];
  nextCursor: string | null;
}

/** A file's content (base64) and mode bits. */
export interface FileImage {
  contentBase64: string;
  mode: number;
}

/** One path a turn changed: its image before the turn (null: absent) and sha256 after (null: absent). */
export interface TurnFileChange {
  path: string;
  before: FileImage | null;
  afterSha256: string | null;
  /** The image before the turn was not kept (`before` is then null): why a restore is impossible. */
  notKept?: string;
}

/** One path a revert restored: its image just before the revert and the sha256 the revert left. */
export interface RevertedFile {
  path: string;
  current: FileImage | null;
  restoredSha256: string | null;
}
