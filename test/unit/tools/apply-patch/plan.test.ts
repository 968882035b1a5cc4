import { execFileSync } from 'node:child_process';
import { realpathSync } from 'node:fs';
import { mkdtemp, readFile, readdir, rm, stat, symlink, writeFile, mkdir, chmod } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { commitPatch } from '../../../../src/tools/apply-patch/commit.js';
import { applyPatchToText } from '../../../../src/tools/apply-patch/bench.js';
import { PatchParseError } from '../../../../src/tools/apply-patch/parser.js';
import { PatchApplyError, planPatch } from '../../../../src/tools/apply-patch/plan.js';
import { LineMatcher } from '../../../../src/tools/apply-patch/seek-sequence.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'apply-patch-plan-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const patch = (...lines: string[]): string => ['*** Begin Patch', ...lines, '*** End Patch'].join('\n');
const read = (rel: string): Promise<string> => readFile(path.join(dir, rel), 'utf8');
const write = async (rel: string, content: string): Promise<void> => {
  await mkdir(path.dirname(path.join(dir, rel)), { recursive: true });
  await writeFile(path.join(dir, rel), content);
};
async function apply(text: string): Promise<void> {
  await commitPatch(await planPatch(text, dir));
}
async function planError(text: string): Promise<Error> {
  return planPatch(text, dir).then(
    () => {
      throw new Error('expected the plan to fail');
    },
    (err: Error) => err,
  );
}

describe('LineMatcher.seek', () => {
  it('prefers exact, then trailing-whitespace, then trimmed, then unicode-normalised matches', () => {
    const m = new LineMatcher(['foo   ', '  bar\t', 'x \u2014 \u201Cy\u201D\u00A0z', 'foo']);
    expect(m.seek(['foo'], 0, false)).toEqual({ index: 3, level: 'exact' });
    expect(m.seek(['foo', '  bar'], 0, false)).toEqual({ index: 0, level: 'trimEnd' });
    expect(m.seek(['foo', 'bar'], 0, false)).toEqual({ index: 0, level: 'trim' });
    expect(m.seek(['x - "y" z'], 0, false)).toEqual({ index: 2, level: 'unicode' });
    expect(m.seek(['nope'], 0, false)).toBeNull();
    expect(m.seek(['a', 'b', 'c', 'd', 'e'], 0, false)).toBeNull();
  });

  it('searches from the start index and tries the end first for end-of-file chunks', () => {
    const m = new LineMatcher(['a', 'b', 'a', 'b']);
    expect(m.seek(['a', 'b'], 1, false)?.index).toBe(2);
    expect(m.seek(['a', 'b'], 0, true)?.index).toBe(2);
    expect(m.seek(['a'], 3, false)).toBeNull();
  });
});

