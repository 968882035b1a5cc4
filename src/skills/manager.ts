import { statSync, watch, type FSWatcher } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import type { Logger } from '../util/logger.js';
import { loadSkills, skillRoots, type ScanTrace } from './discover.js';
import { applySkillRules, type SkillRule } from './rules.js';
import type { SkillLoadOutcome, SkillMetadata } from './types.js';

export interface SkillsManagerOptions {
  /** `$AGENTD_HOME` (its `skills` folder holds the user's skills). */
  agentdHome: string;
  /** The user's home (`~/.agents/skills`); null: not scanned. */
  userHome: string | null;
  /** `project_root_markers`; absent: `.git`. */
  projectRootMarkers?: readonly string[];
  /** `[[skills.config]]`: skills turned off or on by path or name. */
  rules?: readonly SkillRule[];
  /** `[skills] include_instructions`; false: turns are told of no skills (default true). */
  includeInstructions?: boolean;
  logger: Logger;
  /** How long file events are gathered before a re-scan (default 100 ms). */
  settleMs?: number;
  /** Most directories watched at once (default 2048). */
  maxWatchedDirs?: number;
}

/** The skills side of one thread: the skills of its working directory, watched while it lives. */
export interface ThreadSkills {
  /** The enabled skills of `cwd` as they are on disk now, for a turn starting now. Never rejects. */
  forTurn(cwd: string): Promise<SkillMetadata[]>;
  /** Stops watching for this thread. Idempotent. */
  dispose(): void;
}

/** A watched directory, and whether any change in it matters or only changes to one name. */
interface Watch {
  watcher: FSWatcher;
  /** Null: every event counts; else only events about these entries (the next steps towards missing roots). */
  only: Set<string> | null;
}

/** Merges what a directory is watched for: null (everything) wins. */
const mergeOnly = (a: Set<string> | null | undefined, b: Set<string> | null): Set<string> | null =>
  a === undefined ? b : a === null || b === null ? null : new Set([...a, ...b]);

/**
 * Finds the skills of working directories and tells when they change. Shared by every thread of
 * the daemon (as Codex's skills manager): the extra roots it holds apply to every working
 * directory.
 *
 * While a thread uses a working directory, its roots are watched (one non-recursive `fs.watch` per
 * directory the scan reads, and, for a root that does not exist, on its nearest existing parent
 * for that one name); the scan result is cached and a change re-scans and, when the skills, their
 * errors or their files differ, tells the listeners. When no thread uses a directory any more its
 * watches are closed. Directories no thread uses are scanned on every request (never stale).
 */
export class SkillsManager {
  private extraRoots: string[] = [];
  /** Working directory → threads using it. */
  private readonly refs = new Map<string, number>();
  /** Scan results of watched working directories. */
  private readonly cache = new Map<string, SkillLoadOutcome>();
  /** What each watched working directory's last scan saw (skills, errors, file times). */
  private readonly fingerprints = new Map<string, string>();
  private readonly watches = new Map<string, Watch>();
  private readonly listeners = new Set<() => void>();
  private timer: NodeJS.Timeout | null = null;
  private scanning: Promise<void> | null = null;
  private dirty = false;
  private closed = false;
  private warnedWatchLimit = false;
  private readonly settleMs: number;
  private readonly maxWatchedDirs: number;

  constructor(private readonly opts: SkillsManagerOptions) {
    this.settleMs = opts.settleMs ?? 100;
    this.maxWatchedDirs = opts.maxWatchedDirs ?? 2048;
  }

  /** The skills of `cwd` (cached while watched; `forceReload` re-scans). Never rejects. */
  async list(cwd: string, opts: { forceReload?: boolean } = {}): Promise<SkillLoadOutcome> {
    const key = resolve(cwd);
    // A directory a thread just started using: its first watched scan is the answer.
    if (this.refs.has(key) && !this.fingerprints.has(key)) await this.settle();
    const cached = this.cache.get(key);
    if (cached && !opts.forceReload) return cached;
    try {
      const outcome = await this.scan(key);
      if (this.refs.has(key)) this.cache.set(key, outcome);
      return outcome;
    } catch (err) {
      this.opts.logger.warn({ err, cwd: key }, 'skills scan failed');
      return { skills: [], errors: [] };
    }
  }

