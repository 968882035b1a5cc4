/**
 * A small POSIX-shell tokenizer: enough to split a script into words and the list operators
 * `&&`, `||`, `;`, `|`, and to notice anything whose meaning depends on the shell at run time
 * (expansions, redirections, subshells, globs). It does not evaluate anything.
 */

/** A word (quotes and escapes removed) or a list/pipeline operator. */
export type ShellToken = { type: 'word'; value: string } | { type: 'op'; op: '&&' | '||' | ';' | '|' };

/** The tokens, plus why the script is more than plain words and list operators (if it is). */
export interface TokenizeResult {
  tokens: ShellToken[];
  /** Empty when the script is only plain words joined by `&&`, `||`, `;`, `|`. */
  complexities: string[];
}

const OPERATOR_CHARS = new Set(['&', '|', ';', '<', '>', '(', ')']);
const GLOB_CHARS = new Set(['*', '?', '[', ']', '{', '}']);

/** Tokenizes a script; returns null for unbalanced quotes or a trailing backslash. */
export function tokenizeShell(script: string): TokenizeResult | null {
  const tokens: ShellToken[] = [];
  const complexities: string[] = [];
  let word = '';
  let inWord = false;
  const flush = (): void => {
    if (inWord) tokens.push({ type: 'word', value: word });
    word = '';
    inWord = false;
  };
  let i = 0;
  while (i < script.length) {
    const c = script[i] as string;
    if (c === ' ' || c === '\t') {
      flush();
      i++;
    } else if (c === '\n') {
      flush();
      tokens.push({ type: 'op', op: ';' });
      i++;
    } else if (c === "'") {
      const end = script.indexOf("'", i + 1);
      if (end < 0) return null;
      word += script.slice(i + 1, end);
      inWord = true;
      i = end + 1;
    } else if (c === '"') {
      inWord = true;
      i++;
      for (;;) {
        if (i >= script.length) return null;
        const d = script[i] as string;
        if (d === '"') break;
        if (d === '\\' && i + 1 < script.length && '$`"\\\n'.includes(script[i + 1] as string)) {
          if (script[i + 1] !== '\n') word += script[i + 1];
          i += 2;
          continue;
        }
        if (d === '$' || d === '`') complexities.push(`expansion ${d} in double quotes`);
        word += d;
        i++;
      }
      i++;
    } else if (c === '\\') {
      if (i + 1 >= script.length) return null;
      if (script[i + 1] !== '\n') {
        word += script[i + 1];
        inWord = true;
      }
      i += 2;
    } else if (OPERATOR_CHARS.has(c)) {
      flush();
      const two = script.slice(i, i + 2);
      if (two === '&&' || two === '||') {
        tokens.push({ type: 'op', op: two });
        i += 2;
      } else if (c === ';' || (c === '|' && two !== '|&')) {
        if (two === ';;') complexities.push('case terminator ;;');
        tokens.push({ type: 'op', op: c });
        i++;
      } else {
        complexities.push(c === '<' || c === '>' ? 'redirection' : c === '&' ? 'background job' : c === '(' || c === ')' ? 'subshell' : `operator ${two}`);
        // Keep the operator text as a word so display and parsing still see something sensible.
        tokens.push({ type: 'word', value: c });
        i++;
      }
    } else {
      if (c === '$' || c === '`') complexities.push(`expansion ${c}`);
      else if (GLOB_CHARS.has(c)) complexities.push(`glob or brace ${c}`);
      else if (c === '#' && !inWord) complexities.push('comment');
      else if (c === '~' && !inWord) complexities.push('tilde expansion');
      word += c;
      inWord = true;
      i++;
    }
  }
  flush();
  return { tokens, complexities };
}

/** Splits a shell string into words (quotes and escapes honoured, operators kept as words). */
export function splitShellWords(script: string): string[] | null {
  const r = tokenizeShell(script);
  if (!r) return null;
  return r.tokens.map((t) => (t.type === 'word' ? t.value : t.op));
}

/** Splits tokens into simple commands at `&&`, `||`, `;`, `|`; empty commands are dropped. */
export function splitCommands(tokens: ShellToken[]): { words: string[]; pipedFrom: boolean }[] {
  const out: { words: string[]; pipedFrom: boolean }[] = [];
  let current: string[] = [];
  let piped = false;
  let nextPiped = false;
  for (const t of tokens) {
    if (t.type === 'word') {
      if (current.length === 0) piped = nextPiped;
      current.push(t.value);
      continue;
    }
    if (current.length > 0) out.push({ words: current, pipedFrom: piped });
    current = [];
    nextPiped = t.op === '|';
  }
  if (current.length > 0) out.push({ words: current, pipedFrom: piped });
  return out;
}

/** Quotes one word for a POSIX shell only when it needs it. */
export function quoteShellWord(word: string): string {
  if (word === '') return "''";
  if (/^[A-Za-z0-9_\-+=.,/:@%^]+$/.test(word)) return word;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/** Joins words into a command line a POSIX shell would split back into the same words. */
export function joinShellWords(words: string[]): string {
  return words.map(quoteShellWord).join(' ');
}
