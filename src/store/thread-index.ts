import { appendFileSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Logger } from '../util/logger.js';
import { mkdirPrivate, PRIVATE_FILE_MODE } from './private-files.js';
import type { ThreadMeta } from './types.js';

/** One index line: a full meta snapshot, or a tombstone for a deleted thread. */
export type IndexEntry = ThreadMeta | { id: string; deleted: true };

/** What loading the index found. */
export interface LoadedIndex {
  threads: Map<string, ThreadMeta>;
  /** Lines in the file (live + stale), to decide when to compact. */
  lineCount: number;
  /** Some lines did not parse; the file must be rewritten before appending to it again. */
  damaged: boolean;
}

/**
 * The thread index file `<home>/thread-index.jsonl`: append-only meta snapshots where the last
 * entry per id wins, so updating a thread is one small append and listing never opens rollouts.
 * Compaction rewrites the live entries to a temp file and renames it over the index (atomic).
 * The file is created 0600: it holds the first words of every prompt.
 */
export class ThreadIndex {
  private lines = 0;
  private dirReady = false;
  private damagedValue = false;

  constructor(
    readonly file: string,
    private readonly logger: Logger,
  ) {}

  /** Number of lines in the file as far as this process knows. */
  get lineCount(): number {
    return this.lines;
  }

  /**
   * An append failed (it may have left part of a line): the file must be rewritten before it is
   * appended to again. Cleared by a successful `rewrite`.
   */
  get damaged(): boolean {
    return this.damagedValue;
  }

  /** Reads the index; `null` when it is missing or cannot be read at all. */
  load(): LoadedIndex | null {
    let text: string;
    try {
      text = readFileSync(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
        this.logger.warn({ err, file: this.file }, 'thread index unreadable; rebuilding it');
      }
      return null;
    }
    this.dirReady = true;
    const threads = new Map<string, ThreadMeta>();
    let lineCount = 0;
    let bad = 0;
    for (const s of text.split('\n')) {
      if (s === '') continue;
      lineCount++;
      const entry = parseEntry(s);
      if (!entry) {
        bad++;
        continue;
      }
      if ('deleted' in entry) threads.delete(entry.id);
      else threads.set(entry.id, entry);
    }
    if (bad > 0) this.logger.warn({ file: this.file, badLines: bad }, 'thread index has unparseable lines');
    // A file not ending in "\n" was cut mid-append: the next append would fuse with it.
    const damaged = bad > 0 || (text.length > 0 && !text.endsWith('\n'));
    this.lines = lineCount;
    return { threads, lineCount, damaged };
  }

  /** Appends one entry. On failure the index is marked `damaged` and the error thrown. */
  append(entry: IndexEntry): void {
    try {
      this.ensureDir();
      appendFileSync(this.file, `${JSON.stringify(entry)}\n`, { mode: PRIVATE_FILE_MODE });
    } catch (err) {
      this.damagedValue = true;
      throw err;
    }
    this.lines++;
  }

  /**
   * Replaces the file with exactly these entries (write to a temp file, then rename). On failure
   * the old file is untouched and the temp file removed.
   */
  rewrite(threads: Iterable<ThreadMeta>): void {
    this.ensureDir();
    const body: string[] = [];
    for (const t of threads) body.push(`${JSON.stringify(t)}\n`);
    const tmp = `${this.file}.tmp-${process.pid}`;
    try {
      // A leftover temp file would keep its old mode: start from none.
      rmSync(tmp, { force: true });
      writeFileSync(tmp, body.join(''), { mode: PRIVATE_FILE_MODE, flag: 'wx' });
      renameSync(tmp, this.file);
    } catch (err) {
      try {
        rmSync(tmp, { force: true });
      } catch {
        // Nothing more to undo; the old index is intact.
      }
      throw err;
    }
    this.lines = body.length;
    this.damagedValue = false;
  }

  private ensureDir(): void {
    if (this.dirReady) return;
    mkdirPrivate(dirname(this.file));
    this.dirReady = true;
  }
}

function parseEntry(s: string): IndexEntry | null {
  try {
    const v = JSON.parse(s) as Record<string, unknown> | null;
    if (typeof v !== 'object' || v === null || typeof v['id'] !== 'string') return null;
    if (v['deleted'] === true) return { id: v['id'], deleted: true };
    if (typeof v['path'] !== 'string' || typeof v['createdAt'] !== 'number') return null;
    return v as unknown as ThreadMeta;
  } catch {
    return null;
  }
}
