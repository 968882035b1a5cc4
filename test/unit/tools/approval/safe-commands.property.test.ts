import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isKnownSafeCommand, isSafeSimpleCommand } from '../../../../src/tools/approval/safe-commands.js';
import { SYSTEM_SHELLS } from '../../../../src/tools/approval/system-shell.js';
import { joinShellWords } from '../../../../src/tools/shell/shell-words.js';

/** A dangerous option: its long name, its short letter, and whether it takes an argument. */
interface Danger {
  long?: string;
  short?: string;
  takesArg: boolean;
}

/** A read-only base command, where options may be inserted, and some flags it accepts. */
interface Target {
  /** Words before the options (program, git subcommand). */
  head: string[];
  /** Operands of the base command. */
  operands: string[];
  /** Short flags without argument the program accepts (to build clusters). */
  flags: string;
  dangers: Danger[];
  /** Other options whose full name is a prefix of a dangerous one (`--text` is not `--textconv`). */
  exactNames?: string[];
}

const TARGETS: Target[] = [
  {
    head: ['sort'],
    operands: ['in.txt'],
    flags: 'rnu',
    dangers: [
      { long: 'output', short: 'o', takesArg: true },
      { long: 'compress-program', takesArg: true },
      { long: 'temporary-directory', short: 'T', takesArg: true },
      { long: 'random-source', takesArg: true },
      { long: 'files0-from', takesArg: true },
    ],
  },
  { head: ['date'], operands: ['+%s'], flags: 'uR', dangers: [{ long: 'set', short: 's', takesArg: true }] },
  {
    head: ['hostname'],
    operands: [],
    flags: 'fs',
    dangers: [
      { long: 'file', short: 'F', takesArg: true },
      { long: 'boot', short: 'b', takesArg: false },
    ],
  },
  ...['log', 'diff', 'show'].map((sub) => ({
    head: ['git', sub],
    operands: ['HEAD'],
    flags: 'pw',
    exactNames: ['text'],
    dangers: [
      { long: 'output', takesArg: true },
      { long: 'ext-diff', takesArg: false },
      { long: 'textconv', takesArg: false },
      { long: 'show-signature', takesArg: false },
    ],
  })),
  {
    head: ['rg'],
    operands: ['foo', 'src'],
    flags: 'niw',
    dangers: [
      { long: 'pre', takesArg: true },
      { long: 'pre-glob', takesArg: true },
      { long: 'search-zip', short: 'z', takesArg: false },
      { long: 'hostname-bin', takesArg: true },
    ],
  },
  { head: ['tail'], operands: ['log.txt'], flags: 'qv', dangers: [{ long: 'follow', short: 'f', takesArg: false }] },
  { head: ['uniq'], operands: ['in.txt'], flags: 'cu', dangers: [] },
];

/** Every way getopt_long (or git/clap) would read `d` with value `v`: words to insert. */
function spellings(d: Danger, v: string, t: Target): string[][] {
  const { flags } = t;
  const out: string[][] = [];
  if (d.long) {
    for (let n = 1; n <= d.long.length; n++) {
      const prefix = d.long.slice(0, n);
      if (prefix !== d.long && t.exactNames?.includes(prefix)) continue;
      const name = `--${prefix}`;
      if (d.takesArg) out.push([`${name}=${v}`], [name, v]);
      else out.push([name]);
    }
  }
  if (d.short) {
    const s = d.short;
    if (d.takesArg) out.push([`-${s}${v}`], [`-${s}`, v], [`-${flags}${s}`, v], [`-${flags}${s}${v}`]);
    else out.push([`-${s}`], [`-${flags}${s}`], [`-${s}${flags}`]);
  }
  return out;
}

const value = fc.constantFrom('sh', '/tmp/out', 'x', '2020-01-01', 'evil.sh');

