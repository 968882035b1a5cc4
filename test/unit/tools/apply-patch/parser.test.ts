import { describe, expect, it } from 'vitest';
import { parsePatch, PatchParseError } from '../../../../src/tools/apply-patch/parser.js';

function parseError(text: string): PatchParseError {
  try {
    parsePatch(text);
  } catch (err) {
    if (err instanceof PatchParseError) return err;
    throw err;
  }
  throw new Error('expected a parse error');
}

describe('parsePatch', () => {
  it('parses add, delete and update with a move and an @@ context', () => {
    const { hunks } = parsePatch(
      [
        '*** Begin Patch',
        '*** Add File: path/add.py',
        '+abc',
        '+def',
        '*** Delete File: path/delete.py',
        '*** Update File: path/update.py',
        '*** Move to: path/update2.py',
        '@@ def f():',
        '-    pass',
        '+    return 123',
        '*** End Patch',
      ].join('\n'),
    );
    expect(hunks).toEqual([
      { type: 'add', path: 'path/add.py', contents: 'abc\ndef\n', line: 2 },
      { type: 'delete', path: 'path/delete.py', line: 5 },
      {
        type: 'update',
        path: 'path/update.py',
        movePath: 'path/update2.py',
        line: 6,
        chunks: [{ contexts: ['def f():'], oldLines: ['    pass'], newLines: ['    return 123'], tags: '-+', isEndOfFile: false }],
      },
    ]);
  });

  it('accepts a first chunk without @@ and splits later chunks at @@', () => {
    const { hunks } = parsePatch('*** Begin Patch\n*** Update File: a.py\n import foo\n+bar\n@@\n-x\n+y\n*** End Patch');
    const update = hunks[0];
    expect(update?.type).toBe('update');
    if (update?.type !== 'update') return;
    expect(update.chunks).toEqual([
      { contexts: [], oldLines: ['import foo'], newLines: ['import foo', 'bar'], tags: ' +', isEndOfFile: false },
      { contexts: [], oldLines: ['x'], newLines: ['y'], tags: '-+', isEndOfFile: false },
    ]);
  });

  it('collects consecutive @@ lines as nested contexts and reads *** End of File', () => {
    const { hunks } = parsePatch(
      '*** Begin Patch\n*** Update File: a.py\n@@ class A\n@@   def m():\n-  x\n+  y\n*** End of File\n*** End Patch\n',
    );
    const update = hunks[0];
    if (update?.type !== 'update') throw new Error('expected update');
    expect(update.chunks[0]).toEqual({ contexts: ['class A', 'def m():'], oldLines: ['  x'], newLines: ['  y'], tags: '-+', isEndOfFile: true });
  });

  it('treats an empty line inside a chunk as empty context but drops a trailing blank separator', () => {
    const { hunks } = parsePatch('*** Begin Patch\n*** Update File: a\n@@\n a\n\n b\n-c\n\n*** Delete File: z\n*** End Patch');
    const update = hunks[0];
    if (update?.type !== 'update') throw new Error('expected update');
    expect(update.chunks[0]?.oldLines).toEqual(['a', '', 'b', 'c']);
    expect(hunks[1]).toMatchObject({ type: 'delete', path: 'z' });
  });

  it('is lenient about whitespace, CRLF and a heredoc wrapper', () => {
    const inner = '  *** Begin Patch  \r\n*** Add File: x.txt\r\n+hi\r\n   *** End Patch\r\n';
    expect(parsePatch(`\n\n${inner}\n`).hunks).toEqual([{ type: 'add', path: 'x.txt', contents: 'hi\n', line: 4 }]);
    for (const open of ["<<'EOF'", '<<EOF', 'apply_patch <<"EOF"', "apply_patch <<'PATCH'"]) {
      const close = open.includes('PATCH') ? 'PATCH' : 'EOF';
      expect(parsePatch(`${open}\n*** Begin Patch\n*** Delete File: a\n*** End Patch\n${close}\n`).hunks).toEqual([
        { type: 'delete', path: 'a', line: 3 },
      ]);
    }
  });

  it('ends an update at an indented file header', () => {
    const { hunks } = parsePatch('*** Begin Patch\n*** Update File: a\n@@\n-x\n+y\n  *** Delete File: b\n*** End Patch');
    expect(hunks.map((h) => h.type)).toEqual(['update', 'delete']);
  });

  it('parses an add file with no lines as an empty file', () => {
    expect(parsePatch('*** Begin Patch\n*** Add File: e\n*** End Patch').hunks).toEqual([
      { type: 'add', path: 'e', contents: '', line: 2 },
    ]);
  });

  it('reports a missing begin marker on the first line', () => {
    const err = parseError('bad\n*** End Patch');
    expect(err.line).toBe(1);
    expect(err.message).toBe("Invalid patch at line 1: expected '*** Begin Patch' as the first line, got 'bad'");
  });

  it('reports a missing end marker on the last line', () => {
    const err = parseError('*** Begin Patch\n*** Delete File: a\n');
    expect(err.line).toBe(2);
    expect(err.reason).toContain("expected '*** End Patch' as the last line");
  });

  it('reports an invalid hunk header with the valid ones', () => {
    const err = parseError('*** Begin Patch\n*** Frobnicate File: a\n*** End Patch');
    expect(err.line).toBe(2);
    expect(err.reason).toBe(
      "'*** Frobnicate File: a' is not a valid hunk header. Valid hunk headers: '*** Add File: {path}', '*** Delete File: {path}', '*** Update File: {path}'",
    );
  });

  it('reports an empty update', () => {
    const err = parseError('*** Begin Patch\n*** Update File: test.py\n*** End Patch');
    expect(err.line).toBe(2);
    expect(err.reason).toContain("update of 'test.py' has no changes");
  });

  it('reports a chunk header with no lines', () => {
    const err = parseError('*** Begin Patch\n*** Update File: a\n@@ ctx\n*** End Patch');
    expect(err.line).toBe(3);
    expect(err.reason).toContain('the chunk has no lines');
  });

  it('reports a line without a diff prefix at the start of a chunk', () => {
    const err = parseError('*** Begin Patch\n*** Update File: a\n@@\nnot a diff line\n*** End Patch');
    expect(err.line).toBe(4);
    expect(err.reason).toContain("unexpected line in update chunk: 'not a diff line'");
  });

  it('reports a second chunk that does not start with @@', () => {
    const err = parseError('*** Begin Patch\n*** Update File: a\n@@\n-x\n+y\nstray\n*** End Patch');
    expect(err.line).toBe(6);
    expect(err.reason).toContain("expected a chunk header '@@' or '@@ <context line>', got 'stray'");
  });

  it('reports a header without a path', () => {
    const err = parseError('*** Begin Patch\n*** Add File: \n+x\n*** End Patch');
    expect(err.line).toBe(2);
    expect(err.reason).toContain('needs a file path');
  });

  it('counts lines of the original text when a heredoc wraps the patch', () => {
    const err = parseError("<<'EOF'\n*** Begin Patch\n*** Bogus\n*** End Patch\nEOF");
    expect(err.line).toBe(3);
  });
});