describe('planPatch and commitPatch', () => {
  it('adds, updates with several chunks, moves and deletes files', async () => {
    await write('modify.txt', 'line1\nline2\nline3\nline4\nline5\nline6\nline7\nline8\n');
    await write('old/name.txt', 'from\n');
    await write('delete.txt', 'gone\n');
    await apply(
      patch(
        '*** Add File: nested/new.txt',
        '+created',
        '*** Update File: modify.txt',
        '@@',
        ' line1',
        '-line2',
        '+LINE2',
        '@@',
        ' line6',
        '-line7',
        '+LINE7',
        '*** Update File: old/name.txt',
        '*** Move to: renamed/dir/name.txt',
        '@@',
        '-from',
        '+to',
        '*** Delete File: delete.txt',
      ),
    );
    expect(await read('nested/new.txt')).toBe('created\n');
    expect(await read('modify.txt')).toBe('line1\nLINE2\nline3\nline4\nline5\nline6\nLINE7\nline8\n');
    expect(await read('renamed/dir/name.txt')).toBe('to\n');
    await expect(stat(path.join(dir, 'old/name.txt'))).rejects.toThrow();
    await expect(stat(path.join(dir, 'delete.txt'))).rejects.toThrow();
  });

  it('describes every file in the plan with absolute paths, contents and a diff', async () => {
    await write('a.txt', 'x\ny\n');
    const plan = await planPatch(patch('*** Update File: a.txt', '@@', '-y', '+z'), dir);
    expect(plan.files).toEqual([
      {
        kind: 'update',
        path: path.join(dir, 'a.txt'),
        movePath: null,
        displayPath: 'a.txt',
        oldContent: 'x\ny\n',
        newContent: 'x\nz\n',
        diff: '@@ -1,2 +1,2 @@\n x\n-y\n+z\n',
        readFrom: realpathSync(path.join(dir, 'a.txt')),
      },
    ]);
  });

  it('uses @@ context lines to pick among repeated snippets', async () => {
    await write('c.py', 'class A:\n  def f():\n    return 1\nclass B:\n  def f():\n    return 1\n');
    await apply(patch('*** Update File: c.py', '@@ class B:', '@@   def f():', '-    return 1', '+    return 2'));
    expect(await read('c.py')).toBe('class A:\n  def f():\n    return 1\nclass B:\n  def f():\n    return 2\n');
  });

  it('anchors *** End of File chunks at the end of the file', async () => {
    await write('t.txt', 'end\nmiddle\nend\n');
    await apply(patch('*** Update File: t.txt', '@@', '-end', '+END', '*** End of File'));
    expect(await read('t.txt')).toBe('end\nmiddle\nEND\n');
  });

  it('appends pure additions at the end, or after their @@ context', async () => {
    await write('p.txt', 'a\nb\nc');
    await apply(patch('*** Update File: p.txt', '@@', '+d', '@@ a', '+a2'));
    expect(await read('p.txt')).toBe('a\na2\nb\nc\nd\n');
  });

  it('matches lines that differ only in whitespace or typographic punctuation', async () => {
    await write('f.txt', 'const a = 1;   \n    indented\nsay \u201Chi\u201D \u2014 ok\n');
    await apply(patch('*** Update File: f.txt', '@@', ' const a = 1;', '-indented', '+reindented', '-say "hi" - ok', '+done'));
    expect(await read('f.txt')).toBe('const a = 1;   \nreindented\ndone\n');
  });

  it('keeps CRLF line endings and the file mode', async () => {
    await write('w.txt', 'a\r\nb\r\n');
    await chmod(path.join(dir, 'w.txt'), 0o755);
    await apply(patch('*** Update File: w.txt', '@@', '-b', '+c'));
    expect(await read('w.txt')).toBe('a\r\nc\r\n');
    expect((await stat(path.join(dir, 'w.txt'))).mode & 0o777).toBe(0o755);
  });

  it('fails the whole plan, writing nothing, when one chunk does not match', async () => {
    await write('src/a.ts', 'one\ntwo\n');
    await write('src/b.ts', 'keep\n');
    const text = patch(
      '*** Add File: src/new.ts',
      '+new',
      '*** Update File: src/b.ts',
      '@@',
      '-keep',
      '+changed',
      '*** Update File: src/a.ts',
      '@@',
      ' one',
      '-three',
      '+four',
    );
    const err = await planError(text);
    expect(err).toBeInstanceOf(PatchApplyError);
    expect(err.message).toBe('Failed to find expected lines in src/a.ts:\none\nthree');
    expect(await readdir(path.join(dir, 'src'))).toEqual(['a.ts', 'b.ts']);
    expect(await read('src/b.ts')).toBe('keep\n');
  });

  it('explains a missing context, a missing file and an empty patch', async () => {
    await write('a.txt', 'x\n');
    expect((await planError(patch('*** Update File: a.txt', '@@ nowhere', '-x'))).message).toBe(
      "Failed to find context 'nowhere' in a.txt",
    );
    expect((await planError(patch('*** Update File: no.txt', '@@', '-x'))).message).toContain(
      'Failed to read file to update no.txt',
    );
    expect((await planError(patch('*** Delete File: no.txt'))).message).toContain('Failed to delete no.txt');
    expect((await planError(patch())).message).toContain('No files were modified');
    expect(await planError('garbage')).toBeInstanceOf(PatchParseError);
  });

  it('refuses to read a FIFO, a device or a directory, without blocking', async () => {
    execFileSync('mkfifo', [path.join(dir, 'fifo')]);
    await expect(planPatch(patch('*** Update File: fifo', '@@', '+x'), dir)).rejects.toThrow(/fifo: it is not a regular file/);
    await expect(planPatch(patch('*** Update File: /dev/zero', '@@', '+x'), dir)).rejects.toThrow(/not a regular file/);
    await mkdir(path.join(dir, 'sub'));
    await expect(planPatch(patch('*** Update File: sub', '@@', '+x'), dir)).rejects.toThrow(/sub: it is a directory/);
  });

  it('records the real path each old content was read from', async () => {
    await write('real.txt', 'one\n');
    await symlink(path.join(dir, 'real.txt'), path.join(dir, 'link.txt'));
    const plan = await planPatch(patch('*** Update File: link.txt', '@@', '-one', '+two', '*** Add File: new.txt', '+n'), dir);
    expect(plan.files.map((f) => f.readFrom)).toEqual([realpathSync(path.join(dir, 'real.txt')), null]);
  });

  it('lets a later hunk see an earlier hunk on the same file', async () => {
    await apply(patch('*** Add File: n.txt', '+a', '*** Update File: n.txt', '@@', '-a', '+b'));
    expect(await read('n.txt')).toBe('b\n');
  });

  it('applies random replacements to random files exactly (property)', async () => {
    const line = fc.stringMatching(/^[a-z ]{0,6}$/);
    await fc.assert(
      fc.asyncProperty(
        fc.array(line, { minLength: 1, maxLength: 30 }),
        fc.array(fc.tuple(fc.nat(), fc.array(line, { maxLength: 3 })), { minLength: 1, maxLength: 4 }),
        async (rawLines, edits) => {
          // Unique lines make each chunk's location unambiguous, so the expected result is exact.
          const lines = rawLines.map((l, i) => `${i}:${l}`);
          const positions = [...new Set(edits.map(([n]) => n % lines.length))].sort((a, b) => a - b);
          const byPos = new Map(edits.map(([n, repl]) => [n % lines.length, repl.map((r) => `new ${r}`)]));
          const chunks: string[] = [];
          const expected: string[] = [];
          positions.forEach((pos) => {
            chunks.push('@@', `-${lines[pos]}`, ...byPos.get(pos)!.map((r) => `+${r}`));
          });
          lines.forEach((l, i) => {
            if (byPos.has(i)) expected.push(...byPos.get(i)!);
            else expected.push(l);
          });
          await writeFile(path.join(dir, 'prop.txt'), lines.join('\n') + '\n');
          await apply(patch('*** Update File: prop.txt', ...chunks));
          const want = expected.length > 0 ? expected.join('\n') + '\n' : '';
          expect(await read('prop.txt')).toBe(want);
        },
      ),
      { numRuns: 100 },
    );
  });

  it('applies a many-chunk patch to a 1,000-line file quickly', () => {
    const lines = Array.from({ length: 1000 }, (_, i) => `    line ${i} of the file;`);
    const content = lines.join('\n') + '\n';
    const chunks: string[] = [];
    for (let i = 10; i < 1000; i += 20) chunks.push('@@', ` ${lines[i - 1]!.trim()}`, `-${lines[i]!.trim()}`, `+changed ${i}`);
    const text = patch('*** Update File: big.ts', ...chunks);
    const started = performance.now();
    let out = '';
    for (let run = 0; run < 20; run++) out = applyPatchToText(content, text, 'big.ts');
    const perRun = (performance.now() - started) / 20;
    expect(out.split('\n')[10]).toBe('changed 10');
    expect(perRun).toBeLessThan(50);
  });
});
