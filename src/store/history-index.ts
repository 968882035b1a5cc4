import { isAscii } from 'node:buffer';
import { closeSync, fstatSync, openSync, readSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TurnItem } from '../core/items.js';
import { mkdirPrivate, PRIVATE_FILE_MODE } from './private-files.js';
import { droppedTurns, reconstructThread } from './reconstruct.js';
import { parseRolloutLine, parseRolloutText, readRangeFd } from './rollout-reader.js';
import type { RolloutLine } from './types.js';

/** The directory (under the home) of the history indexes, one file per thread. */
export const HISTORY_INDEX_DIR = 'history-index';
const VERSION = 1;
/** Bytes before the covered end kept to check that the rollout is still the one indexed. */
const TAIL_BYTES = 64;

/** Where a turn's item lines lie in the rollout, and how many distinct items they hold. */
export interface TurnSpan {
  id: string;
  /** Byte offset of the turn's first item line. */
  start: number;
  /** Byte offset just after its last item line. */
  end: number;
  /** Distinct item ids in those lines. */
  items: number;
}

/** A turn's outline: its id and how many items it has (kept turns only, in thread order). */
export interface TurnOutline {
  id: string;
  items: number;
}

/**
 * The index of one rollout: where each turn's items are and what the revert lines dropped, for
 * the whole lines in its first `size` bytes. A cache: it is checked against the rollout on every
 * use (the file must be at least `size` long and end those bytes with `tail`), extended over
 * lines appended since, and rebuilt from the rollout when missing, unreadable or not matching.
 */
interface IndexData {
  v: number;
  size: number;
  /** The last bytes before `size` (base64). */
  tail: string;
  /** The rollout's first bytes (base64): its `session_meta`, naming the thread. */
  head: string;
  /** Turns in order of their first line (as reconstruct orders them). */
  turns: TurnSpan[];
  /** What decides dropped turns, in file order: ['s', id] turn_started, ['r', id] reverted, ['u'] revert_undone. */
  events: ([kind: 's' | 'r', id: string] | [kind: 'u'])[];
}

/**
 * Per-thread indexes of rollouts, so a page of items from the end of a long thread reads the
 * few turns it shows rather than the whole file. Kept in memory and in `history-index/<id>.json`;
 * the rollout stays the only source of truth.
 */
export class HistoryIndexes {
  private readonly cache = new Map<string, IndexData>();

  constructor(private readonly home: string) {}

  /** The kept turns of the rollout and their item counts, bringing the index up to date first. */
  outline(id: string, path: string): TurnOutline[] {
    const data = this.current(id, path);
    const { dropped } = droppedTurns(eventLines(data));
    return data.turns.filter((t) => !dropped.has(t.id)).map((t) => ({ id: t.id, items: t.items }));
  }

  /**
   * The items of `turnIds` (a subset of the outline), read from their spans of the rollout, with
   * the same rules as a full read (an item completed twice keeps its first place, a started one
   * never completed is cut short).
   */
  readItems(id: string, path: string, turnIds: readonly string[]): Map<string, TurnItem[]> {
    const first = this.readSpans(this.current(id, path), path, turnIds);
    if (first) return first;
    // The spans did not hold what the index said: it is not this rollout's. Rebuild it from scratch.
    this.remove(id);
    return this.readSpans(this.current(id, path), path, turnIds) ?? new Map();
  }

  /** The items of the turns read from their spans; null if a span does not hold its count of items. */
  private readSpans(data: IndexData, path: string, turnIds: readonly string[]): Map<string, TurnItem[]> | null {
    const want = new Set(turnIds);
    const spans = data.turns.filter((t) => want.has(t.id));
    const out = new Map<string, TurnItem[]>();
    if (spans.length === 0) return out;
    const start = Math.min(...spans.map((s) => s.start));
    const end = Math.max(...spans.map((s) => s.end));
    const { lines } = parseRolloutText(readRange(path, start, end).toString('utf8'));
    const itemLines = lines.filter((l) => (l.type === 'item_started' || l.type === 'item_completed') && want.has(l.turnId));
    for (const t of reconstructThread(itemLines).turns) out.set(t.turnId, t.items);
    for (const t of spans) if ((out.get(t.id)?.length ?? 0) !== t.items) return null;
    return out;
  }

  /** Forgets a thread's index (the thread was deleted). */
  remove(id: string): void {
    this.cache.delete(id);
    try {
      rmSync(this.file(id), { force: true });
    } catch {
      // A stale file is harmless: it is checked against the rollout before any use.
    }
  }

  private file(id: string): string {
    return join(this.home, HISTORY_INDEX_DIR, `${id}.json`);
  }

  /** The index brought up to date with the rollout (read, checked, extended, saved if it grew). */
  private current(id: string, path: string): IndexData {
    const fd = openSync(path, 'r');
    try {
      const size = fstatSync(fd).size;
      let data = this.cache.get(id) ?? this.load(id);
      if (data && !matches(fd, data, size)) data = null;
      const base = data ?? { v: VERSION, size: 0, tail: '', head: '', turns: [], events: [] };
      const grown = extend(fd, base, size);
      this.cache.set(id, grown);
      if (grown !== data) this.save(id, grown);
      return grown;
    } finally {
      closeSync(fd);
    }
  }

