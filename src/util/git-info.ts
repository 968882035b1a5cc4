import { stat } from 'node:fs/promises';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { readRegularFile } from './read-regular-file.js';

/** The git facts a thread carries (`Thread.gitInfo`). */
export interface GitInfo {
  sha: string | null;
  branch: string | null;
  originUrl: string | null;
}

/** The most a git metadata file may hold for us to read it (a huge `packed-refs` gives `sha: null`). */
const MAX_HEAD_BYTES = 64 * 1024;
const MAX_CONFIG_BYTES = 1024 * 1024;
const MAX_PACKED_REFS_BYTES = 32 * 1024 * 1024;
/** Symbolic refs followed before giving up (git's own limit is 5). */
const MAX_SYMREF_DEPTH = 5;

const SHA = /^[0-9a-f]{40}([0-9a-f]{24})?$/;

/**
 * Codex's `gitInfo` for a working directory: null outside a git repository; otherwise the HEAD
 * commit, the branch (null when HEAD is detached) and the `origin` remote's URL, each null when
 * it cannot be told (no commit yet, no origin).
 *
 * Read from the repository's files, never by running git: the repository (which the model may
 * have written) cannot make agentd start a program outside the sandbox (`core.fsmonitor`,
 * hooks, `include.path`…), a hung git cannot delay `thread/start`, and it costs a few small reads.
 * Only regular files are opened, so a FIFO planted as `.git/HEAD` cannot block it.
 */
export async function readGitInfo(cwd: string): Promise<GitInfo | null> {
  const dirs = await findGitDir(resolve(cwd));
  if (!dirs) return null;
  const head = await readText(join(dirs.gitDir, 'HEAD'), MAX_HEAD_BYTES);
  if (head === null) return null;
  const headLine = head.trim();
  let branch: string | null = null;
  let sha: string | null = null;
  if (headLine.startsWith('ref:')) {
    const ref = headLine.slice(4).trim();
    branch = ref.startsWith('refs/heads/') ? ref.slice('refs/heads/'.length) : null;
    sha = await resolveRef(dirs, ref, 0);
  } else if (SHA.test(headLine)) {
    sha = headLine;
  }
  const originUrl = await readOriginUrl(join(dirs.commonDir, 'config'));
  return { sha, branch, originUrl };
}

interface GitDirs {
  /** The repository's (or linked worktree's) git directory: HEAD lives here. */
  gitDir: string;
  /** Where refs, packed-refs and config live (differs from gitDir in a linked worktree). */
  commonDir: string;
}

/** Walks up from `start` to the first `.git` (a directory, or a file `gitdir: <path>`). */
async function findGitDir(start: string): Promise<GitDirs | null> {
  let dir = start;
  for (;;) {
    const dotGit = join(dir, '.git');
    const st = await stat(dotGit).catch(() => null);
    if (st?.isDirectory()) return withCommonDir(dotGit);
    if (st?.isFile()) {
      const text = await readText(dotGit, MAX_HEAD_BYTES);
      const m = text ? /^gitdir:\s*(.+?)\s*$/m.exec(text) : null;
      if (m?.[1]) return withCommonDir(isAbsolute(m[1]) ? m[1] : resolve(dir, m[1]));
      return null;
    }
    const parent = dirname(dir);
    if (parent === dir) return null;
    dir = parent;
  }
}

async function withCommonDir(gitDir: string): Promise<GitDirs> {
  const common = (await readText(join(gitDir, 'commondir'), MAX_HEAD_BYTES))?.trim();
  return { gitDir, commonDir: common ? (isAbsolute(common) ? common : resolve(gitDir, common)) : gitDir };
}

/** A ref's commit: its loose file (per-worktree refs in gitDir first), else `packed-refs`. */
async function resolveRef(dirs: GitDirs, ref: string, depth: number): Promise<string | null> {
  if (depth > MAX_SYMREF_DEPTH || !isSafeRefName(ref)) return null;
  const perWorktree = !ref.startsWith('refs/') || ref.startsWith('refs/bisect/') || ref.startsWith('refs/worktree/');
  const loose = await readText(join(perWorktree ? dirs.gitDir : dirs.commonDir, ref), MAX_HEAD_BYTES);
  if (loose !== null) {
    const line = loose.trim();
    if (line.startsWith('ref:')) return resolveRef(dirs, line.slice(4).trim(), depth + 1);
    return SHA.test(line) ? line : null;
  }
  const packed = await readText(join(dirs.commonDir, 'packed-refs'), MAX_PACKED_REFS_BYTES);
  if (packed === null) return null;
  for (const line of packed.split('\n')) {
    if (line.startsWith('#') || line.startsWith('^')) continue;
    const space = line.indexOf(' ');
    if (space > 0 && line.slice(space + 1).trim() === ref) {
      const sha = line.slice(0, space);
      return SHA.test(sha) ? sha : null;
    }
  }
  return null;
}

/** A ref name that stays inside the git directory (no `..`, not absolute). */
function isSafeRefName(ref: string): boolean {
  return ref.length > 0 && !isAbsolute(ref) && !ref.split('/').some((p) => p === '' || p === '.' || p === '..') && !ref.includes('\0');
}

/** `remote.origin.url` from a git config file (its own lines only: includes are not followed). */
async function readOriginUrl(configPath: string): Promise<string | null> {
  const text = await readText(configPath, MAX_CONFIG_BYTES);
  if (text === null) return null;
  let inOrigin = false;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line.startsWith('[')) {
      inOrigin = /^\[\s*remote\s+"origin"\s*\]/.test(line);
      continue;
    }
    if (!inOrigin) continue;
    const m = /^url\s*=\s*(.*)$/i.exec(line);
    if (m) return unquote(m[1]!) || null;
  }
  return null;
}

/** A git config value: surrounding quotes and a trailing comment removed. */
function unquote(v: string): string {
  const s = v.trim();
  if (s.startsWith('"')) {
    const end = s.indexOf('"', 1);
    return end > 0 ? s.slice(1, end) : s.slice(1);
  }
  return s.replace(/\s+[#;].*$/, '');
}

/** A regular file's text, or null when it is missing, not a regular file, unreadable or too large. */
async function readText(path: string, maxBytes: number): Promise<string | null> {
  try {
    const content = await readRegularFile(path, maxBytes);
    return content ? content.bytes.toString('utf8') : null;
  } catch {
    return null;
  }
}
