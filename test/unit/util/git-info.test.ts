import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readGitInfo } from '../../../src/util/git-info.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), 'agentd-gitinfo-'));
  dirs.push(d);
  return d;
}

function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.invalid', '-c', 'commit.gpgsign=false', ...args], {
    cwd,
    encoding: 'utf8',
  }).trim();
}

function repo(branch = 'main'): { dir: string; sha: string } {
  const dir = tmp();
  git(dir, 'init', '-q', '-b', branch);
  writeFileSync(join(dir, 'a.txt'), 'a\n');
  git(dir, 'add', 'a.txt');
  git(dir, 'commit', '-q', '-m', 'one');
  return { dir, sha: git(dir, 'rev-parse', 'HEAD') };
}

describe('readGitInfo reads the repository files, as git would answer', () => {
  it('gives the branch, the HEAD commit and origin, from the repository root or a subdirectory', async () => {
    const { dir, sha } = repo('feature/x');
    git(dir, 'remote', 'add', 'origin', 'git@example.invalid:acme/widgets.git');
    mkdirSync(join(dir, 'src', 'deep'), { recursive: true });
    const expected = { sha, branch: 'feature/x', originUrl: 'git@example.invalid:acme/widgets.git' };
    expect(await readGitInfo(dir)).toEqual(expected);
    expect(await readGitInfo(join(dir, 'src', 'deep'))).toEqual(expected);
  });

  it('finds the commit in packed-refs, and a detached HEAD has no branch', async () => {
    const { dir, sha } = repo();
    git(dir, 'pack-refs', '--all');
    expect(existsSync(join(dir, '.git', 'refs', 'heads', 'main'))).toBe(false);
    expect(await readGitInfo(dir)).toEqual({ sha, branch: 'main', originUrl: null });
    git(dir, 'checkout', '-q', '--detach');
    expect(await readGitInfo(dir)).toEqual({ sha, branch: null, originUrl: null });
  });

  it('reads a linked worktree (a .git file) with its own HEAD and the shared config', async () => {
    const { dir } = repo();
    git(dir, 'remote', 'add', 'origin', 'https://example.invalid/r.git');
    const wt = join(tmp(), 'wt');
    git(dir, 'worktree', 'add', '-q', '-b', 'side', wt);
    writeFileSync(join(wt, 'b.txt'), 'b\n');
    git(wt, 'add', 'b.txt');
    git(wt, 'commit', '-q', '-m', 'two');
    expect(await readGitInfo(wt)).toEqual({ sha: git(wt, 'rev-parse', 'HEAD'), branch: 'side', originUrl: 'https://example.invalid/r.git' });
  });

  it('a repository without commits has a branch but no sha; outside a repository it is null', async () => {
    const dir = tmp();
    git(dir, 'init', '-q', '-b', 'trunk');
    expect(await readGitInfo(dir)).toEqual({ sha: null, branch: 'trunk', originUrl: null });
    const plain = tmp();
    // tmpdir() itself is not inside a repository on the machines this runs on.
    expect(await readGitInfo(plain)).toBeNull();
  });

  it('never runs a program the repository names, and a FIFO planted as HEAD or a ref cannot block it', async () => {
    const { dir } = repo();
    const marker = join(tmp(), 'ran');
    const script = join(dir, 'evil.sh');
    writeFileSync(script, `#!/bin/sh\ntouch ${marker}\n`, { mode: 0o755 });
    git(dir, 'config', 'core.fsmonitor', script);
    git(dir, 'config', 'core.hooksPath', dir);
    expect((await readGitInfo(dir))?.branch).toBe('main');
    expect(existsSync(marker)).toBe(false);

    rmSync(join(dir, '.git', 'refs', 'heads', 'main'));
    execFileSync('mkfifo', [join(dir, '.git', 'refs', 'heads', 'main')]);
    expect(await readGitInfo(dir)).toEqual({ sha: null, branch: 'main', originUrl: null });
    rmSync(join(dir, '.git', 'HEAD'));
    execFileSync('mkfifo', [join(dir, '.git', 'HEAD')]);
    expect(await readGitInfo(dir)).toBeNull();
  });

  it('a HEAD that points outside the git directory resolves to nothing', async () => {
    const { dir } = repo();
    writeFileSync(join(dir, '.git', 'HEAD'), 'ref: ../../../../../../../etc/hostname\n');
    expect(await readGitInfo(dir)).toEqual({ sha: null, branch: null, originUrl: null });
  });
});