  private load(id: string): IndexData | null {
    try {
      const v = JSON.parse(readFileText(this.file(id))) as IndexData;
      if (v?.v !== VERSION || typeof v.size !== 'number' || typeof v.tail !== 'string' || typeof v.head !== 'string' || !Array.isArray(v.turns) || !Array.isArray(v.events)) return null;
      return v;
    } catch {
      return null;
    }
  }

  /** Best effort (a full disk only costs the next reader a scan): temp file, then rename. */
  private save(id: string, data: IndexData): void {
    const file = this.file(id);
    const tmp = `${file}.${process.pid}.tmp`;
    try {
      mkdirPrivate(join(this.home, HISTORY_INDEX_DIR));
      writeFileSync(tmp, JSON.stringify(data), { mode: PRIVATE_FILE_MODE });
      renameSync(tmp, file);
    } catch {
      try {
        rmSync(tmp, { force: true });
      } catch {
        // nothing more to do
      }
    }
  }
}

function readFileText(file: string): string {
  const fd = openSync(file, 'r');
  try {
    return readRangeFd(fd, 0, fstatSync(fd).size).toString('utf8');
  } finally {
    closeSync(fd);
  }
}

function readRange(path: string, start: number, end: number): Buffer {
  const fd = openSync(path, 'r');
  try {
    return readRangeFd(fd, start, end);
  } finally {
    closeSync(fd);
  }
}

/** Whether the rollout still holds, in its first `data.size` bytes, what the index was built from. */
function matches(fd: number, data: IndexData, size: number): boolean {
  if (size < data.size) return false;
  const n = Math.min(TAIL_BYTES, data.size);
  return (
    readRangeFd(fd, data.size - n, data.size).toString('base64') === data.tail &&
    readRangeFd(fd, 0, Math.min(TAIL_BYTES, data.size)).toString('base64') === data.head
  );
}

/** The lines that decide dropped turns, rebuilt from the index's events. */
function eventLines(data: IndexData): RolloutLine[] {
  return data.events.map((e): RolloutLine =>
    e[0] === 's'
      ? { ts: 0, type: 'turn_started', turnId: e[1], settings: {} }
      : e[0] === 'r'
        ? { ts: 0, type: 'reverted', beforeTurnId: e[1] }
        : { ts: 0, type: 'revert_undone' },
  );
}

/** The turn a line belongs to, for ordering turns as reconstruct does (null: none). */
function turnOf(l: RolloutLine): string | null {
  switch (l.type) {
    case 'turn_started':
    case 'item_started':
    case 'item_completed':
    case 'response_item':
    case 'compacted':
      return l.turnId;
    case 'turn_completed':
      return l.turn.turnId;
    default:
      return null;
  }
}

/**
 * Indexes the whole lines of the rollout from `data.size` to `size`; returns `data` itself when
 * there are none. A last line without its newline (being written, or torn) is left for later.
 */
function extend(fd: number, data: IndexData, size: number): IndexData {
  if (size <= data.size) return data;
  const buf = readRangeFd(fd, data.size, size);
  const lastNl = buf.lastIndexOf(0x0a);
  if (lastNl < 0) return data;
  const whole = buf.subarray(0, lastNl + 1);
  const turns = data.turns.map((t) => ({ ...t }));
  const byId = new Map(turns.map((t) => [t.id, t]));
  const events = data.events.slice();
  /** Item ids per turn seen so far (for turns already indexed: re-read from their spans on demand). */
  const ids = new Map<string, Set<string>>();
  const idsOf = (t: TurnSpan): Set<string> => {
    let set = ids.get(t.id);
    if (!set) {
      set = new Set();
      if (t.items > 0) {
        const { lines } = parseRolloutText(readRangeFd(fd, t.start, t.end).toString('utf8'));
        for (const l of lines) if ((l.type === 'item_started' || l.type === 'item_completed') && l.turnId === t.id) set.add(l.item.id);
      }
      ids.set(t.id, set);
    }
    return set;
  };
  const text = whole.toString('utf8');
  const ascii = isAscii(whole);
  let pos = 0;
  let byte = data.size;
  while (pos < text.length) {
    const nl = text.indexOf('\n', pos);
    const raw = text.slice(pos, nl);
    const lineStart = byte;
    byte += ascii ? nl + 1 - pos : Buffer.byteLength(raw) + 1;
    pos = nl + 1;
    const l = parseRolloutLine(raw);
    if (!l) continue;
    if (l.type === 'turn_started') events.push(['s', l.turnId]);
    else if (l.type === 'reverted') events.push(['r', l.beforeTurnId]);
    else if (l.type === 'revert_undone') events.push(['u']);
    const turnId = turnOf(l);
    if (turnId === null) continue;
    let t = byId.get(turnId);
    if (!t) {
      t = { id: turnId, start: lineStart, end: lineStart, items: 0 };
      turns.push(t);
      byId.set(turnId, t);
      ids.set(turnId, new Set());
    }
    if (l.type === 'item_started' || l.type === 'item_completed') {
      const set = idsOf(t);
      if (t.items === 0) t.start = lineStart;
      set.add(l.item.id);
      t.items = set.size;
      t.end = byte;
    }
  }
  const n = Math.min(TAIL_BYTES, byte);
  const tail = readRangeFd(fd, byte - n, byte).toString('base64');
  const head = readRangeFd(fd, 0, n).toString('base64');
  return { v: VERSION, size: byte, tail, head, turns, events };
}
