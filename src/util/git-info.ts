import { execFile } from 'node:child_process';

/** The git facts a thread carries (`Thread.gitInfo`). */
export interface GitInfo {
  sha: string | null;
  branch: string | null;
  originUrl: string | null;
}

/** How long each git call may take; a slow or hung git gives `null` fields, never a slow thread/start. */
export const GIT_INFO_TIMEOUT_MS = 1500;

/**
 * Runs `git` (no shell) in `cwd` and resolves its trimmed stdout, or null on any failure, a
 * non-zero exit or the timeout. Git asks nothing (no prompts, no pager) and takes no lock; the
 * repository's config cannot make it start a program here (`core.fsmonitor` off, and
 * `rev-parse`/`remote get-url` run no hooks).
 */
function git(cwd: string, args: string[], timeoutMs: number): Promise<string | null> {
  return new Promise((resolve) => {
    try {
      const child = execFile(
        'git',
        ['-c', 'core.fsmonitor=false', ...args],
        {
          cwd,
          timeout: timeoutMs,
          killSignal: 'SIGKILL',
          maxBuffer: 64 * 1024,
          windowsHide: true,
          env: { ...process.env, GIT_TERMINAL_PROMPT: '0', GIT_OPTIONAL_LOCKS: '0', GIT_PAGER: 'cat', LC_ALL: 'C' },
        },
        (err, stdout) => resolve(err ? null : String(stdout).trim() || null),
      );
      child.stdin?.end();
    } catch {
      resolve(null);
    }
  });
}

/**
 * Codex's `gitInfo` for a working directory: null outside a git repository; otherwise the HEAD
 * commit, the branch (null when HEAD is detached) and the `origin` remote's URL, each null when
 * git cannot tell (no commit yet, no origin).
 */
export async function readGitInfo(cwd: string, timeoutMs = GIT_INFO_TIMEOUT_MS): Promise<GitInfo | null> {
  if ((await git(cwd, ['rev-parse', '--git-dir'], timeoutMs)) === null) return null;
  const [sha, branch, originUrl] = await Promise.all([
    git(cwd, ['rev-parse', '--verify', '-q', 'HEAD'], timeoutMs),
    git(cwd, ['rev-parse', '--abbrev-ref', 'HEAD'], timeoutMs),
    git(cwd, ['remote', 'get-url', 'origin'], timeoutMs),
  ]);
  return { sha, branch: branch === 'HEAD' ? null : branch, originUrl };
}
