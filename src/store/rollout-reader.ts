import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import type { Logger } from '../util/logger.js';
import { StorageError } from './errors.js';
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
  const out: RolloutContents = { lines: [], tornTail: false };
  const onBad = (line: number, last: boolean) => {
    if (last) logger.warn({ path, line }, 'rollout ends in a torn line; skipping it');
    else logger.warn({ path, line }, 'skipping unparseable rollout line');
  };
  let lineNo = 0;
  forEachTextChunk(path, (text, endsFile, byteAt, bytes) => {
    lineNo = parseInto(out, text, endsFile, lineNo, onBad, { path, byteAt, ascii: bytes === text.length });
  });
  return out;
}

/** Bytes read from a rollout at a time, into one buffer kept for the life of the process. */
const READ_BUFFER_BYTES = 1024 * 1024;
/** Most bytes decoded into one string: small enough for the young generation (no fresh pages). */
const TEXT_CHUNK_BYTES = 64 * 1024;
let readBuffer: Buffer | null = null;
/** The most a rollout may hold to be read at all (what `fs.readFile` accepts). */
const MAX_ROLLOUT_BYTES = 2 ** 31 - 1;

/**
 * Calls `fn` with the file's text in pieces of whole lines (each at most {@link TEXT_CHUNK_BYTES}
 * unless one line is longer), the last piece flagged. Reading into one reused buffer and decoding
 * small pieces costs several times less than reading the file into a fresh buffer and decoding
 * it into one string: a multi-megabyte allocation touches fresh pages every time, and the big
 * string outlives the young generation. Synchronous, so the shared buffer is never used twice at once.
 */
function forEachTextChunk(path: string, fn: (text: string, endsFile: boolean, byteAt: number, bytes: number) => void): void {
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    if (size > MAX_ROLLOUT_BYTES) {
      throw Object.assign(new RangeError(`rollout file is too large to read (${size} bytes): ${path}`), { code: 'ERR_FS_FILE_TOO_LARGE' });
    }
    let buf = (readBuffer ??= Buffer.allocUnsafeSlow(READ_BUFFER_BYTES));
    let filled = 0;
    let eof = false;
    let pos = 0;
    /** File offset of `buf[0]`. */
    let base = 0;
    while (!eof || filled > 0) {
      if (!eof) {
        // A line longer than the buffer: a bigger one for this read only.
        if (filled === buf.length) buf = Buffer.concat([buf, Buffer.allocUnsafe(buf.length)]);
        const n = readSync(fd, buf, filled, buf.length - filled, pos);
        if (n === 0) eof = true;
        pos += n;
        filled += n;
      }
      let s = 0;
      while (s < filled) {
        let e = Math.min(s + TEXT_CHUNK_BYTES, filled);
        if (e < filled || !eof) {
          // End the piece after a newline: first before the size limit, else the next one.
          let nl = buf.lastIndexOf(0x0a, e - 1);
          if (nl < s) nl = buf.indexOf(0x0a, e);
          if (nl < 0 || nl >= filled) break;
          e = nl + 1;
        }
        fn(buf.toString('utf8', s, e), eof && e >= filled, base + s, e - s);
        s = e;
      }
      if (s > 0) buf.copy(buf, 0, s, filled);
      filled -= s;
      base += s;
      if (eof && filled > 0 && s === 0) {
        fn(buf.toString('utf8', 0, filled), true, base, filled);
        base += filled;
        filled = 0;
      }
    }
  } finally {
    closeSync(fd);
  }
}

/** Where a piece of text lies in its file: lazy lines keep file offsets, not the text. */
interface ChunkOfFile {
  path: string;
  /** File offset of the piece's first byte. */
  byteAt: number;
  /** One byte per character (offsets in the text are offsets in the file). */
  ascii: boolean;
}

/**
 * Parses rollout text into lines. `onBad(lineNumber, isLast)` hears of each unparseable line;
 * a bad last line is a torn tail (an interrupted write), one in the middle plain corruption.
 * A lazy line found corrupt later is skipped then (see {@link responseItemOf}).
 */
export function parseRolloutText(text: string, onBad: (line: number, last: boolean) => void = () => undefined): RolloutContents {
  const out: RolloutContents = { lines: [], tornTail: false };
  parseInto(out, text, true, 0, onBad);
  return out;
}

/** Parses `text` (whole lines; the file's last ones if `endsFile`) into `out`; returns the line count so far. */
function parseInto(
  out: RolloutContents,
  text: string,
  endsFile: boolean,
  lineNo: number,
  onBad: (line: number, last: boolean) => void,
  file: ChunkOfFile | null = null,
): number {
  const lines = out.lines;
  let pos = 0;
  let n = lineNo;
  /** File offset of the current line (when reading a file). */
  let byte = file?.byteAt ?? 0;
  while (pos < text.length) {
    let nl = text.indexOf('\n', pos);
    if (nl < 0) nl = text.length;
    n++;
    const start = pos;
    pos = nl + 1;
    const lineByte = byte;
    if (file) byte += file.ascii ? pos - start : Buffer.byteLength(text.slice(start, nl)) + 1;
    const last = endsFile && pos >= text.length;
    if (start === nl) continue;
    // The last line is always parsed in full, so a torn one is known now.
    const lazy = last ? null : lazyResponseItem(text, start, nl, file ? { path: file.path, lineByte, ascii: file.ascii } : null);
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
      out.tornTail = true;
      onBad(n, true);
    } else {
      onBad(n, false);
    }
  }
  return n;
}

/** Whether a line is empty or whitespace only (without copying it as `trim` would). */
function isBlank(s: string): boolean {
  // Every line we write starts with `{`: only a line that does not needs a closer look.
  return s.charCodeAt(0) !== 0x7b && s.trim() === '';
}

