import path from 'node:path';
import type { CommandAction } from '../../core/items.js';
import { joinShellWords, splitCommands, tokenizeShell } from './shell-words.js';

export { splitShellWords, joinShellWords } from './shell-words.js';

/** A `bash -lc "<script>"`-style invocation, taken apart. */
export interface ShellWrapper {
  shell: string;
  login: boolean;
  script: string;
}

const WRAPPER_SHELLS = new Set(['bash', 'sh', 'zsh', 'dash']);

/**
 * Recognises `[bash|sh|zsh|dash] -c|-lc <script>` (any path to the shell, for display); null for
 * anything else. Whether the shell is one to trust is the approval classifier's question
 * (`isSystemShell`).
 */
export function extractShellScript(argv: string[]): ShellWrapper | null {
  if (argv.length !== 3) return null;
  const [shell, flag, script] = argv as [string, string, string];
  if (!WRAPPER_SHELLS.has(path.basename(shell))) return null;
  if (flag !== '-c' && flag !== '-lc') return null;
  return { shell, login: flag === '-lc', script };
}

/** The command as a user would type it: the script of a shell wrapper, else the quoted argv. */
export function displayCommand(argv: string[]): string {
  return extractShellScript(argv)?.script ?? joinShellWords(argv);
}

/** Options of rg/grep/ag/head/tail/sed that take a value (so the value is not an operand). */
const VALUE_FLAGS: Record<string, Set<string>> = {
  search: new Set([
    '-e', '-f', '-g', '--glob', '-t', '--type', '-T', '--type-not', '-A', '-B', '-C', '-m', '--max-count',
    '--context', '--after-context', '--before-context', '-j', '--threads', '--include', '--exclude',
    '--exclude-dir', '-M', '--max-columns', '--regexp', '--file', '--color', '--colors', '-d', '--max-depth',
    '--sort', '--sortr', '-E', '--encoding', '--ignore-file', '-r', '--replace',
  ]),
  headTail: new Set(['-n', '-c', '--lines', '--bytes']),
  sed: new Set(['-e', '-f', '--expression', '--file']),
};

/** Operands (non-option words) after the command name, skipping option values. */
function operands(args: string[], valueFlags: Set<string>): string[] {
  const out: string[] = [];
  let endOfOptions = false;
  for (let i = 0; i < args.length; i++) {
    const a = args[i] as string;
    if (endOfOptions || !a.startsWith('-') || a === '-') {
      out.push(a);
    } else if (a === '--') {
      endOfOptions = true;
    } else if (valueFlags.has(a)) {
      i++;
    }
  }
  return out;
}

function readAction(command: string, file: string): CommandAction {
  return { type: 'read', command, name: path.basename(file), path: file };
}

/** Commands that only reformat piped input: dropped from a pipeline's actions. */
const FILTERS = new Set(['head', 'tail', 'wc', 'sort', 'uniq', 'cut', 'tr', 'nl', 'cat', 'less', 'more', 'column']);

/** Actions of one simple command; null when it is not one we understand. */
function simpleActions(words: string[], pipedFrom: boolean): CommandAction[] | null {
  const [name, ...args] = words as [string, ...string[]];
  const command = joinShellWords(words);
  if (pipedFrom && FILTERS.has(name)) return [];
  switch (name) {
    case 'cd':
    case 'true':
      return [];
    case 'cat':
    case 'nl':
    case 'less':
    case 'more': {
      const files = operands(args, new Set());
      return files.length > 0 ? files.map((f) => readAction(command, f)) : null;
    }
    case 'head':
    case 'tail': {
      const files = operands(args, VALUE_FLAGS.headTail as Set<string>);
      return files.length > 0 ? files.map((f) => readAction(command, f)) : null;
    }
    case 'sed': {
      if (!args.includes('-n')) return null;
      const ops = operands(args, VALUE_FLAGS.sed as Set<string>);
      const [script, ...files] = ops;
      if (!script || !/^\d+(,\d+)?p$/.test(script) || files.length === 0) return null;
      return files.map((f) => readAction(command, f));
    }
    case 'ls':
    case 'tree': {
      const paths = operands(args, new Set(['-I', '-L', '-P', '--ignore', '-w', '-T']));
      return [{ type: 'listFiles', command, path: paths[0] ?? null }];
    }
    case 'find': {
      const first = args[0];
      return [{ type: 'listFiles', command, path: first && !first.startsWith('-') ? first : null }];
    }
    case 'rg':
    case 'grep':
    case 'egrep':
    case 'fgrep':
    case 'ag':
    case 'ack': {
      const ops = operands(args, VALUE_FLAGS.search as Set<string>);
      if (name === 'rg' && args.includes('--files')) return [{ type: 'listFiles', command, path: ops[0] ?? null }];
      const eIndex = args.findIndex((a) => a === '-e' || a === '--regexp');
      const query = eIndex >= 0 ? args[eIndex + 1] : ops.shift();
      return [{ type: 'search', command, query: query ?? null, path: ops[0] ?? null }];
    }
    default:
      return null;
  }
}

/**
 * Describes what a command does for display (read a file, list files, search), as Codex does.
 * Anything not understood, anywhere in the command, makes the whole command one `unknown` action.
 */
export function parseCommandActions(argv: string[]): CommandAction[] {
  const full = displayCommand(argv);
  const unknown: CommandAction[] = [{ type: 'unknown', command: full }];
  const wrapper = extractShellScript(argv);
  let commands: { words: string[]; pipedFrom: boolean }[];
  if (wrapper) {
    const t = tokenizeShell(wrapper.script);
    if (!t || t.complexities.length > 0) return unknown;
    commands = splitCommands(t.tokens);
  } else {
    commands = argv.length > 0 ? [{ words: argv, pipedFrom: false }] : [];
  }
  const actions: CommandAction[] = [];
  for (const c of commands) {
    const a = simpleActions(c.words, c.pipedFrom);
    if (a === null) return unknown;
    for (const action of a) {
      if (!actions.some((x) => JSON.stringify(x) === JSON.stringify(action))) actions.push(action);
    }
  }
  return actions.length > 0 ? actions : unknown;
}

