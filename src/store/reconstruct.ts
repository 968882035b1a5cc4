import type { ThreadGoal } from '../core/goal.js';
import type { TurnItem } from '../core/items.js';
import type { HistoryItem, TokenUsage } from '../model/types.js';
import { LazyResponseItemLine } from './rollout-reader.js';
import type { RevertedFile, RolloutLine, TurnFileChange, TurnRecord } from './types.js';

/** A turn rebuilt from a rollout: its record plus its completed items, in order. */
export type StoredTurn = TurnRecord & { items: TurnItem[] };

/** Everything a Session needs to resume a thread from its rollout. */
export interface ReconstructedThread {
  /**
   * The model history (Responses API items), after compactions and reverts. Items read lazily
   * (see `readRollout`) are decoded on first access of this property, not before.
   */
  readonly history: HistoryItem[];
  /** Client-visible turns in the order they started. */
  turns: StoredTurn[];
  tokenUsage: { total: TokenUsage; last: TokenUsage; modelContextWindow: number | null } | null;
  /** All `settings` lines merged, later keys winning. */
  settings: Record<string, unknown>;
  /** The thread goal of the last `goal` line (null: none, or cleared). */
  goal: ThreadGoal | null;
  /** The files each kept turn changed (`turn_files` lines), by turn id. */
  turnFiles: Map<string, TurnFileChange[]>;
  /** The last revert, while it can still be undone (no turn started since); else null. */
  undoableRevert: UndoableRevert | null;
}

/** A revert that `revert_undone` would take back. */
export interface UndoableRevert {
  beforeTurnId: string;
  droppedTurnIds: string[];
  restored: RevertedFile[];
}

/**
 * Replays rollout lines. A `reverted` line drops the turn it names and every turn started after
 * it (up to that point); the replay then ignores every line of a dropped turn, including its
 * response items and compactions, so the result is as if those turns never ran. A turn that
 * started but never completed (the daemon died) comes back as `interrupted`; an item recorded as
 * started but never completed (a patch cut short) comes back `failed`, and every tool call left
 * without an output is answered (see `answerUnansweredCalls`), so the history stays valid for the
 * model API.
 */
export function reconstructThread(lines: readonly RolloutLine[]): ReconstructedThread {
  const { dropped, undoable } = droppedTurns(lines);
  const turnFiles = new Map<string, TurnFileChange[]>();
  const kept = (turnId: string | null) => turnId === null || !dropped.has(turnId);

  // Lazy lines stay undecoded until `history` is read.
  let history: (HistoryItem | LazyResponseItemLine)[] = [];
  const turns = new Map<string, TurnBuilder>();
  let tokenUsage: ReconstructedThread['tokenUsage'] = null;
  const settings: Record<string, unknown> = {};
  let goal: ThreadGoal | null = null;

  const turnFor = (turnId: string, ts: number): TurnBuilder => {
    let t = turns.get(turnId);
    if (!t) turns.set(turnId, (t = { turnId, startedTs: ts, lastTs: ts, record: null, items: [] }));
    t.lastTs = Math.max(t.lastTs, ts);
    return t;
  };

  for (const line of lines) {
    switch (line.type) {
      case 'session_meta':
      case 'reverted':
      case 'revert_undone':
        break;
      case 'turn_files':
        if (kept(line.turnId)) turnFiles.set(line.turnId, line.files);
        break;
      case 'turn_started':
        if (kept(line.turnId)) turnFor(line.turnId, line.ts);
        break;
      case 'response_item':
        if (kept(line.turnId)) {
          history.push(line instanceof LazyResponseItemLine ? line : line.item);
          if (line.turnId !== null) turnFor(line.turnId, line.ts);
        }
        break;
      case 'item_started':
        if (kept(line.turnId)) {
          const t = turnFor(line.turnId, line.ts);
          if (!t.items.some((i) => i.id === line.item.id)) t.items.push(cutShort(line.item));
        }
        break;
      case 'item_completed':
        if (kept(line.turnId)) upsertItem(turnFor(line.turnId, line.ts).items, line.item);
        break;
      case 'turn_completed':
        if (kept(line.turn.turnId)) turnFor(line.turn.turnId, line.ts).record = line.turn;
        break;
      case 'compacted':
        if (kept(line.turnId)) {
          history = [...line.replacementHistory];
          if (line.turnId) turnFor(line.turnId, line.ts);
        }
        break;
      case 'token_usage':
        tokenUsage = { total: line.total, last: line.last, modelContextWindow: line.modelContextWindow };
        break;
      case 'settings':
        Object.assign(settings, line.settings);
        break;
      case 'goal':
        goal = line.goal ?? null;
        break;
    }
  }

  const built = [...turns.values()].map(finishTurn);
  const cut = new Set(built.flatMap((t) => t.items.filter((i) => i.type === 'fileChange' && i.status === 'failed').map((i) => i.id)));
  let decoded: HistoryItem[] | null = null;
  const sources = history;
  return {
    get history(): HistoryItem[] {
      // One read of the rollout for all lazy lines; one found corrupt now is skipped, as an
      // unparseable line is when read.
      if (!decoded) LazyResponseItemLine.decodeAll(sources.filter((h): h is LazyResponseItemLine => h instanceof LazyResponseItemLine));
      decoded ??= answerUnansweredCalls(
        sources.flatMap((h) => (h instanceof LazyResponseItemLine ? (h.tryItem() ?? []) : [h])),
        cut,
      );
      return decoded;
    },
    turns: built,
    tokenUsage,
    settings,
    goal,
    turnFiles,
    undoableRevert: undoable,
  };
}

