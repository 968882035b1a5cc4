import { randomBytes } from 'node:crypto';
import { chmod, lstat, mkdir, realpath, rename, stat, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { PatchPlan } from './plan.js';

/**
 * Writes a plan to disk, file by file in patch order. Each write is atomic (a temp file in the
 * same directory, then rename), so a reader never sees a half-written file; parent directories
 * are created. A move writes the target, then removes the source. The plan as a whole is not
 * transactional: if a later write fails, earlier files stay written.
 */
export async function commitPatch(plan: PatchPlan): Promise<void> {
  for (const file of plan.files) {
    if (file.kind === 'delete') {
      await unlink(file.path);
    } else if (file.kind === 'add') {
      await writeAtomic(file.path, file.newContent ?? '');
    } else if (file.movePath !== null && file.movePath !== file.path) {
      await writeAtomic(file.movePath, file.newContent ?? '', await modeOf(file.path));
      await unlink(file.path);
    } else {
      await writeAtomic(file.path, file.newContent ?? '');
    }
  }
}

/** Writes `content` to `target` via a temp file and rename, keeping an existing file's mode. */
export async function writeAtomic(target: string, content: string, mode?: number): Promise<void> {
  // Write through a symlink to the file it names rather than replacing the link itself.
  const real = (await isSymlink(target)) ? await realpath(target) : target;
  const dir = path.dirname(real);
  await mkdir(dir, { recursive: true });
  const keepMode = mode ?? (await modeOf(real));
  const tmp = path.join(dir, `.${path.basename(real)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    await writeFile(tmp, content, { encoding: 'utf8', flag: 'wx' });
    if (keepMode !== undefined) await chmod(tmp, keepMode);
    await rename(tmp, real);
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
}

async function isSymlink(p: string): Promise<boolean> {
  try {
    return (await lstat(p)).isSymbolicLink();
  } catch {
    return false;
  }
}

async function modeOf(p: string): Promise<number | undefined> {
  try {
    return (await stat(p)).mode & 0o7777;
  } catch {
    return undefined;
  }
}
