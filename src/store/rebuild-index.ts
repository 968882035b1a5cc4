import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '../util/logger.js';
import { readRolloutHeader } from './rollout-reader.js';
import { ARCHIVED_DIR, ROLLOUT_FILE_RE, SESSIONS_DIR } from './rollout-paths.js';
import type { ThreadMeta } from './types.js';

/**
 * Rebuilds thread metas from the rollouts on disk, reading only each file's first line (its
 * `session_meta`). What the header cannot know is taken from the file system: the path, whether
 * it is archived (which directory it is in) and `updatedAt` (the file's mtime). Names and previews
 * set after creation are not in the header; the caller overlays any index entries it still has.
 */
export function scanRollouts(home: string, logger: Logger): Map<string, ThreadMeta> {
  const found = new Map<string, ThreadMeta>();
  for (const [dir, archived] of [
    [join(home, SESSIONS_DIR), false],
    [join(home, ARCHIVED_DIR), true],
  ] as const) {
    for (const file of rolloutFiles(dir)) {
      let header: ThreadMeta | null;
      let mtimeSec: number;
      try {
        header = readRolloutHeader(file);
        mtimeSec = Math.floor(statSync(file).mtimeMs / 1000);
      } catch (err) {
        logger.warn({ err, file }, 'cannot read rollout header; skipping it');
        continue;
      }
      if (!header) {
        logger.warn({ file }, 'rollout has no session_meta first line; skipping it');
        continue;
      }
      found.set(header.id, {
        ...header,
        path: file,
        archived,
        updatedAt: Math.max(header.updatedAt ?? header.createdAt, mtimeSec),
        name: header.name ?? null,
        preview: header.preview ?? '',
      });
    }
  }
  return found;
}

/** All rollout files under `dir` (any depth); none if it does not exist. */
function rolloutFiles(dir: string): string[] {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true, recursive: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  return entries
    .filter((e) => e.isFile() && ROLLOUT_FILE_RE.test(e.name))
    .map((e) => join(e.parentPath, e.name));
}
