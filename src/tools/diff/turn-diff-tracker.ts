import { existsSync } from 'node:fs';
import path from 'node:path';
import { readRegularFile } from '../../util/read-regular-file.js';
import type { TrackedFileChange, TurnDiffTracker } from '../types.js';
import { renderGitFileDiff, type FileSide } from './git-file-diff.js';
import { MAX_TURN_SNAPSHOT_BYTES, readPathState, stateHash, type PathState } from './restore-files.js';

/**
 * Tracks the files one turn changes and renders them as a single git-style diff.
 *
 * The diff is path-based: each path's content when the turn first touched it is compared with
 * what is on disk now, so any sequence of writes, deletes and re-creations shows its net effect.
 * A recorded move whose source is now gone and whose destination is new is shown as a rename.
 * Callers snapshot both sides of a move with `onBeforeChange` before moving.
 */
export class TurnDiffTrackerImpl implements TurnDiffTracker {
  /** Content of each path before the turn touched it (null: did not exist). */
  private readonly baselines = new Map<string, Promise<FileSide | null>>();
  /** Current path → the path its content was first moved from. */
  private readonly movedFrom = new Map<string, string>();
  private readonly displayRoot: string;
  /** Each path's exact state before the turn touched it (for revert's file restore). */
  private readonly images = new Map<string, Promise<PathState>>();

  /** `root` is the turn's cwd; diff paths are relative to its git repository root, else to it. */
  constructor(root: string) {
    const resolved = path.resolve(root);
    this.displayRoot = findGitRoot(resolved) ?? resolved;
  }

  /** Snapshots each path the first time the turn touches it; later calls keep the first snapshot. */
  async onBeforeChange(absPaths: string[]): Promise<void> {
    const pending: Promise<FileSide | null>[] = [];
    for (const p of absPaths) {
      const abs = path.resolve(p);
      let snap = this.baselines.get(abs);
      if (!snap) {
        snap = readSide(abs);
        this.baselines.set(abs, snap);
        const image = readPathState(abs);
        this.images.set(abs, image);
        pending.push(image.then(() => null));
      }
      pending.push(snap);
    }
    await Promise.all(pending);
  }

  /** Records that `fromAbs` now lives at `toAbs`; chained moves keep the first origin. */
  onMove(fromAbs: string, toAbs: string): void {
    const from = path.resolve(fromAbs);
    const to = path.resolve(toAbs);
    if (from === to) return;
    const origin = this.movedFrom.get(from) ?? from;
    this.movedFrom.delete(from);
    if (origin !== to) this.movedFrom.set(to, origin);
    // A destination nobody snapshotted is assumed new: its earlier content is unknowable now.
    if (!this.baselines.has(to)) this.baselines.set(to, Promise.resolve(null));
    if (!this.images.has(to)) this.images.set(to, Promise.resolve(null));
  }

  /**
   * Every touched path whose state changed: its exact image before the turn and the hash of what
   * is there now. An image is not kept (the path comes with `notKept`, so a restore can say why
   * it is impossible) when the path was not a regular file of at most 16 MiB before the turn, or
   * when keeping it would take the turn's images past `maxTotalBytes` (paths in sorted order).
   */
  async fileChanges(maxTotalBytes = MAX_TURN_SNAPSHOT_BYTES): Promise<TrackedFileChange[]> {
    const out: TrackedFileChange[] = [];
    for (const [abs, image] of this.images) {
      const before = await image;
      const now = await readPathState(abs);
      const after = stateHash(now);
      if (before !== 'other' && after === stateHash(before) && (before === null || after === 'other' || sameMode(before.mode, now))) continue;
      out.push(
        before === 'other'
          ? { path: abs, before: null, afterSha256: after, notKept: 'it was not a regular file of at most 16 MiB before the turn' }
          : { path: abs, before, afterSha256: after },
      );
    }
    out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    let total = 0;
    return out.map((f) => {
      if (!f.before) return f;
      total += f.before.content.length;
      if (total <= maxTotalBytes) return f;
      return { path: f.path, before: null, afterSha256: f.afterSha256, notKept: `the turn's images before it passed ${maxTotalBytes / 1024 / 1024} MiB in all` };
    });
  }

  /** The net change of every touched file, sorted by path, git-style; '' when nothing changed. */
  async unifiedDiff(): Promise<string> {
    const sides = new Map<string, { before: FileSide | null; after: FileSide | null }>();
    for (const [abs, snap] of this.baselines) sides.set(abs, { before: await snap, after: await readSide(abs) });

    const parts: { sortKey: string; text: string }[] = [];
    const paired = new Set<string>();
    for (const [to, from] of this.movedFrom) {
      const dst = sides.get(to);
      const src = sides.get(from);
      if (!dst || !src || dst.before !== null || dst.after === null || src.before === null || src.after !== null) continue;
      paired.add(to).add(from);
      const newPath = this.display(to);
      parts.push({
        sortKey: newPath,
        text: renderGitFileDiff({ oldPath: this.display(from), newPath, before: src.before, after: dst.after }),
      });
    }
    for (const [abs, { before, after }] of sides) {
      if (paired.has(abs)) continue;
      const p = this.display(abs);
      parts.push({ sortKey: p, text: renderGitFileDiff({ oldPath: p, newPath: p, before, after }) });
    }
    parts.sort((a, b) => (a.sortKey < b.sortKey ? -1 : a.sortKey > b.sortKey ? 1 : 0));
    return parts.map((p) => p.text).join('');
  }

  private display(abs: string): string {
    return path.relative(this.displayRoot, abs).split(path.sep).join('/');
  }
}

/** The nearest directory at or above `dir` holding a `.git` entry (directory or worktree file). */
export function findGitRoot(dir: string): string | null {
  for (let d = dir; ; d = path.dirname(d)) {
    if (existsSync(path.join(d, '.git'))) return d;
    if (path.dirname(d) === d) return null;
  }
}

/** The largest file the turn diff reads; a bigger one shows as absent. */
const MAX_DIFF_FILE_BYTES = 64 * 1024 * 1024;

/**
 * One side of a touched path. The model's commands can swap a touched path for a FIFO or a
 * symlink to a huge file at any time, so the read cannot block and is bounded.
 */
async function readSide(abs: string): Promise<FileSide | null> {
  try {
    const r = await readRegularFile(abs, MAX_DIFF_FILE_BYTES);
    return r === null ? null : { content: r.bytes, mode: r.mode & 0o100 ? '100755' : '100644' };
  } catch {
    return null;
  }
}

function sameMode(mode: number, now: PathState): boolean {
  return now !== null && now !== 'other' && now.mode === mode;
}
