/**
 * Command-line option parsing the way GNU `getopt_long` reads an argv (with permutation), used to
 * decide which options a command really passes. The table is an allowlist: anything not in it
 * makes the parse fail, and a failed parse is never "known safe".
 *
 * Long options are matched by their exact name only. `getopt_long` also accepts any unambiguous
 * prefix (`--o` for `--output`), but which prefixes are unambiguous depends on every option of the
 * installed version, so an abbreviation is treated as unknown: it can only make a command ask.
 */

/** The options one program accepts (only those we consider safe). */
export interface OptionTable {
  /** Short options without an argument, e.g. `'alh'`. */
  flags?: string;
  /** Short options with a required argument (`-k2` or `-k 2`). */
  withArg?: string;
  /** Short options with an optional argument, which must be attached (`-I` or `-Iseconds`). */
  withOptionalArg?: string;
  /** Long options without an argument (`--name=value` is refused). */
  long?: readonly string[];
  /** Long options with a required argument (`--name=value` or `--name value`). */
  longWithArg?: readonly string[];
  /** Long options with an optional argument, which must be attached (`--name` or `--name=value`). */
  longWithOptionalArg?: readonly string[];
  /** `-NUM` is an option (`head -5`, `git log -3`). */
  numberOption?: boolean;
  /** `-5`, `-1.5` are operands (`seq -5 5`). */
  negativeNumberOperands?: boolean;
  /**
   * A short option taking an argument must be a word of its own (`-L 2`), never inside a cluster:
   * for programs with their own parser that keep reading a cluster after such an option.
   */
  argOptionsStandAlone?: boolean;
}

/** One option as passed: `-x` or `--name`, with its value when it has one. */
export interface ParsedOption {
  name: string;
  value?: string;
}

/** The options and operands of an argv (the program name excluded). */
export interface ParsedArgs {
  options: ParsedOption[];
  operands: string[];
}

/** Why an argv cannot be classified: an unknown option, a missing argument, … */
export interface ParseFailure {
  error: string;
}

/**
 * Parses `args` against `table`. Options may follow operands (GNU permutation); `--` ends the
 * options; a lone `-` is an operand. A separate argument that itself starts with `-` is refused,
 * so that a parser disagreeing with ours about which option takes an argument can never make us
 * read a real option as a harmless value.
 */
export function parseOptions(args: readonly string[], table: OptionTable): ParsedArgs | ParseFailure {
  const options: ParsedOption[] = [];
  const operands: string[] = [];
  const takeSeparate = (i: number, name: string): string | ParseFailure => {
    const v = args[i];
    if (v === undefined) return { error: `option ${name} needs an argument` };
    if (v.startsWith('-') && v !== '-') return { error: `argument of ${name} looks like an option: ${v}` };
    return v;
  };
  for (let i = 0; i < args.length; i++) {
    const a = args[i] as string;
    if (a === '--') {
      operands.push(...args.slice(i + 1));
      break;
    }
    if (!a.startsWith('-') || a === '-') {
      operands.push(a);
      continue;
    }
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      const name = eq < 0 ? a.slice(2) : a.slice(2, eq);
      const attached = eq < 0 ? undefined : a.slice(eq + 1);
      const opt = `--${name}`;
      if (table.long?.includes(name)) {
        if (attached !== undefined) return { error: `option ${opt} takes no argument` };
        options.push({ name: opt });
      } else if (table.longWithOptionalArg?.includes(name)) {
        options.push(attached === undefined ? { name: opt } : { name: opt, value: attached });
      } else if (table.longWithArg?.includes(name)) {
        if (attached !== undefined) {
          options.push({ name: opt, value: attached });
        } else {
          const v = takeSeparate(++i, opt);
          if (typeof v !== 'string') return v;
          options.push({ name: opt, value: v });
        }
      } else {
        return { error: `option ${opt} is not on the allowlist (abbreviations are not accepted)` };
      }
      continue;
    }
    if (table.negativeNumberOperands && /^-[\d.]/.test(a)) {
      operands.push(a);
      continue;
    }
    if (table.numberOption && /^-\d+$/.test(a)) {
      options.push({ name: '-NUM', value: a.slice(1) });
      continue;
    }
    // A cluster of short options: `-abc`, `-ofile`, `-o file`.
    for (let j = 1; j < a.length; j++) {
      const c = a[j] as string;
      const name = `-${c}`;
      const rest = a.slice(j + 1);
      if (table.flags?.includes(c)) {
        options.push({ name });
        continue;
      }
      const required = table.withArg?.includes(c) ?? false;
      const optional = table.withOptionalArg?.includes(c) ?? false;
      if (!required && !optional) return { error: `option ${name} is not on the allowlist` };
      if (table.argOptionsStandAlone && a !== name) return { error: `option ${name} must stand alone` };
      if (rest !== '') {
        options.push({ name, value: rest });
      } else if (required) {
        const v = takeSeparate(++i, name);
        if (typeof v !== 'string') return v;
        options.push({ name, value: v });
      } else {
        options.push({ name });
      }
      break;
    }
  }
  return { options, operands };
}

/** Whether `parseOptions` failed. */
export function isParseFailure(r: ParsedArgs | ParseFailure): r is ParseFailure {
  return 'error' in r;
}
