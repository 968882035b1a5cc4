import { extractShellScript } from '../shell/command-parse.js';
import { splitCommands, tokenizeShell } from '../shell/shell-words.js';
import { isSafeFind } from './find-rules.js';
import { isParseFailure, parseOptions } from './getopt.js';
import { isSafeGit } from './git-rules.js';
import { PROGRAM_RULES } from './program-rules.js';
import { isSystemShell } from './system-shell.js';

/** Options of `isKnownSafeCommand` (tests replace how a bare shell name is resolved). */
export interface SafeCommandOptions {
  resolveShell?: (name: string) => string | null;
}

/**
 * Whether one simple command (no shell syntax) is read-only: its program is on the list and every
 * option and operand passes that program's allowlist, read the way the program reads its argv.
 * Anything unknown (program, option, abbreviation, predicate) is not safe.
 */
export function isSafeSimpleCommand(words: readonly string[]): boolean {
  const [name, ...args] = words;
  if (name === undefined) return false;
  if (name === 'git') return isSafeGit(args);
  if (name === 'find') return isSafeFind(args);
  if (!Object.prototype.hasOwnProperty.call(PROGRAM_RULES, name)) return false;
  const rule = PROGRAM_RULES[name];
  if (!rule) return false;
  if (rule.anyArgs) return true;
  const parsed = parseOptions(args, rule.options);
  if (isParseFailure(parsed)) return false;
  if (rule.maxOperands !== undefined && parsed.operands.length > rule.maxOperands) return false;
  return rule.check ? rule.check(parsed) : true;
}

/**
 * Whether a command is known to only read, so untrusted mode may run it without asking: a safe
 * simple command, or a `-c`/`-lc` script of a system shell (see `isSystemShell`) made only of safe
 * commands joined by `&&`, `||`, `;`, `|`, with no redirection, subshell, expansion, glob or
 * background job.
 */
export function isKnownSafeCommand(argv: readonly string[], opts: SafeCommandOptions = {}): boolean {
  const wrapper = extractShellScript([...argv]);
  if (wrapper) {
    if (!isSystemShell(wrapper.shell, opts.resolveShell)) return false;
    const t = tokenizeShell(wrapper.script);
    if (!t || t.complexities.length > 0) return false;
    const commands = splitCommands(t.tokens);
    return commands.length > 0 && commands.every((c) => isSafeSimpleCommand(c.words));
  }
  return isSafeSimpleCommand(argv);
}
