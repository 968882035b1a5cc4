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

describe('isKnownSafeCommand reads options the way the program does', () => {
  const attacks: [string, string[]][] = [
    ['sort --compress-program runs a program', ['sort', '--compress-program=sh', 'x']],
    ['sort --compress-program with a separate value', ['sort', '--compress-program', 'sh', 'x']],
    ['an abbreviation of sort --output', ['sort', '--o=out', 'x']],
    ['an abbreviation of sort --output, value apart', ['sort', '--outp', 'out', 'x']],
    ['sort -o attached to its value', ['sort', '-oout', 'x']],
    ['sort -o at the end of a cluster', ['sort', '-ruo', 'out', 'x']],
    ['sort -o after the operands', ['sort', 'x', '-o', 'out']],
    ['sort -T writes temporary files', ['sort', '-T', '/etc', 'x']],
    ['an abbreviation of date --set', ['date', '--s=2020-01-01']],
    ['date --set', ['date', '--set', '2020-01-01']],
    ['date -s in a cluster', ['date', '-us', '2020-01-01']],
    ['date with a bare operand sets the clock', ['date', '010101012020']],
    ['hostname -F reads a name to set', ['hostname', '-F', 'file']],
    ['hostname --file', ['hostname', '--file', 'file']],
    ['hostname with an operand sets the name', ['hostname', 'evil']],
    ['hostname -b sets a default name', ['hostname', '-b']],
    ['uniq with an output operand', ['uniq', 'in', 'out']],
    ['uniq with an output operand after --', ['uniq', '--', 'in', 'out']],
    ['rg --pre=sh', ['rg', '--pre=sh', 'x']],
    ['rg -z in a cluster', ['rg', '-nz', 'x']],
    ['an abbreviation of rg --pre', ['rg', '--pr', 'sh', 'x']],
    ['rg --search-zip after the pattern', ['rg', 'x', '--search-zip']],
    ['find -fls writes a file', ['find', '.', '-fls', 'out']],
    ['find -exec hidden after a name test', ['find', '.', '-name', 'x', '-o', '-exec', 'sh', ';']],
    ['find with an unknown predicate', ['find', '.', '-frobnicate']],
    ['git log --output', ['git', 'log', '--output', '/tmp/x']],
    ['an abbreviation of git diff --output', ['git', 'diff', '--outp=/tmp/x']],
    ['git diff --ext-diff', ['git', 'diff', '--ext-diff']],
    ['git log --show-signature runs gpg', ['git', 'log', '--show-signature']],
    ['git log with a signature placeholder runs gpg', ['git', 'log', '--format=%h %G?']],
    ['git with a global option', ['git', '--git-dir=/x', 'status']],
    ['git branch creating a branch after a listing option', ['git', 'branch', '-v', 'new']],
    ['sed -i after the file', ['sed', '-n', '1p', 'x', '-i']],
    ['sed with a write command', ['sed', '-n', '1w out', 'x']],
    ['sed -e with a write command', ['sed', '-n', '-e', '1p', '-e', 'w out', 'x']],
    ['tail -f never ends', ['tail', '-f', 'x']],
    ["tail's obsolete +NUMf follows forever", ['tail', '+1f', 'x']],
    ["tail's obsolete +NUMf before --", ['tail', '+1f', '--', 'x']],
    ['file -C compiles a magic file', ['file', '-C']],
    ['tree -o writes a file', ['tree', '-o', 'out']],
    ['tree -o inside a cluster after -L', ['tree', '-Lo', '2', 'out']],
    ['printf -v', ['printf', '-v', 'x', 'y']],
    ['tree -o behind --, for a tree that does not end options there', ['tree', '--', '-o', 'out']],
    ['an option value that is an option', ['head', '-n', '--output=x']],
    ['an unknown option of cat', ['cat', '--frobnicate', 'x']],
    ['a program given by path', ['/usr/bin/ls']],
    ['a program named like a prototype key', ['constructor']],
  ];
  it.each(attacks)('refuses %s', (_what, argv) => {
    expect(isKnownSafeCommand(argv)).toBe(false);
  });

  const reads: string[][] = [
    ['sort', '-rn', '-k', '2', 'x'],
    ['sort', '-k2,2', '-t', ',', 'x', '--reverse'],
    ['sort', '--check=quiet', 'x'],
    ['date', '+%Y-%m-%d'],
    ['date', '-u', '--iso-8601=seconds'],
    ['date', '-Iseconds'],
    ['date', '-d', 'yesterday', '+%s'],
    ['hostname'],
    ['hostname', '-f'],
    ['uniq', '-c', 'x'],
    ['head', '-5', 'x'],
    ['head', '-n5', 'x'],
    ['head', '--lines=5', 'x'],
    ['tail', '-n', '+3', 'x'],
    ['ls', '-la', '--color=never', 'src'],
    ['ls', 'src', '-l'],
    ['grep', '-rn', '--include=*.ts', 'foo', 'src'],
    ['grep', '-A3', '-e', 'x', 'f'],
    ['rg', '-n', '-g', '*.ts', 'foo', 'src'],
    ['rg', '--files', '--hidden'],
    ['find', '.', '-type', 'f', '-name', '*.ts', '-not', '-path', './node_modules/*'],
    ['find', '-L', 'src', '(', '-name', 'a', '-o', '-name', 'b', ')', '-print'],
    ['find', '.', '-newermt', '2020-01-01'],
    ['git', 'log', '--oneline', '-n', '5'],
    ['git', 'log', '--format=%H %s', '--since=1 week ago'],
    ['git', 'diff', '--stat', 'HEAD~1', '--', 'src'],
    ['git', 'branch', '--list', 'feat*'],
    ['git', 'status', '-sb'],
    ['git', 'rev-parse', '--show-toplevel'],
    ['git', 'ls-files', '-z'],
    ['sed', '-n', '1,$p', 'x'],
    ['sed', '-n', '-e', '3p', 'x'],
    ['seq', '-5', '5'],
    ['seq', '-w', '1', '10'],
    ['cut', '-d:', '-f1', '/etc/passwd'],
    ['tr', '-d', 'x'],
    ['du', '-sh', '.'],
    ['df', '--output=source,pcent', '.'],
    ['stat', '-c', '%s', 'x'],
    ['file', '-b', '--mime-type', 'x'],
    ['echo', '-n', 'anything', '--at-all'],
    ['expr', '1', '+', '2'],
    ['printf', '%s\n', 'x'],
    ['tree', '-L', '2', '-a'],
    ['cat', '--', '-o'],
    ['uname', '-srm'],
    ['id', '-un'],
  ];
  it.each(reads)('accepts %j', (...argv) => {
    expect(isKnownSafeCommand(argv)).toBe(true);
  });
});