/**
 * A `response_item` line whose `item` is decoded on first access. Read from a file, it keeps
 * only where the line is (the text it was found in dies young, which is what makes a resume
 * cheap for the garbage collector) and reads those bytes again when decoded; rollouts are
 * append-only, so they are still the same. Parsed from a string, it keeps a slice of it.
 */
export class LazyResponseItemLine {
  readonly type = 'response_item' as const;
  private source: { text: string } | { path: string } | null;
  private parsed: HistoryItem | null = null;

  /** Offsets of the line's start, the item's start and the line's end: in `text`, or bytes in the file. */
  constructor(
    readonly ts: number,
    readonly turnId: string | null,
    source: { text: string } | { path: string },
    private readonly lineStart: number,
    private readonly itemStart: number,
    private readonly lineEnd: number,
  ) {
    this.source = source;
  }

  /** The item; throws if the line is corrupt (see {@link tryItem}). */
  get item(): HistoryItem {
    const item = this.tryItem();
    if (!item) throw new Error('corrupt response_item line in the rollout');
    return item;
  }

  /** The item, or null if the line is not valid. Throws a StorageError if the file cannot be read. */
  tryItem(): HistoryItem | null {
    if (this.source) LazyResponseItemLine.decodeAll([this]);
    return this.parsed;
  }

  /**
   * Decodes many lazy lines with one read per file (the history of a resumed thread, when the
   * next request needs it). Throws a StorageError if a file cannot be read or no longer holds
   * the lines (it was replaced under the loaded thread).
   */
  static decodeAll(list: readonly LazyResponseItemLine[]): void {
    const byPath = new Map<string, LazyResponseItemLine[]>();
    for (const l of list) {
      const src = l.source;
      if (!src) continue;
      if ('text' in src) {
        l.settle(src.text.slice(l.itemStart, l.lineEnd - 1), () => src.text.slice(l.lineStart, l.lineEnd));
        continue;
      }
      let group = byPath.get(src.path);
      if (!group) byPath.set(src.path, (group = []));
      group.push(l);
    }
    for (const [path, group] of byPath) {
      let from = Infinity;
      let to = 0;
      for (const l of group) {
        from = Math.min(from, l.lineStart);
        to = Math.max(to, l.lineEnd);
      }
      let buf: Buffer;
      try {
        buf = readRange(path, from, to);
      } catch (err) {
        throw StorageError.wrap('cannot read the thread history from its rollout', err);
      }
      for (const l of group) {
        const a = l.lineStart - from;
        const b = l.lineEnd - from;
        if (b > buf.length || buf[a] !== 0x7b || buf[b - 1] !== 0x7d) {
          throw new StorageError('cannot read the thread history from its rollout', new Error(`the file changed under the loaded thread: ${path}`));
        }
        l.settle(buf.toString('utf8', l.itemStart - from, b - 1), () => buf.toString('utf8', a, b));
      }
    }
  }

  private settle(itemText: string, wholeLine: () => string): void {
    let item: unknown = null;
    try {
      item = JSON.parse(itemText);
    } catch {
      // Not the item alone (e.g. a key after it): the whole line decides.
      const whole = parseLine(wholeLine());
      item = whole?.type === 'response_item' ? whole.item : null;
    }
    this.source = null;
    if (typeof item === 'object' && item !== null) this.parsed = item as HistoryItem;
  }

  toJSON(): RolloutLine {
    return { ts: this.ts, type: 'response_item', turnId: this.turnId, item: this.item };
  }
}

/** Reads bytes `[start, end)` of a file. */
function readRange(path: string, start: number, end: number): Buffer {
  const fd = openSync(path, 'r');
  try {
    return readRangeFd(fd, start, end);
  } finally {
    closeSync(fd);
  }
}

/** Reads bytes `[start, end)` of an open file (fewer at its end). */
export function readRangeFd(fd: number, start: number, end: number): Buffer {
  const buf = Buffer.allocUnsafe(Math.max(0, end - start));
  let off = 0;
  while (off < buf.length) {
    const n = readSync(fd, buf, off, buf.length - off, start + off);
    if (n === 0) break;
    off += n;
  }
  return buf.subarray(0, off);
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
function lazyResponseItem(
  text: string,
  start: number,
  end: number,
  file: { path: string; lineByte: number; ascii: boolean } | null = null,
): LazyResponseItemLine | null {
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
    // An id with escapes (never one of ours) takes the slow path. Parsed, not sliced: a slice
    // would keep the whole text alive.
    for (let k = p + 1; k < close; k++) if (text.charCodeAt(k) === 0x5c) return null;
    turnId = lastTurnId !== null && text.startsWith(lastTurnId, p + 1) && p + 1 + lastTurnId.length === close ? lastTurnId : (JSON.parse(text.slice(p, close + 1)) as string);
    lastTurnId = turnId;
    p = close + 1;
  }
  if (!text.startsWith(ITEM_KEY, p) || p + ITEM_KEY.length > end) return null;
  const itemAt = p + ITEM_KEY.length - 1;
  if (!file) return new LazyResponseItemLine(ts, turnId, { text }, start, itemAt, end);
  const head = file.ascii ? itemAt - start : Buffer.byteLength(text.slice(start, itemAt));
  const lineBytes = file.ascii ? end - start : Buffer.byteLength(text.slice(start, end));
  return new LazyResponseItemLine(ts, turnId, { path: file.path }, file.lineByte, file.lineByte + head, file.lineByte + lineBytes);
}

/** The turn id of the previous lazy line (consecutive lines share it): one string for all. */
let lastTurnId: string | null = null;

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
