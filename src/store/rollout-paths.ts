import { basename, join } from 'node:path';

/** Directory (under the home) of live rollouts, by date: `sessions/YYYY/MM/DD`. */
export const SESSIONS_DIR = 'sessions';
/** Directory (under the home) archived rollouts are moved to, flat as in Codex. */
export const ARCHIVED_DIR = 'archived_sessions';
/** Rollout file names: `rollout-YYYY-MM-DDTHH-MM-SS-<threadId>.jsonl`. */
export const ROLLOUT_FILE_RE = /^rollout-(\d{4})-(\d{2})-(\d{2})T\d{2}-\d{2}-\d{2}-.+\.jsonl$/;

/** The rollout file name for a thread created at `createdAt` (unix seconds, local time as in Codex). */
export function rolloutFileName(createdAt: number, threadId: string): string {
  const d = new Date(createdAt * 1000);
  const p = (n: number) => String(n).padStart(2, '0');
  const stamp = `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}-${p(d.getMinutes())}-${p(d.getSeconds())}`;
  return `rollout-${stamp}-${threadId}.jsonl`;
}

/** Where a rollout lives while not archived: the date directory is read back from its name. */
export function livePath(home: string, fileName: string): string {
  const m = ROLLOUT_FILE_RE.exec(fileName);
  if (!m) return join(home, SESSIONS_DIR, fileName);
  return join(home, SESSIONS_DIR, m[1]!, m[2]!, m[3]!, fileName);
}

/** Where a rollout lives while archived. */
export function archivedPath(home: string, rolloutPath: string): string {
  return join(home, ARCHIVED_DIR, basename(rolloutPath));
}
