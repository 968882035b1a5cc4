import { closeSync, openSync, readSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { Logger } from '../util/logger.js';
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
    const s = text.slice(pos, nl);
    pos = nl + 1;
    if (isBlank(s)) continue;
    const line = parseLine(s);
    if (line) {
      lines.push(line);
    } else if (pos >= text.length) {
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
