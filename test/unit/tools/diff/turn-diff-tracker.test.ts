import { execFileSync } from 'node:child_process';
import { chmod, mkdir, mkdtemp, rename, rm, unlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { gitBlobSha1 } from '../../../../src/tools/diff/git-file-diff.js';
import { TurnDiffTrackerImpl } from '../../../../src/tools/diff/turn-diff-tracker.js';

let repo: string;
beforeEach(async () => {
  repo = await mkdtemp(path.join(os.tmpdir(), 'turn-diff-'));
});
afterEach(async () => {
  await rm(repo, { recursive: true, force: true });
});

const gitEnv = { ...process.env, GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1' };
function git(...args: string[]): string {
  return execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args], {
    cwd: repo,
    env: gitEnv,
    encoding: 'utf8',
  });
}
/** The staged diff of the work tree against the baseline commit, as git renders it. */
function gitDiff(renames = true): string {
  git('add', '-A');
  return git('diff', '--cached', '--no-color', '--no-ext-diff', renames ? '-M' : '--no-renames');
}
const abs = (rel: string): string => path.join(repo, rel);
async function put(rel: string, content: string | Buffer): Promise<void> {
  await mkdir(path.dirname(abs(rel)), { recursive: true });
  await writeFile(abs(rel), content);
}
async function commitBaseline(files: Record<string, string | Buffer>): Promise<void> {
  git('init', '-q');
  for (const [rel, content] of Object.entries(files)) await put(rel, content);
  git('add', '-A');
  git('commit', '-q', '--allow-empty', '-m', 'baseline');
}
const numbered = (n: number, prefix = 'line'): string => Array.from({ length: n }, (_, i) => `${prefix} ${i + 1}\n`).join('');

