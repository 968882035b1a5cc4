import { createHash, randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { lstat, mkdir, open, realpath, rename, unlink } from 'node:fs/promises';
import path from 'node:path';
import { readRegularFile } from '../../util/read-regular-file.js';

/** A regular file's bytes and mode bits (permission bits only). */
export interface FileBytes {
  content: Buffer;
  mode: number;
}

/** What is at a path: a regular file, nothing, or something else (symlink, directory, FIFO…). */
export type PathState = FileBytes | null | 'other';

/** The largest file a turn's before-image keeps; a bigger one cannot be restored. */
export const MAX_SNAPSHOT_BYTES = 16 * 1024 * 1024;
/** The most bytes of before-images one turn keeps in all; files past it cannot be restored. */
export const MAX_TURN_SNAPSHOT_BYTES = 64 * 1024 * 1024;

/** The sha256 of a regular file's content; null: absent; 'other:…' for anything else. */
export function stateHash(s: PathState): string | null {
  if (s === null) return null;
  if (s === 'other') return 'other';
  return createHash('sha256').update(s.content).digest('hex');
}

/**
 * What is at `abs`, never following a symlink at `abs` itself: a symlink, a directory or a
 * special file is 'other'. A regular file is read (bounded; a bigger one is 'other').
 */
export async function readPathState(abs: string): Promise<PathState> {
  let st;
  try {
    st = await lstat(abs);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return null;
    return 'other';
  }
  if (!st.isFile()) return 'other';
  try {
    const r = await readRegularFile(abs, MAX_SNAPSHOT_BYTES);
    if (r === null) return null;
    // The file was swapped for a symlink between lstat and open: not the file the turn wrote.
    if (r.realPath !== (await realpath(path.dirname(abs)).catch(() => '')) + path.sep + path.basename(abs)) return 'other';
    return { content: r.bytes, mode: r.mode & 0o7777 };
  } catch {
    return 'other';
  }
}

/** One path to put back: its expected current state (sha, see `stateHash`) and the target. */
export interface RestorePlanEntry {
  path: string;
  expectedSha256: string | null;
  target: FileBytes | null;
}

/** A path whose current state is not what the revert expected, and why. */
export interface RestoreConflict {
  path: string;
  reason: string;
}

/**
 * Checks every path, then (only when none conflicts) writes each target. A path conflicts when
 * what is there now differs from what the turns left (someone changed it since), when it is a
 * symlink or anything but a regular file, or when a directory on the way to it resolves
 * elsewhere (a symlinked parent): a restore writes exactly where the turns wrote, never through
 * a link planted afterwards. Writes are atomic (temp file created with O_EXCL|O_NOFOLLOW in the
 * same real directory, then rename) and keep the recorded mode; a null target deletes the file.
 * Returns the conflicts (nothing written) or the images that were there before (for undo).
 */
export async function restorePaths(
  entries: readonly RestorePlanEntry[],
): Promise<{ ok: true; previous: Map<string, FileBytes | null> } | { ok: false; conflicts: RestoreConflict[] }> {
  const conflicts: RestoreConflict[] = [];
  const previous = new Map<string, FileBytes | null>();
  for (const e of entries) {
    const abs = path.resolve(e.path);
    const linked = await symlinkedAncestor(abs);
    if (linked) {
      conflicts.push({ path: abs, reason: `${linked} is now a symlink or missing directory` });
      continue;
    }
    const now = await readPathState(abs);
    if (now === 'other') {
      conflicts.push({ path: abs, reason: 'it is no longer a regular file (a symlink, directory or special file)' });
      continue;
    }
    if (stateHash(now) !== e.expectedSha256) {
      conflicts.push({ path: abs, reason: now === null ? 'it was deleted since' : 'it was changed since' });
      continue;
    }
    previous.set(abs, now);
  }
  if (conflicts.length > 0) return { ok: false, conflicts };
  for (const e of entries) await writeTarget(path.resolve(e.path), e.target);
  return { ok: true, previous };
}

/** The first ancestor of `abs` that exists but is not a real directory at its own path. */
async function symlinkedAncestor(abs: string): Promise<string | null> {
  for (let d = path.dirname(abs); ; d = path.dirname(d)) {
    try {
      const st = await lstat(d);
      if (!st.isDirectory()) return d;
      if ((await realpath(d)) !== d) return d;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') return d;
    }
    if (path.dirname(d) === d) return null;
  }
}

async function writeTarget(abs: string, target: FileBytes | null): Promise<void> {
  if (target === null) {
    await unlink(abs).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw err;
    });
    return;
  }
  const dir = path.dirname(abs);
  await mkdir(dir, { recursive: true });
  // Re-check after mkdir: the directory must be where it claims to be.
  if ((await realpath(dir)) !== dir) throw new Error(`${dir} resolves elsewhere; not restoring ${abs}`);
  const tmp = path.join(dir, `.${path.basename(abs)}.agentd-restore-${randomBytes(6).toString('hex')}`);
  const fh = await open(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, target.mode & 0o777);
  try {
    await fh.writeFile(target.content);
    await fh.chmod(target.mode & 0o7777);
  } finally {
    await fh.close();
  }
  // rename replaces a symlink at `abs` itself rather than writing through it.
  await rename(tmp, abs);
}
