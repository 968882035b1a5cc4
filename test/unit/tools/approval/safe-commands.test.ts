import { describe, expect, it } from 'vitest';
import { isKnownSafeCommand } from '../../../../src/tools/approval/safe-commands.js';

const bash = (script: string): string[] => ['bash', '-lc', script];

describe('isKnownSafeCommand', () => {
  const safe: string[][] = [
    ['ls', '-la'],
    ['cat', 'README.md'],
    ['head', '-n', '5', 'x'],
    ['tail', 'x'],
    ['wc', '-l', 'x'],
    ['pwd'],
    ['echo', 'hi'],
    ['true'],
    ['false'],
    ['nl', '-ba', 'x'],
    ['which', 'node'],
    ['whoami'],
    ['uname', '-a'],
    ['date'],
    ['rg', '-n', 'foo'],
    ['grep', '-R', 'foo', '.'],
    ['find', '.', '-name', '*.ts'],
    ['sed', '-n', '1,20p', 'file.txt'],
    ['sed', '-n', '5p', 'file.txt'],
    ['git', 'status'],
    ['git', 'log', '--oneline', '-5'],
    ['git', 'diff', 'HEAD~1'],
    ['git', 'show', 'HEAD'],
    ['git', 'branch'],
    ['git', 'branch', '-a', '-v'],
    bash('ls && pwd'),
    bash('cat a.txt | wc -l'),
    bash("rg -n 'foo bar' src; git status || echo nope"),
    ['sh', '-c', 'sed -n 1,5p x'],
  ];
  const unsafe: string[][] = [
    ['rm', '-rf', 'x'],
    ['npm', 'test'],
    ['rg', '--pre', 'sh', 'x'],
    ['rg', '--pre=sh', 'x'],
    ['rg', '-z', 'x'],
    ['rg', '--search-zip', 'x'],
    ['rg', '--hostname-bin', '/bin/x', 'y'],
    ['find', '.', '-exec', 'rm', '{}', ';'],
    ['find', '.', '-execdir', 'x', ';'],
    ['find', '.', '-ok', 'x', ';'],
    ['find', '.', '-delete'],
    ['find', '.', '-fprint', 'out'],
    ['find', '.', '-fprintf', 'out', '%p'],
    ['sed', '-i', 's/a/b/', 'x'],
    ['sed', '-n', '1,5w out', 'x'],
    ['sed', 's/a/b/', 'x'],
    ['git', 'commit', '-m', 'x'],
    ['git', 'push'],
    ['git', 'branch', 'new-branch'],
    ['git', 'branch', '-D', 'x'],
    ['git', '-c', 'core.pager=sh', 'log'],
    ['git', 'diff', '--output=/tmp/x'],
    ['date', '-s', '2020-01-01'],
    ['sort', '-o', 'out', 'in'],
    bash('ls > out.txt'),
    bash('cat < in'),
    bash('(ls)'),
    bash('echo $(rm -rf x)'),
    bash('echo `id`'),
    bash('echo $HOME'),
    bash('echo "$HOME"'),
    bash('ls & rm x'),
    bash('ls && rm x'),
    bash('ls *'),
    bash("echo 'unterminated"),
    ['bash', '-c', 'npm test'],
    ['python', '-c', 'print(1)'],
  ];
  it.each(safe)('treats %j as safe', (...argv) => {
    expect(isKnownSafeCommand(argv)).toBe(true);
  });
  it.each(unsafe)('treats %j as not known safe', (...argv) => {
    expect(isKnownSafeCommand(argv)).toBe(false);
  });
});
