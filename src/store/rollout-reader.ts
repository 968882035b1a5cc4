import { closeSync, openSync, readSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { Logger } from '../util/logger.js';
import type { HistoryItem } from '../model/types.js';
import type { RolloutLine, ThreadMeta } from './types.js';

/** The parsed lines of a rollout file. */
export interface RolloutContents {
  lines: RolloutLine[];
  /** The last line was cut short (the writer died mid-write) and was skipped. */
  tornTail: boolean;
}

/**
 * Reads a whole rollout. Lines that do not parse are skipped and logged: the last one is
 * reported as `tornTail` (an interrupted write), a bad one in the middle is plain corruption.
 *
 * `response_item` lines written by the recorder (`{"ts":…,"type":"response_item","turnId":…,"item":…}`)
 * are not parsed here: each comes back as a {@link LazyResponseItemLine} whose item is decoded
 * when first needed. A resume answers with the turns (the `item_*` lines) long before the next
 * request needs the model history, so the half of the file that is model history costs nothing
 * until then. Any other shape of line is parsed at once.
 */
export async function readRollout(path: string, logger: Logger): Promise<RolloutContents> {
  // One read and one decode of the whole file (reading with an encoding decodes chunk by chunk,
  // several times slower on a multi-megabyte rollout), then lines cut by `indexOf`.
  const text = (await readFile(path)).toString('utf8');
  return parseRolloutText(text, (line, last) => {
    if (last) logger.warn({ path, line }, 'rollout ends in a torn line; skipping it');
    else logger.warn({ path, line }, 'skipping unparseable rollout line');
  });
}

/**
 * Parses rollout text into lines. `onBad(lineNumber, isLast)` hears of each unparseable line;
 * a bad last line is a torn tail (an interrupted write), one in the middle plain corruption.
 * A lazy line found corrupt later is skipped then (see {@link responseItemOf}).
 */
export function parseRolloutText(text: string, onBad: (line: number, last: boolean) => void = () => undefined): RolloutContents {
  const lines: RolloutLine[] = [];
  let tornTail = false;
  let pos = 0;
  let n = 0;
  while (pos < text.length) {
    let nl = text.indexOf('\n', pos);
    if (nl < 0) nl = text.length;
    n++;
    const start = pos;
    pos = nl + 1;
    const last = pos >= text.length;
    if (start === nl) continue;
    // The last line is always parsed in full, so a torn one is known now.
    const lazy = last ? null : lazyResponseItem(text, start, nl);
    if (lazy) {
      lines.push(lazy);
      continue;
    }
    const s = text.slice(start, nl);
    if (isBlank(s)) continue;
    const line = parseLine(s);
    if (line) {
      lines.push(line);
    } else if (last) {
      tornTail = true;
      onBad(n, true);
    } else {
      onBad(n, false);
    }
  }
  return { lines, tornTail };
}

/** Whether a line is empty or whitespace only (without copying it as `trim` would). */
function isBlank(s: string): boolean {
  // Every line we write starts with `{`: only a line that does not needs a closer look.
  return s.charCodeAt(0) !== 0x7b && s.trim() === '';
}

/**
 * A `response_item` line whose `item` is decoded on first access. Until then it holds a slice of
 * the file's text (released once decoded).
 */
export class LazyResponseItemLine {
  readonly type = 'response_item' as const;
  private line: string | null;
  private parsed: HistoryItem | null = null;

  constructor(
    readonly ts: number,
    readonly turnId: string | null,
    line: string,
    /** Where the item's JSON starts in `line` (it runs to the line's closing brace). */
    private readonly itemAt: number,
  ) {
    this.line = line;
  }

  /** The item; throws if the line is corrupt (see {@link tryItem}). */
  get item(): HistoryItem {
    const item = this.tryItem();
    if (!item) throw new Error('corrupt response_item line in the rollout');
    return item;
  }

  /** The item, or null if the line is not valid. */
  tryItem(): HistoryItem | null {
    const line = this.line;
    if (this.parsed || line === null) return this.parsed;
    let item: unknown = null;
    try {
      item = JSON.parse(line.slice(this.itemAt, -1));
    } catch {
      // Not the item alone (e.g. a key after it): the whole line decides.
      const whole = parseLine(line);
      item = whole?.type === 'response_item' ? whole.item : null;
    }
    // Decoded (or found corrupt) once: the file's text is let go.
    this.line = null;
    if (typeof item === 'object' && item !== null) this.parsed = item as HistoryItem;
    return this.parsed;
  }

  toJSON(): RolloutLine {
    return { ts: this.ts, type: 'response_item', turnId: this.turnId, item: this.item };
  }
}

/** The item of a `response_item` line, or null when the line turned out corrupt. */
export function responseItemOf(line: Extract<RolloutLine, { type: 'response_item' }>): HistoryItem | null {
  return line instanceof LazyResponseItemLine ? line.tryItem() : line.item;
}

const TYPE_RESPONSE_ITEM = ',"type":"response_item","turnId":';
const ITEM_KEY = ',"item":{';

/**
 * The line `[start, end)` of `text` as a lazy `response_item` if it has the recorder's exact
 * shape (`{"ts":<digits>,"type":"response_item","turnId":<null or a plain string>,"item":{…}}`),
 * else null (the line is then parsed in full).
 */
function lazyResponseItem(text: string, start: number, end: number): LazyResponseItemLine | null {
  if (text.charCodeAt(end - 1) !== 0x7d || !text.startsWith('{"ts":', start)) return null;
  let p = start + 6;
  let ts = 0;
  for (let c = text.charCodeAt(p); c >= 0x30 && c <= 0x39 && p - start < 22; c = text.charCodeAt(++p)) ts = ts * 10 + (c - 0x30);
  if (p === start + 6 || !text.startsWith(TYPE_RESPONSE_ITEM, p)) return null;
  p += TYPE_RESPONSE_ITEM.length;
  let turnId: string | null;
  if (text.startsWith('null', p)) {
    turnId = null;
    p += 4;
  } else {
    if (text.charCodeAt(p) !== 0x22) return null;
    const close = text.indexOf('"', p + 1);
    if (close < 0 || close >= end) return null;
    turnId = text.slice(p + 1, close);
    // An id with escapes (never one of ours) takes the slow path.
    if (turnId.includes('\\')) return null;
    p = close + 1;
  }
  if (!text.startsWith(ITEM_KEY, p) || p + ITEM_KEY.length > end) return null;
  return new LazyResponseItemLine(ts, turnId, text.slice(start, end), p + ITEM_KEY.length - 1 - start);
}

/** Parses one line as `parseRolloutText` does a line that is not the last (lazily if it can). */
export function parseRolloutLine(s: string): RolloutLine | null {
  return lazyResponseItem(s, 0, s.length) ?? parseLine(s);
}

/** Parses one JSONL line into a `RolloutLine`, or `null` if it is not one. */
export function parseLine(s: string): RolloutLine | null {
  try {
    const v: unknown = JSON.parse(s);
    if (typeof v === 'object' && v !== null && typeof (v as { type?: unknown }).type === 'string') {
      return v as RolloutLine;
    }
  } catch {
    // fall through: not JSON
  }
  return null;
}

const CHUNK = 16 * 1024;
/** A session_meta line longer than this is not one we wrote. */
const MAX_HEADER = 1024 * 1024;

/**
 * Reads only the first line of a rollout (its `session_meta`) without touching the rest of the
 * file, so rebuilding the index costs one small read per thread however long the threads are.
 */
export function readRolloutHeader(path: string): ThreadMeta | null {
  const fd = openSync(path, 'r');
  try {
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const buf = Buffer.alloc(CHUNK);
      const n = readSync(fd, buf, 0, CHUNK, total);
      if (n === 0) break;
      const nl = buf.subarray(0, n).indexOf(0x0a);
      if (nl >= 0) {
        chunks.push(buf.subarray(0, nl));
        break;
      }
      chunks.push(buf.subarray(0, n));
      total += n;
      if (total > MAX_HEADER) return null;
    }
    const line = parseLine(Buffer.concat(chunks).toString('utf8'));
    if (line?.type !== 'session_meta' || typeof line.meta?.id !== 'string') return null;
    return line.meta;
  } finally {
    closeSync(fd);
  }
}