describe('isKnownSafeCommand only reads scripts of a system shell', () => {
  const onPath = (name: string): string | null => `/usr/bin/${name}`;
  it.each([['/bin/bash'], ['/usr/bin/bash'], ['/bin/sh'], ['/usr/bin/dash'], ['/usr/bin/zsh']])(
    'accepts a script of %s',
    (shell) => {
      expect(isKnownSafeCommand([shell, '-lc', 'ls'], { resolveShell: onPath })).toBe(true);
    },
  );
  it.each([['/work/project/bash'], ['./bash'], ['bin/sh'], ['/tmp/bash'], ['/usr/local/bin/bash'], ['/bin/../tmp/bash']])(
    'refuses a script of %s',
    (shell) => {
      expect(isKnownSafeCommand([shell, '-lc', 'ls'], { resolveShell: onPath })).toBe(false);
    },
  );
  it('accepts a bare bash only when the PATH resolves it to a system shell', () => {
    expect(isKnownSafeCommand(['bash', '-lc', 'ls'], { resolveShell: onPath })).toBe(true);
    expect(isKnownSafeCommand(['bash', '-lc', 'ls'], { resolveShell: () => '/work/project/node_modules/.bin/bash' })).toBe(false);
    expect(isKnownSafeCommand(['bash', '-lc', 'ls'], { resolveShell: () => null })).toBe(false);
  });
});