/** The model-facing output of a patch the daemon stopped in the middle of. */
export const PATCH_CUT_SHORT_OUTPUT =
  'apply_patch did not finish: the agent stopped while applying this patch, so its files may be partly written. Check the files before patching them again.';
/** The model-facing output of any other call the daemon stopped during. */
export const CALL_CUT_SHORT_OUTPUT = 'This tool call did not finish: the agent stopped while it ran, so its effects are unknown.';

/**
 * Answers every tool call that has no output (the daemon died while it ran), after the run of
 * calls it belongs to and the outputs saved for that run, as the turn loop would have. A call with a `failed` fileChange
 * of the same id was a patch cut short and says so.
 */
export function answerUnansweredCalls(history: HistoryItem[], cutPatches: ReadonlySet<string>): HistoryItem[] {
  const answered = new Set<string>();
  for (const item of history) {
    if (item.type === 'function_call_output' || item.type === 'custom_tool_call_output') answered.add(item.call_id);
  }
  const isCall = (i: HistoryItem | undefined): i is Extract<HistoryItem, { type: 'function_call' | 'custom_tool_call' }> =>
    i?.type === 'function_call' || i?.type === 'custom_tool_call';
  const isOutput = (i: HistoryItem | undefined): boolean => i?.type === 'function_call_output' || i?.type === 'custom_tool_call_output';
  const out: HistoryItem[] = [];
  const pending: HistoryItem[] = [];
  history.forEach((item, i) => {
    out.push(item);
    if (isCall(item) && !answered.has(item.call_id)) {
      const output = item.name === 'apply_patch' && cutPatches.has(item.call_id) ? PATCH_CUT_SHORT_OUTPUT : CALL_CUT_SHORT_OUTPUT;
      pending.push(
        item.type === 'function_call'
          ? { type: 'function_call_output', call_id: item.call_id, output }
          : { type: 'custom_tool_call_output', call_id: item.call_id, output },
      );
    }
    // After the run of calls and the outputs that were saved for it (each is saved as it is ready).
    const next = history[i + 1];
    if (pending.length > 0 && !isCall(next) && !isOutput(next)) out.push(...pending.splice(0));
  });
  return out;
}

/** A started item read back without its completion: it did not complete. */
function cutShort(item: TurnItem): TurnItem {
  if (item.type === 'fileChange' && item.status === 'inProgress') return { ...item, status: 'failed' };
  return item;
}

interface TurnBuilder {
  turnId: string;
  startedTs: number;
  lastTs: number;
  record: TurnRecord | null;
  items: TurnItem[];
}

/**
 * First pass: which turns the `reverted` lines removed (each reverts turns existing at that point),
 * and the last revert while it can still be undone: a `revert_undone` brings its turns back, and
 * the next `turn_started` makes it final.
 */
export function droppedTurns(lines: readonly RolloutLine[]): { dropped: Set<string>; undoable: UndoableRevert | null } {
  const alive: string[] = [];
  const dropped = new Set<string>();
  let last: (UndoableRevert & { at: number }) | null = null;
  for (const line of lines) {
    if (line.type === 'turn_started') {
      if (!alive.includes(line.turnId) && !dropped.has(line.turnId)) alive.push(line.turnId);
      last = null;
    } else if (line.type === 'reverted') {
      const at = alive.indexOf(line.beforeTurnId);
      if (at >= 0) {
        const ids = alive.splice(at);
        for (const id of ids) dropped.add(id);
        last = { beforeTurnId: line.beforeTurnId, droppedTurnIds: ids, restored: line.restored ?? [], at };
      }
    } else if (line.type === 'revert_undone' && last) {
      alive.splice(last.at, 0, ...last.droppedTurnIds);
      for (const id of last.droppedTurnIds) dropped.delete(id);
      last = null;
    }
  }
  const undoable = last ? { beforeTurnId: last.beforeTurnId, droppedTurnIds: last.droppedTurnIds, restored: last.restored } : null;
  return { dropped, undoable };
}

/** An item completed twice (e.g. updated after a retry) keeps its first position, latest content. */
function upsertItem(items: TurnItem[], item: TurnItem): void {
  const at = items.findIndex((i) => i.id === item.id);
  if (at >= 0) items[at] = item;
  else items.push(item);
}

function finishTurn(t: TurnBuilder): StoredTurn {
  if (t.record) return { ...t.record, items: t.items };
  // No turn_completed: the process died mid-turn. Times are unix seconds, like the wire Turn.
  return {
    turnId: t.turnId,
    status: 'interrupted',
    error: null,
    startedAt: Math.floor(t.startedTs / 1000),
    completedAt: Math.floor(t.lastTs / 1000),
    durationMs: t.lastTs - t.startedTs,
    items: t.items,
  };
}