  /** The extra roots now in force. */
  getExtraRoots(): string[] {
    return [...this.extraRoots];
  }

  /**
   * Replaces the extra roots (absolute paths, scanned as user skills for every working
   * directory). Returns true when they changed; listeners then hear of it once the caller has
   * returned.
   */
  setExtraRoots(roots: readonly string[]): boolean {
    const next = [...new Set(roots.map((r) => resolve(r)))];
    if (next.length === this.extraRoots.length && next.every((r, i) => r === this.extraRoots[i])) return false;
    this.extraRoots = next;
    this.cache.clear();
    if (this.refs.size > 0) this.schedule();
    setImmediate(() => this.emit());
    return true;
  }

  /** Calls `fn` when skills change on disk or the extra roots change. Returns the unsubscribe. */
  onChanged(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** Watches `cwd`'s skills for one thread; its `forTurn` follows the thread to a new cwd. */
  forThread(cwd: string): ThreadSkills {
    let current = resolve(cwd);
    let disposed = false;
    this.acquire(current);
    return {
      forTurn: async (turnCwd) => {
        const next = resolve(turnCwd);
        if (!disposed && next !== current) {
          this.acquire(next);
          this.release(current);
          current = next;
        }
        if (this.opts.includeInstructions === false) return [];
        // Read from disk, not from the cache: a skill written just before the turn (its file event
        // not handled yet) is part of it. The cost is a scan of a few small folders per turn.
        return (await this.list(next, { forceReload: true })).skills.filter((s) => s.enabled);
      },
      dispose: () => {
        if (disposed) return;
        disposed = true;
        this.release(current);
      },
    };
  }

  /** Working directories being watched (for tests and diagnostics). */
  watchedCwds(): string[] {
    return [...this.refs.keys()];
  }

  /** How many directories are watched now. */
  watchedDirCount(): number {
    return this.watches.size;
  }

  /** Closes every watch and timer; the manager still answers `list` (uncached). */
  close(): void {
    this.closed = true;
    this.refs.clear();
    this.cache.clear();
    this.fingerprints.clear();
    this.listeners.clear();
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.closeWatches(new Set());
  }

  private async scan(cwd: string, trace?: ScanTrace): Promise<SkillLoadOutcome> {
    const roots = await skillRoots({
      cwd,
      agentdHome: this.opts.agentdHome,
      userHome: this.opts.userHome,
      extraRoots: this.extraRoots,
      projectRootMarkers: this.opts.projectRootMarkers,
    });
    const outcome = await loadSkills(roots, trace);
    return { skills: applySkillRules(outcome.skills, this.opts.rules ?? []), errors: outcome.errors };
  }

  private acquire(cwd: string): void {
    if (this.closed) return;
    this.refs.set(cwd, (this.refs.get(cwd) ?? 0) + 1);
    if (this.refs.get(cwd) === 1) this.schedule(0);
  }

  private release(cwd: string): void {
    const n = this.refs.get(cwd);
    if (n === undefined) return;
    if (n > 1) {
      this.refs.set(cwd, n - 1);
      return;
    }
    this.refs.delete(cwd);
    this.cache.delete(cwd);
    this.fingerprints.delete(cwd);
    if (this.refs.size === 0) {
      // Nothing uses skills any more: close everything now.
      if (this.timer) clearTimeout(this.timer);
      this.timer = null;
      this.closeWatches(new Set());
    } else {
      this.schedule();
    }
  }

  /** Re-scans the watched directories after `delay` (events meanwhile are folded into it). */
  private schedule(delay = this.settleMs): void {
    if (this.closed || this.refs.size === 0) return;
    if (this.scanning) {
      this.dirty = true;
      return;
    }
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.startScan();
    }, delay);
    this.timer.unref();
  }

  private startScan(): void {
    this.scanning = this.rescan()
      .catch((err) => this.opts.logger.warn({ err }, 'skills re-scan failed'))
      .finally(() => {
        this.scanning = null;
        if (this.dirty) {
          this.dirty = false;
          this.schedule();
        }
      });
  }

  /** Runs a scheduled re-scan now and waits for re-scans in progress. */
  private async settle(): Promise<void> {
    for (let i = 0; i < 3; i++) {
      if (this.timer && !this.scanning) {
        clearTimeout(this.timer);
        this.timer = null;
        this.startScan();
      }
      if (!this.scanning) return;
      await this.scanning;
    }
  }

  /**
   * Scans every watched working directory, opening a watch on each directory before its entries
   * are read (a file added during the scan is then seen by the watch, not lost between the two),
   * closes the watches no scan needs any more, and tells the listeners when something changed.
   */
  private async rescan(): Promise<void> {
    const wanted = new Map<string, Set<string> | null>();
    const want = (dir: string, only: Set<string> | null) => {
      wanted.set(dir, mergeOnly(wanted.get(dir), only));
      this.ensureWatch(dir, only);
    };
    let changed = false;
    for (const cwd of [...this.refs.keys()]) {
      const files: string[] = [];
      const trace: ScanTrace = {
        dir: (dir) => want(dir, null),
        missingRoot: (root) => {
          const target = this.nearestExisting(root);
          if (target) want(target.dir, new Set([target.only]));
        },
        file: (path, mtimeMs, size) => files.push(`${path}\u0000${mtimeMs}\u0000${size}`),
      };
      const outcome = await this.scan(cwd, trace);
      if (!this.refs.has(cwd)) continue;
      this.cache.set(cwd, outcome);
      const fp = JSON.stringify([outcome, files.sort()]);
      const before = this.fingerprints.get(cwd);
      if (before !== undefined && before !== fp) changed = true;
      this.fingerprints.set(cwd, fp);
    }
    if (this.refs.size === 0) this.closeWatches(new Set());
    else this.closeWatches(new Set(wanted.keys()));
    // What each directory is watched for now is what this scan wanted (a root may have appeared).
    for (const [dir, only] of wanted) {
      const w = this.watches.get(dir);
      if (w) w.only = only;
    }
    if (changed) this.emit();
  }

  /**
   * For a root that does not exist: the nearest existing ancestor among its two parents, and the
   * entry name towards the root whose appearance matters there.
   */
  private nearestExisting(root: string): { dir: string; only: string } | null {
    let child = root;
    for (let i = 0; i < 2; i++) {
      const parent = dirname(child);
      if (parent === child) return null;
      if (isDirSync(parent)) return { dir: parent, only: basename(child) };
      child = parent;
    }
    return null;
  }

  private ensureWatch(dir: string, only: Set<string> | null): void {
    if (this.closed) return;
    const existing = this.watches.get(dir);
    if (existing) {
      existing.only = mergeOnly(existing.only, only);
      return;
    }
    if (this.watches.size >= this.maxWatchedDirs) {
      if (!this.warnedWatchLimit) this.opts.logger.warn({ limit: this.maxWatchedDirs }, 'too many skill directories to watch; some changes go unnoticed');
      this.warnedWatchLimit = true;
      return;
    }
    let watcher: FSWatcher;
    try {
      watcher = watch(dir, { persistent: false }, (_event, filename) => {
        const w = this.watches.get(dir);
        if (!w || w.watcher !== watcher) return;
        if (w.only !== null && filename !== null && !w.only.has(filename.toString())) return;
        this.schedule();
      });
    } catch (err) {
      // ENOENT (gone already), ENOSPC (inotify limit), EACCES: skipped, the next scan tries again.
      this.opts.logger.debug({ err, dir }, 'cannot watch a skills directory');
      return;
    }
    watcher.on('error', (err) => {
      this.opts.logger.debug({ err, dir }, 'skills watch failed');
      const w = this.watches.get(dir);
      if (w && w.watcher === watcher) this.watches.delete(dir);
      watcher.close();
      this.schedule();
    });
    this.watches.set(dir, { watcher, only });
  }

  private closeWatches(keep: Set<string>): void {
    for (const [dir, w] of this.watches) {
      if (keep.has(dir)) continue;
      this.watches.delete(dir);
      try {
        w.watcher.close();
      } catch {
        // Already closed.
      }
    }
  }

  private emit(): void {
    if (this.closed) return;
    for (const fn of [...this.listeners]) {
      try {
        fn();
      } catch (err) {
        this.opts.logger.warn({ err }, 'skills change listener failed');
      }
    }
  }
}

function isDirSync(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}
