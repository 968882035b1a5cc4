import { extractShellScript } from '../shell/command-parse.js';
import { splitCommands, tokenizeShell } from '../shell/shell-words.js';
import { isSafeSimpleCommand } from './safe-commands.js';
import { isSystemShell } from './system-shell.js';

/** Where the user's prefix rules are kept (implemented over `$AGENTD_HOME/rules/default.rules`). */
export interface PrefixRuleStore {
  /** Adds one allow rule durably (atomic write); throws when it cannot be written. */
  append(prefix: readonly string[]): void;
}

/** Options of `PrefixRules` (tests replace how a bare shell name is resolved). */
export interface PrefixRulesOptions {
  store?: PrefixRuleStore | null;
  resolveShell?: (name: string) => string | null;
}

/**
 * The simple commands a command runs, as argv words: the command itself, or each command of a
 * system shell's `-c`/`-lc` script that is only plain words joined by `&&`, `||`, `;`, `|`. Null
 * when the script has anything else (redirection, subshell, expansion, glob, background job,
 * function definition) or the shell is not a system shell: such a command is never matched by a
 * rule, because what it runs cannot be read off its words.
 */
export function simpleCommands(argv: readonly string[], resolveShell?: (name: string) => string | null): string[][] | null {
  if (argv.length === 0) return null;
  const wrapper = extractShellScript([...argv]);
  if (!wrapper) return [[...argv]];
  if (!isSystemShell(wrapper.shell, resolveShell)) return null;
  const t = tokenizeShell(wrapper.script);
  if (!t || t.complexities.length > 0) return null;
  const commands = splitCommands(t.tokens).map((c) => c.words);
  return commands.length > 0 ? commands : null;
}

function startsWith(words: readonly string[], prefix: readonly string[]): boolean {
  return prefix.length > 0 && prefix.length <= words.length && prefix.every((w, i) => words[i] === w);
}

/** Whether `prefix` can be stored as a rule: at least one word, each a string without NUL. */
export function isValidPrefix(prefix: unknown): prefix is string[] {
  return Array.isArray(prefix) && prefix.length > 0 && prefix.every((w) => typeof w === 'string' && !w.includes('\0'));
}

/**
 * The user's command prefix rules (Codex's `prefix_rule(pattern=[…], decision="allow")`): a
 * command whose every simple command either starts with a rule's words or is known to be
 * read-only, with at least one rule match, runs without a question. A rule removes only the
 * question: the command still runs in the thread's sandbox. Matching is on parsed argv words only:
 * a rule for `git status` never approves `git status; rm -rf ~`, `git status && curl …`, or
 * `git status > f`. The rules are the user's policy, shared by every thread and kept across
 * restarts; they are added only from the user's answers, never from anything the model chose.
 */
export class PrefixRules {
  private readonly rules: string[][] = [];
  private readonly store: PrefixRuleStore | null;
  private readonly resolveShell: ((name: string) => string | null) | undefined;

  constructor(initial: readonly (readonly string[])[] = [], opts: PrefixRulesOptions = {}) {
    this.store = opts.store ?? null;
    this.resolveShell = opts.resolveShell;
    for (const r of initial) if (isValidPrefix(r)) this.addInMemory(r);
  }

  /** The rules, oldest first (copies). */
  list(): string[][] {
    return this.rules.map((r) => r.slice());
  }

  /** Whether the rules approve `argv` (see the class comment). */
  allows(argv: readonly string[]): boolean {
    return this.allowsWith(argv, this.rules);
  }

  /**
   * The rule to offer the user for a command that needs a question (like Codex, the argv of its
   * first simple command that is not known to be read-only), or null when there is none, or when
   * even with it the command would still need asking (another command in the script).
   */
  proposeFor(argv: readonly string[]): string[] | null {
    const commands = simpleCommands(argv, this.resolveShell);
    if (!commands) return null;
    const candidate = commands.find((c) => !isSafeSimpleCommand(c));
    if (!candidate) return null;
    return this.allowsWith(argv, [...this.rules, candidate]) ? candidate.slice() : null;
  }

  /** Whether `prefix` is a rule the user may store for `argv`: a prefix of one of its simple commands. */
  fitsCommand(argv: readonly string[], prefix: readonly string[]): boolean {
    if (!isValidPrefix(prefix)) return false;
    const commands = simpleCommands(argv, this.resolveShell);
    return commands !== null && commands.some((c) => startsWith(c, prefix));
  }

  /**
   * Stores `prefix` (exactly as given) durably, then uses it. Throws when it cannot be written;
   * then it is not used either, so what this process honours is what a restart would.
   */
  add(prefix: readonly string[]): void {
    if (!isValidPrefix(prefix)) throw new Error('a prefix rule needs at least one word');
    if (this.rules.some((r) => r.length === prefix.length && r.every((w, i) => w === prefix[i]))) return;
    this.store?.append(prefix);
    this.addInMemory(prefix);
  }

  private addInMemory(prefix: readonly string[]): void {
    if (this.rules.some((r) => r.length === prefix.length && r.every((w, i) => w === prefix[i]))) return;
    this.rules.push([...prefix]);
  }

  private allowsWith(argv: readonly string[], rules: readonly (readonly string[])[]): boolean {
    if (rules.length === 0) return false;
    const commands = simpleCommands(argv, this.resolveShell);
    if (!commands) return false;
    let matched = false;
    for (const c of commands) {
      if (rules.some((r) => startsWith(c, r))) matched = true;
      else if (!isSafeSimpleCommand(c)) return false;
    }
    return matched;
  }
}
