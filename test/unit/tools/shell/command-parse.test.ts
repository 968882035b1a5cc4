import { describe, expect, it } from 'vitest';
import {
  displayCommand,
  extractShellScript,
  parseCommandActions,
  splitShellWords,
} from '../../../../src/tools/shell/command-parse.js';

describe('splitShellWords', () => {
  it('honours quotes and escapes', () => {
    expect(splitShellWords(`echo 'a b' "c \\"d\\"" e\\ f`)).toEqual(['echo', 'a b', 'c "d"', 'e f']);
    expect(splitShellWords('ls && cat x | head')).toEqual(['ls', '&&', 'cat', 'x', '|', 'head']);
    expect(splitShellWords(`echo 'unterminated`)).toBeNull();
  });
});

describe('shell wrappers', () => {
  it('detects bash -lc and sh -c', () => {
    expect(extractShellScript(['bash', '-lc', 'ls'])).toEqual({ shell: 'bash', login: true, script: 'ls' });
    expect(extractShellScript(['/bin/sh', '-c', 'ls'])).toEqual({ shell: '/bin/sh', login: false, script: 'ls' });
    expect(extractShellScript(['python', '-c', 'x'])).toBeNull();
  });

  it('displays the script of a wrapper and quotes plain argv', () => {
    expect(displayCommand(['bash', '-lc', 'echo hi && ls'])).toBe('echo hi && ls');
    expect(displayCommand(['echo', 'a b', "it's"])).toBe(`echo 'a b' 'it'\\''s'`);
  });
});

describe('parseCommandActions', () => {
  const cases: [string[], unknown[]][] = [
    [['cat', 'src/a.ts'], [{ type: 'read', command: 'cat src/a.ts', name: 'a.ts', path: 'src/a.ts' }]],
    [['bash', '-lc', "sed -n '1,20p' README.md"], [{ type: 'read', command: 'sed -n 1,20p README.md', name: 'README.md', path: 'README.md' }]],
    [['bash', '-lc', 'head -n 50 x/y.txt'], [{ type: 'read', command: 'head -n 50 x/y.txt', name: 'y.txt', path: 'x/y.txt' }]],
    [['bash', '-lc', 'nl -ba f.c | head -n 10'], [{ type: 'read', command: 'nl -ba f.c', name: 'f.c', path: 'f.c' }]],
    [['ls', '-la', 'src'], [{ type: 'listFiles', command: 'ls -la src', path: 'src' }]],
    [['bash', '-lc', 'find . -name x'], [{ type: 'listFiles', command: 'find . -name x', path: '.' }]],
    [['bash', '-lc', 'rg --files src'], [{ type: 'listFiles', command: 'rg --files src', path: 'src' }]],
    [['rg', '-n', 'TODO', 'src'], [{ type: 'search', command: 'rg -n TODO src', query: 'TODO', path: 'src' }]],
    [['bash', '-lc', 'grep -rn -e foo lib'], [{ type: 'search', command: 'grep -rn -e foo lib', query: 'foo', path: 'lib' }]],
    [['bash', '-lc', 'cd src && rg foo'], [{ type: 'search', command: 'rg foo', query: 'foo', path: null }]],
    [['npm', 'test'], [{ type: 'unknown', command: 'npm test' }]],
    [['bash', '-lc', 'cat a && npm test'], [{ type: 'unknown', command: 'cat a && npm test' }]],
    [['bash', '-lc', 'cat $(ls)'], [{ type: 'unknown', command: 'cat $(ls)' }]],
  ];
  it.each(cases)('%j', (argv, expected) => {
    expect(parseCommandActions(argv)).toEqual(expected);
  });
});
