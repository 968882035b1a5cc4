import { existsSync, renameSync, rmSync, unlinkSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { Logger } from '../util/logger.js';
import { StorageError, ThreadNotFoundError } from './errors.js';
import { HistoryIndexes, type TurnOutline } from './history-index.js';
import { listThreads } from './list-threads.js';
import { mkdirPrivate, securePrivateHome } from './private-files.js';
import { scanRollouts } from './rebuild-index.js';
import { ARCHIVED_DIR, archivedPath, livePath, rolloutFileName, SESSIONS_DIR } from './rollout-paths.js';
import { readRollout } from './rollout-reader.js';
import { RolloutRecorder } from './rollout-recorder.js';
import { ThreadIndex } from './thread-index.js';
import type { TurnItem } from '../core/items.js';
import type { ListThreadsQuery, ListThreadsResult, RolloutLine, ThreadMeta } from './types.js';

/** The index file name under the home. */
export const INDEX_FILE = 'thread-index.jsonl';
/** Compact the index once it holds this many stale lines beyond the live ones. */
const COMPACT_SLACK = 256;

/** What `ThreadStore.create` needs: the meta minus what the store fills in. */
export type NewThreadMeta = Omit<ThreadMeta, 'path' | 'updatedAt' | 'archived' | 'preview' | 'name'> &
  Partial<ThreadMeta>;

/** The fields of a thread's meta that may change after creation. */
export type ThreadMetaPatch = Partial<Pick<ThreadMeta, 'name' | 'preview' | 'updatedAt' | 'model' | 'cwd' | 'gitInfo'>>;

/**
 * Durable threads under one home: a rollout file per thread (`sessions/YYYY/MM/DD/…jsonl`,
 * moved to `archived_sessions/` when archived) and an in-memory copy of the thread index, so
 * lookups and listing never touch the disk. All methods but `read` are synchronous: each is at
 * most a rename and a one-line append, and being synchronous makes them atomic within the process.
 * One process per home: two daemons sharing a home would each keep a stale index.
 *
 * The home is private: directories 0700, files 0600 (tightened on open for homes an older version
 * left readable). A write that fails (full disk, I/O error) throws a StorageError and changes
 * nothing in memory; the next write tries again (rewriting the index if an append was cut short).
 */
export class ThreadStore {
  private readonly recorders = new Map<string, Set<RolloutRecorder>>();
  private readonly historyIndexes: HistoryIndexes;
  private closed = false;

  private constructor(
    readonly home: string,
    private readonly logger: Logger,
    private readonly index: ThreadIndex,
    private readonly threads: Map<string, ThreadMeta>,
  ) {
    this.historyIndexes = new HistoryIndexes(home);
  }

  /**
   * Loads the index into memory. With no index but rollouts on disk (first run after an upgrade,
   * or the index was lost or damaged), rebuilds it from the rollouts' first lines. With no threads
   * at all this is one failed `open` and one failed `readdir`.
   */
  static open(home: string, logger: Logger): ThreadStore {
    try {
      securePrivateHome(home, [SESSIONS_DIR, ARCHIVED_DIR], (path, err) => logger.warn({ err, path }, 'cannot make a file in the home private'));
    } catch (err) {
      // A home that cannot be created yet (full disk) makes every write fail with a StorageError.
      logger.error({ err, home }, 'cannot create the agentd home');
    }
    const index = new ThreadIndex(join(home, INDEX_FILE), logger);
    const loaded = index.load();
    if (loaded && !loaded.damaged) {
      const store = new ThreadStore(home, logger, index, loaded.threads);
      store.maybeCompact();
      return store;
    }
    const threads = scanRollouts(home, logger);
    // Index entries that survived know names and previews the headers do not; disk decides location.
    for (const [id, meta] of loaded?.threads ?? []) {
      const onDisk = threads.get(id);
      if (onDisk) threads.set(id, { ...onDisk, ...meta, path: onDisk.path, archived: onDisk.archived });
    }
    if (threads.size > 0 || loaded) {
      logger.info({ home, threads: threads.size }, 'rebuilt thread index from rollouts');
      try {
        index.rewrite(threads.values());
      } catch (err) {
        // Kept in memory; the next index write retries the rewrite.
        logger.error({ err, home }, 'cannot write the rebuilt thread index');
      }
    }
    return new ThreadStore(home, logger, index, threads);
  }

  /** Creates a thread: its rollout file with the `session_meta` line, then its index entry. */
  create(meta: NewThreadMeta): RolloutRecorder {
    this.assertOpen();
    if (this.threads.has(meta.id)) throw new Error(`thread already exists: ${meta.id}`);
    const path = livePath(this.home, rolloutFileName(meta.createdAt, meta.id));
    const full: ThreadMeta = {
      ...meta,
      updatedAt: meta.updatedAt ?? meta.createdAt,
      name: meta.name ?? null,
      preview: meta.preview ?? '',
      archived: false,
      path,
    };
    const recorder = RolloutRecorder.create(path, (r) => this.forget(meta.id, r));
    try {
      recorder.append({ ts: Date.now(), type: 'session_meta', meta: full });
      this.put(full);
    } catch (err) {
      // No half-created thread: a rollout without an index entry would come back on a rebuild.
      recorder.close();
      try {
        rmSync(path, { force: true });
      } catch (rmErr) {
        this.logger.warn({ err: rmErr, path }, 'cannot remove a rollout whose creation failed');
      }
      throw err;
    }
    this.track(meta.id, recorder);
    return recorder;
  }

  /** Opens an existing thread's rollout for appending (e.g. resuming it). */
  openRecorder(id: string): RolloutRecorder {
    this.assertOpen();
    const meta = this.locate(id);
    let recorder: RolloutRecorder;
    try {
      recorder = RolloutRecorder.openExisting(meta.path, (r) => this.forget(id, r));
    } catch (err) {
      if ((err as StorageError).errno === 'ENOENT') throw new ThreadNotFoundError(id);
      throw err;
    }
    this.track(id, recorder);
    return recorder;
  }

  /** Reads a thread's meta and every rollout line; a torn last line is skipped and reported. */
  async read(id: string): Promise<{ meta: ThreadMeta; lines: RolloutLine[]; tornTail: boolean }> {
    const meta = this.locate(id);
    try {
      const { lines, tornTail } = await readRollout(meta.path, this.logger);
      return { meta: this.threads.get(id) ?? meta, lines, tornTail };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new ThreadNotFoundError(id);
      throw err;
    }
  }

  /**
   * The thread's kept turns with their item counts, from the rollout's index (extended over the
   * lines appended since it was last used, rebuilt if missing or not matching the rollout).
   */
  turnOutline(id: string): TurnOutline[] {
    return this.withRollout(id, (path) => this.historyIndexes.outline(id, path));
  }

  /** The items of some turns of the outline, read from their part of the rollout only. */
  readTurnItems(id: string, turnIds: readonly string[]): Map<string, TurnItem[]> {
    return this.withRollout(id, (path) => this.historyIndexes.readItems(id, path, turnIds));
  }

  private withRollout<T>(id: string, fn: (path: string) => T): T {
    const meta = this.locate(id);
    try {
      return fn(meta.path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new ThreadNotFoundError(id);
      throw err;
    }
  }

  /** The thread's meta, or undefined if there is no such thread. */
  get(id: string): ThreadMeta | undefined {
    return this.threads.get(id);
  }

  /** Lists threads from the in-memory index (see `listThreads` for ordering and paging). */
  list(q: ListThreadsQuery = {}): ListThreadsResult {
    return listThreads(this.threads.values(), q);
  }

  /** Changes mutable meta fields; returns the new meta. */
  updateMeta(id: string, patch: ThreadMetaPatch): ThreadMeta {
    this.assertOpen();
    const meta = this.require(id);
    const next: ThreadMeta = { ...meta };
    if (patch.name !== undefined) next.name = patch.name;
    if (patch.preview !== undefined) next.preview = patch.preview;
    if (patch.updatedAt !== undefined) next.updatedAt = patch.updatedAt;
    if (patch.model !== undefined) next.model = patch.model;
    if (patch.cwd !== undefined) next.cwd = patch.cwd;
    if (patch.gitInfo !== undefined) next.gitInfo = patch.gitInfo;
    this.put(next);
    return next;
  }

  /** Moves the rollout to `archived_sessions/`. Archiving an archived thread changes nothing. */
  archive(id: string): ThreadMeta {
    this.assertOpen();
    const meta = this.locate(id);
    if (meta.archived) return meta;
    return this.move(meta, archivedPath(this.home, meta.path), true);
  }

  /** Moves the rollout back to its dated `sessions/` directory. */
  unarchive(id: string): ThreadMeta {
    this.assertOpen();
    const meta = this.locate(id);
    if (!meta.archived) return meta;
    return this.move(meta, livePath(this.home, basename(meta.path)), false);
  }

  /** Deletes the rollout file and forgets the thread. Open recorders are closed. */
  delete(id: string): void {
    this.assertOpen();
    const meta = this.require(id);
    for (const r of [...(this.recorders.get(id) ?? [])]) r.close();
    try {
      unlinkSync(meta.path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw StorageError.wrap('cannot delete the rollout file', err);
    }
    this.historyIndexes.remove(id);
    // File first, then tombstone: a crash in between leaves an index entry whose read fails with
    // ThreadNotFoundError, never a deleted thread that comes back from a rebuild.
    this.threads.delete(id);
    try {
      this.writeIndex({ id, deleted: true });
    } catch (err) {
      // The thread is gone (its file is); the index catches up at its next write.
      this.logger.warn({ err, id }, 'cannot record the deletion in the thread index');
    }
    this.maybeCompact();
  }

  /** Closes the recorders this store handed out and compacts the index if worthwhile. */
  close(): void {
    if (this.closed) return;
    for (const set of [...this.recorders.values()]) for (const r of [...set]) r.close();
    this.maybeCompact();
    this.closed = true;
  }

  private move(meta: ThreadMeta, dest: string, archived: boolean): ThreadMeta {
    try {
      mkdirPrivate(dirname(dest));
      renameSync(meta.path, dest);
    } catch (err) {
      throw StorageError.wrap('cannot move the rollout file', err);
    }
    const next = { ...meta, path: dest, archived };
    try {
      this.put(next);
    } catch (err) {
      // Put the file back where the index says it is.
      try {
        renameSync(dest, meta.path);
      } catch {
        // `locate` finds it in the other place and repairs the index.
      }
      throw err;
    }
    for (const r of this.recorders.get(meta.id) ?? []) r.relocate(dest);
    return next;
  }

  /**
   * The meta with a path that exists. If the file is not where the index says (a crash between a
   * move and its index append), look in the other location and repair the index.
   */
  private locate(id: string): ThreadMeta {
    const meta = this.require(id);
    if (existsSync(meta.path)) return meta;
    const live = livePath(this.home, basename(meta.path));
    const archived = archivedPath(this.home, meta.path);
    const other = meta.archived ? live : archived;
    if (existsSync(other)) {
      const fixed = { ...meta, path: other, archived: !meta.archived };
      this.logger.warn({ id, path: other }, 'rollout found in the other location; repairing index');
      this.put(fixed);
      return fixed;
    }
    throw new ThreadNotFoundError(id);
  }

  private require(id: string): ThreadMeta {
    const meta = this.threads.get(id);
    if (!meta) throw new ThreadNotFoundError(id);
    return meta;
  }

  /** Records a meta in memory and the index; on failure memory is left as it was. */
  private put(meta: ThreadMeta): void {
    const prev = this.threads.get(meta.id);
    this.threads.set(meta.id, meta);
    try {
      this.writeIndex(meta);
    } catch (err) {
      if (prev) this.threads.set(meta.id, prev);
      else this.threads.delete(meta.id);
      throw err;
    }
    this.maybeCompact();
  }

  /** Appends an entry, or rewrites the whole index when an earlier append was cut short. */
  private writeIndex(entry: ThreadMeta | { id: string; deleted: true }): void {
    try {
      if (this.index.damaged) this.index.rewrite(this.threads.values());
      else this.index.append(entry);
    } catch (err) {
      throw StorageError.wrap('cannot write the thread index', err);
    }
  }

  private maybeCompact(): void {
    if (this.index.lineCount - this.threads.size > Math.max(COMPACT_SLACK, this.threads.size)) {
      try {
        this.index.rewrite(this.threads.values());
      } catch (err) {
        this.logger.warn({ err }, 'cannot compact the thread index');
      }
    }
  }

  private track(id: string, r: RolloutRecorder): void {
    let set = this.recorders.get(id);
    if (!set) this.recorders.set(id, (set = new Set()));
    set.add(r);
  }

  private forget(id: string, r: RolloutRecorder): void {
    const set = this.recorders.get(id);
    set?.delete(r);
    if (set?.size === 0) this.recorders.delete(id);
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('thread store is closed');
  }
}
