import { extractShellScript } from '../shell/command-parse.js';
import { splitCommands, tokenizeShell } from '../shell/shell-words.js';

/**
 * Commands that only read, whatever their (non-option) arguments. Options that write or run other
 * programs are refused per command below.
 */
const ALWAYS_SAFE = new Set([
  'cat', 'cd', 'echo', 'false', 'true', 'head', 'tail', 'ls', 'nl', 'pwd', 'wc', 'which', 'whoami',
  'uname', 'id', 'basename', 'dirname', 'realpath', 'readlink', 'stat', 'file', 'tr', 'cut', 'rev',
  'seq', 'expr', 'du', 'df', 'printf', 'grep', 'egrep', 'fgrep',
]);

const RG_UNSAFE = ['--pre', '--pre-glob', '--hostname-bin', '-z', '--search-zip'];
const FIND_UNSAFE = new Set(['-exec', '-execdir', '-ok', '-okdir', '-delete', '-fls', '-fprint', '-fprint0', '-fprintf']);
const GIT_READ_SUBCOMMANDS = new Set(['status', 'log', 'diff', 'show', 'branch', 'ls-files', 'rev-parse']);
/** `git branch` options that only list (anything else creates, deletes, renames or configures). */
const GIT_BRANCH_LIST_FLAGS = new Set([
  '-a', '--all', '-r', '--remotes', '-l', '--list', '-v', '-vv', '--verbose', '--show-current',
  '--no-color', '--color', '--merged', '--no-merged', '--contains', '--no-contains', '--sort',
]);

function hasOption(args: string[], names: string[]): boolean {
  return args.some((a) => names.some((n) => a === n || a.startsWith(`${n}=`)));
}

function isSafeGit(args: string[]): boolean {
  const [sub, ...rest] = args;
  // Global options (`-c core.pager=…`, `--exec-path`, `-C dir`) could run or redirect anything.
  if (sub === undefined || !GIT_READ_SUBCOMMANDS.has(sub)) return false;
  // `--output` writes a file; `--ext-diff`/`--textconv` run configured programs.
  if (hasOption(rest, ['--output', '-o', '--ext-diff', '--textconv', '--exec'])) return false;
  if (sub === 'branch') {
    const listing = rest.includes('--list') || rest.includes('-l');
    return rest.every((a) => (a.startsWith('-') ? GIT_BRANCH_LIST_FLAGS.has(a.split('=')[0] as string) : listing));
  }
  return true;
}

function isSafeSed(args: string[]): boolean {
  // Only `sed -n <N>p` / `sed -n <N>,<M>p` followed by files: prints lines, cannot write.
  if (args[0] !== '-n' || args[1] === undefined) return false;
  if (!/^\d+(,\d+)?p$/.test(args[1])) return false;
  return args.slice(2).every((a) => !a.startsWith('-'));
}

/** Whether one simple command (no shell syntax) is read-only. */
export function isSafeSimpleCommand(words: string[]): boolean {
  const [name, ...args] = words;
  if (name === undefined) return false;
  if (ALWAYS_SAFE.has(name)) return true;
  switch (name) {
    case 'rg':
      return !hasOption(args, RG_UNSAFE) && !args.some((a) => /^-[A-Za-z]*z/.test(a) && !a.startsWith('--'));
    case 'find':
      return !args.some((a) => FIND_UNSAFE.has(a));
    case 'sed':
      return isSafeSed(args);
    case 'git':
      return isSafeGit(args);
    case 'date':
      // `date -s`/`--set` changes the clock.
      return !args.some((a) => a.startsWith('--set') || /^-[A-Za-z]*s/.test(a));
    case 'sort':
      return !hasOption(args, ['-o', '--output']) && !args.some((a) => /^-[A-Za-z]*o/.test(a));
    case 'uniq':
      // A second operand is an output file.
      return args.filter((a) => !a.startsWith('-')).length <= 1;
    case 'tree':
      return !hasOption(args, ['-o']);
    case 'hostname':
      return args.every((a) => a.startsWith('-') && a !== '-F' && a !== '--file');
    default:
      return false;
  }
}

/**
 * Whether a command is known to only read, so untrusted mode may run it without asking: a safe
 * simple command, or a `bash -lc`/`sh -c` script made only of safe commands joined by `&&`, `||`,
 * `;`, `|`, with no redirection, subshell, expansion, glob or background job.
 */
export function isKnownSafeCommand(argv: string[]): boolean {
  if (isSafeSimpleCommand(argv)) return true;
  const wrapper = extractShellScript(argv);
  if (!wrapper) return false;
  const t = tokenizeShell(wrapper.script);
  if (!t || t.complexities.length > 0) return false;
  const commands = splitCommands(t.tokens);
  return commands.length > 0 && commands.every((c) => isSafeSimpleCommand(c.words));
}