describe('TurnDiffTrackerImpl', () => {
  it('computes git blob ids', () => {
    expect(gitBlobSha1(Buffer.from(''))).toBe('e69de29bb2d1d6434b8b29ae775ad8c2e48c5391');
    expect(gitBlobSha1(Buffer.from('hello\n'))).toBe('ce013625030ba8dba906f756967f9e9ca394464a');
  });

  it('renders updates, adds, deletes, binaries, missing newlines and mode changes exactly like git', async () => {
    const source = `function first() {\n${numbered(12, '  body')}}\nfunction second() {\n${numbered(12, '  more')}}\n`;
    await commitBaseline({
      'src/app.ts': source,
      'gone.txt': 'bye\nbye\n',
      'noeol.txt': 'a\nb',
      'bin.dat': Buffer.from([0, 1, 2, 3]),
      'run.sh': 'echo hi\n',
      'zz/empty-gone': '',
    });
    const tracker = new TurnDiffTrackerImpl(repo);
    const touched = ['src/app.ts', 'gone.txt', 'noeol.txt', 'bin.dat', 'run.sh', 'zz/empty-gone', 'new/added.md', 'new.bin', 'empty-new'];
    await tracker.onBeforeChange(touched.map(abs));

    await put('src/app.ts', source.replace('  more 7\n', '  more seven\n').replace('  body 2\n', ''));
    await unlink(abs('gone.txt'));
    await put('noeol.txt', 'a\nc');
    await put('bin.dat', Buffer.from([0, 9, 9]));
    await chmod(abs('run.sh'), 0o755);
    await unlink(abs('zz/empty-gone'));
    await put('new/added.md', '# title\n\ntext\n');
    await put('new.bin', Buffer.from([1, 0, 1]));
    await put('empty-new', '');

    // git -M would pair the two empty files as a rename; nothing recorded a move here.
    expect(await tracker.unifiedDiff()).toBe(gitDiff(false));
  });

  it('shows a pure move as a 100% rename, like git', async () => {
    await commitBaseline({ 'old/name.txt': numbered(5) });
    const tracker = new TurnDiffTrackerImpl(repo);
    await tracker.onBeforeChange([abs('old/name.txt'), abs('renamed/name.txt')]);
    await mkdir(abs('renamed'));
    await rename(abs('old/name.txt'), abs('renamed/name.txt'));
    tracker.onMove(abs('old/name.txt'), abs('renamed/name.txt'));
    const diff = await tracker.unifiedDiff();
    expect(diff).toBe('diff --git a/old/name.txt b/renamed/name.txt\nsimilarity index 100%\nrename from old/name.txt\nrename to renamed/name.txt\n');
    expect(diff).toBe(gitDiff());
  });

  it('shows a move with edits as a rename with hunks (git adds a similarity score we omit)', async () => {
    await commitBaseline({ 'a.txt': numbered(20) });
    const tracker = new TurnDiffTrackerImpl(repo);
    await tracker.onBeforeChange([abs('a.txt'), abs('b.txt')]);
    await put('b.txt', numbered(20).replace('line 10\n', 'line ten\n'));
    await unlink(abs('a.txt'));
    tracker.onMove(abs('a.txt'), abs('b.txt'));
    const ours = await tracker.unifiedDiff();
    expect(ours).toContain('rename from a.txt\nrename to b.txt\n');
    expect(ours).toBe(gitDiff().replace(/^similarity index \d+%\n/m, ''));
  });

  it('keeps the first snapshot, omits unchanged files and returns empty when nothing changed', async () => {
    await commitBaseline({ 'f.txt': 'one\n' });
    const tracker = new TurnDiffTrackerImpl(repo);
    expect(await tracker.unifiedDiff()).toBe('');
    await tracker.onBeforeChange([abs('f.txt'), abs('tmp.txt')]);
    await put('f.txt', 'two\n');
    await tracker.onBeforeChange([abs('f.txt')]);
    await put('f.txt', 'one\n');
    await put('tmp.txt', 'x\n');
    await unlink(abs('tmp.txt'));
    expect(await tracker.unifiedDiff()).toBe('');
    await put('f.txt', 'three\n');
    expect(await tracker.unifiedDiff()).toBe(gitDiff());
  });

  it('follows chained moves back to the original path', async () => {
    await commitBaseline({ 'a.txt': 'same\n' });
    const tracker = new TurnDiffTrackerImpl(repo);
    await tracker.onBeforeChange([abs('a.txt'), abs('b.txt')]);
    await rename(abs('a.txt'), abs('b.txt'));
    tracker.onMove(abs('a.txt'), abs('b.txt'));
    await tracker.onBeforeChange([abs('b.txt'), abs('c.txt')]);
    await rename(abs('b.txt'), abs('c.txt'));
    tracker.onMove(abs('b.txt'), abs('c.txt'));
    expect(await tracker.unifiedDiff()).toBe(gitDiff());
    await tracker.onBeforeChange([abs('c.txt'), abs('a.txt')]);
    await rename(abs('c.txt'), abs('a.txt'));
    tracker.onMove(abs('c.txt'), abs('a.txt'));
    expect(await tracker.unifiedDiff()).toBe('');
  });

  it('uses paths relative to the enclosing git repository, or to the root without one', async () => {
    await commitBaseline({ 'pkg/sub/x.txt': 'a\n' });
    const tracker = new TurnDiffTrackerImpl(abs('pkg/sub'));
    await tracker.onBeforeChange([abs('pkg/sub/x.txt')]);
    await put('pkg/sub/x.txt', 'b\n');
    expect(await tracker.unifiedDiff()).toContain('diff --git a/pkg/sub/x.txt b/pkg/sub/x.txt\n');

    const plain = await mkdtemp(path.join(os.tmpdir(), 'turn-diff-plain-'));
    try {
      const t2 = new TurnDiffTrackerImpl(plain);
      await t2.onBeforeChange([path.join(plain, 'y.txt')]);
      await writeFile(path.join(plain, 'y.txt'), 'y\n');
      expect(await t2.unifiedDiff()).toBe(
        'diff --git a/y.txt b/y.txt\nnew file mode 100644\nindex 0000000..975fbec\n--- /dev/null\n+++ b/y.txt\n@@ -0,0 +1 @@\n+y\n',
      );
    } finally {
      await rm(plain, { recursive: true, force: true });
    }
  });
});