describe('classifier properties', () => {
  it('never calls safe a command passing a dangerous option, in any spelling and at any position', () => {
    const cases = TARGETS.flatMap((t) => t.dangers.map((d) => ({ t, d })));
    fc.assert(
      fc.property(fc.constantFrom(...cases), value, fc.nat(), fc.nat(), ({ t, d }, v, pick, at) => {
        const all = spellings(d, v, t);
        const words = all[pick % all.length] as string[];
        const rest = [...t.operands];
        const pos = at % (rest.length + 1);
        const argv = [...t.head, ...rest.slice(0, pos), ...words, ...rest.slice(pos)];
        expect(isSafeSimpleCommand(argv)).toBe(false);
      }),
      { numRuns: 2000 },
    );
  });

  it('checks every spelling of every dangerous option exhaustively', () => {
    for (const t of TARGETS) {
      for (const d of t.dangers) {
        for (const words of spellings(d, 'sh', t)) {
          for (let pos = 0; pos <= t.operands.length; pos++) {
            const argv = [...t.head, ...t.operands.slice(0, pos), ...words, ...t.operands.slice(pos)];
            expect(isSafeSimpleCommand(argv), JSON.stringify(argv)).toBe(false);
          }
        }
      }
    }
  });

  it('never calls safe a find expression holding a predicate that runs, deletes or writes', () => {
    const bad = fc.constantFrom(
      ['-exec', 'sh', '-c', 'x', ';'], ['-execdir', 'rm', '{}', '+'], ['-ok', 'rm', ';'], ['-okdir', 'x', ';'],
      ['-delete'], ['-fprint', 'out'], ['-fprint0', 'out'], ['-fprintf', 'out', '%p'], ['-fls', 'out'],
    );
    const good = fc.constantFrom(['-name', '*.ts'], ['-type', 'f'], ['-o'], ['!'], ['-print'], ['-maxdepth', '2']);
    fc.assert(
      fc.property(fc.array(good, { maxLength: 4 }), bad, fc.array(good, { maxLength: 4 }), (before, b, after) => {
        expect(isSafeSimpleCommand(['find', '.', ...before.flat(), ...b, ...after.flat()])).toBe(false);
      }),
    );
  });

  const SAFE_BASES: string[][] = [
    ['ls', '-la', 'src'], ['cat', 'x'], ['sort', '-rn', 'x'], ['date', '+%s'], ['hostname', '-f'], ['git', 'log', '-p'],
    ['git', 'status'], ['rg', '-n', 'foo'], ['head', '-n', '3', 'x'], ['uniq', '-c', 'x'], ['wc', '-l', 'x'],
    ['find', '.', '-name', 'x'], ['grep', '-rn', 'x', '.'], ['sed', '-n', '2p', 'x'], ['tree', '-L', '2'],
  ];
  const unknownOption = fc
    .stringMatching(/^[a-z][a-z-]{0,10}$/)
    .map((s) => `--zz-${s}`);

  it('never makes a command safer by adding an unknown option', () => {
    fc.assert(
      fc.property(fc.constantFrom(...SAFE_BASES), unknownOption, fc.nat(), (base, opt, at) => {
        expect(isSafeSimpleCommand(base)).toBe(true);
        const pos = 1 + (at % base.length);
        expect(isSafeSimpleCommand([...base.slice(0, pos), opt, ...base.slice(pos)])).toBe(false);
      }),
    );
  });

  const simple = fc.constantFrom(
    ...SAFE_BASES,
    ['rm', '-rf', 'x'], ['sort', '-o', 'out', 'x'], ['date', '--s=2020-01-01'], ['hostname', 'evil'], ['npm', 'test'],
    ['rg', '--pre', 'sh', 'x'], ['git', 'push'],
  );
  const op = fc.constantFrom('&&', '||', ';', '|');

  it('calls a script safe exactly when every command in it is safe', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(simple, op), { minLength: 1, maxLength: 5 }), (parts) => {
        const script = parts.map(([words, o], i) => joinShellWords(words) + (i < parts.length - 1 ? ` ${o} ` : '')).join('');
        const expected = parts.every(([words]) => isSafeSimpleCommand(words));
        expect(isKnownSafeCommand(['/bin/bash', '-lc', script])).toBe(expected);
      }),
    );
  });

  it('never calls safe a script run by a shell outside the fixed set of system shells', () => {
    const segment = fc.stringMatching(/^[a-zA-Z0-9._-]{1,8}$/);
    const shellPath = fc
      .tuple(fc.constantFrom('', '/', './', '../', '/work/project/', '/tmp/', '/usr/local/bin/', '/bin/../tmp/'), fc.array(segment, { maxLength: 3 }), fc.constantFrom('bash', 'sh', 'dash', 'zsh'))
      .map(([root, dirs, name]) => root + [...dirs, name].join('/'))
      .filter((p) => !SYSTEM_SHELLS.has(p) && p.includes('/'));
    fc.assert(
      fc.property(shellPath, fc.constantFrom('-c', '-lc'), fc.constantFrom(...SAFE_BASES), (shell, flag, words) => {
        expect(isKnownSafeCommand([shell, flag, joinShellWords(words)], { resolveShell: () => '/usr/bin/bash' })).toBe(false);
      }),
    );
  });

  it('never calls safe a bare shell name that the PATH resolves outside the system shells', () => {
    const elsewhere = fc.stringMatching(/^\/[a-z]{1,6}(\/[a-z]{1,6}){0,2}\/(bash|sh|zsh|dash)$/).filter((p) => !SYSTEM_SHELLS.has(p));
    fc.assert(
      fc.property(fc.constantFrom('bash', 'sh', 'dash', 'zsh'), elsewhere, (name, resolved) => {
        expect(isKnownSafeCommand([name, '-lc', 'ls'], { resolveShell: () => resolved })).toBe(false);
      }),
    );
  });
});
