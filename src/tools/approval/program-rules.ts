import type { OptionTable, ParsedArgs } from './getopt.js';

/**
 * What makes one program read-only: the options it may pass (everything else is refused) and a
 * check of option values and operands. Each table was written against the program's `--help`
 * (GNU coreutils 9, grep 3, sed 4, findutils 4, ripgrep 14, net-tools hostname) and keeps only
 * options that neither write, nor run another program, nor change the system.
 */
export interface ProgramRule {
  options: OptionTable;
  /** At most this many operands (e.g. `hostname NAME` sets the hostname). */
  maxOperands?: number;
  /** Every argument is accepted unparsed (`echo`, `true`, `expr`). */
  anyArgs?: boolean;
  /** Checks values and operands after a successful parse; true when still read-only. */
  check?: (parsed: ParsedArgs) => boolean;
}

/** Programs that read no option worth refusing: their arguments are only printed or evaluated. */
const anything: ProgramRule = { options: {}, anyArgs: true };

const has = (p: ParsedArgs, ...names: string[]): boolean => p.options.some((o) => names.includes(o.name));

/** GNU grep (also egrep/fgrep). Every grep option only reads. */
const grep: ProgramRule = {
  options: {
    flags: 'EFGPiywxzsvVbnHhoqaIrRLlcTZU',
    withArg: 'efmdDABC',
    numberOption: true,
    long: [
      'extended-regexp', 'fixed-strings', 'basic-regexp', 'perl-regexp', 'ignore-case', 'no-ignore-case',
      'word-regexp', 'line-regexp', 'null-data', 'no-messages', 'invert-match', 'byte-offset', 'line-number',
      'line-buffered', 'with-filename', 'no-filename', 'only-matching', 'quiet', 'silent', 'text', 'recursive',
      'dereference-recursive', 'files-without-match', 'files-with-matches', 'count', 'initial-tab', 'null',
      'no-group-separator', 'binary',
    ],
    longWithArg: [
      'regexp', 'file', 'max-count', 'label', 'binary-files', 'directories', 'devices', 'include', 'exclude',
      'exclude-from', 'exclude-dir', 'before-context', 'after-context', 'context', 'group-separator',
    ],
    longWithOptionalArg: ['color', 'colour'],
  },
  // `-d recurse` and `-D read` only read; `-D` on a FIFO could block, which the timeout handles.
};

/** ripgrep: without `--pre`/`--pre-glob` (run a program per file), `-z`/`--search-zip` (run decompressors), `--hostname-bin`. */
const rg: ProgramRule = {
  options: {
    flags: 'nNiISsFwxvlcoqLHuU0pbPa.',
    withArg: 'egtTABCmjMdEfr',
    long: [
      'line-number', 'no-line-number', 'ignore-case', 'smart-case', 'case-sensitive', 'fixed-strings', 'word-regexp',
      'line-regexp', 'invert-match', 'files-with-matches', 'files-without-match', 'count', 'count-matches',
      'only-matching', 'quiet', 'follow', 'with-filename', 'no-filename', 'hidden', 'no-ignore', 'no-ignore-vcs',
      'no-ignore-dot', 'no-ignore-parent', 'no-ignore-global', 'no-ignore-exclude', 'no-ignore-files', 'files',
      'type-list', 'no-heading', 'heading', 'json', 'vimgrep', 'column', 'no-column', 'byte-offset', 'trim',
      'stats', 'multiline', 'multiline-dotall', 'pcre2', 'no-pcre2', 'null', 'null-data', 'no-messages',
      'glob-case-insensitive', 'crlf', 'binary', 'text', 'one-file-system', 'passthru', 'pretty', 'debug',
      'no-config', 'unrestricted', 'no-unicode', 'sort-files', 'line-buffered', 'block-buffered',
      'include-zero', 'max-columns-preview', 'no-require-git',
    ],
    longWithArg: [
      'regexp', 'glob', 'iglob', 'type', 'type-not', 'after-context', 'before-context', 'context', 'max-count',
      'threads', 'max-columns', 'max-depth', 'maxdepth', 'max-filesize', 'encoding', 'file', 'replace',
      'sort', 'sortr', 'color', 'colors', 'context-separator', 'field-match-separator', 'field-context-separator',
      'path-separator', 'engine', 'regex-size-limit', 'dfa-size-limit', 'ignore-file', 'type-add', 'type-clear',
    ],
  },
};

/** GNU sed: only printing a line or a range (`sed -n 5p`, `sed -n 1,20p`). */
const sed: ProgramRule = {
  options: {
    flags: 'nErsuz',
    withArg: 'e',
    long: ['quiet', 'silent', 'regexp-extended', 'separate', 'unbuffered', 'null-data', 'posix', 'sandbox'],
    longWithArg: ['expression'],
  },
  check(p) {
    if (!has(p, '-n', '--quiet', '--silent')) return false;
    const scripts = p.options.filter((o) => o.name === '-e' || o.name === '--expression').map((o) => o.value ?? '');
    const all = scripts.length > 0 ? scripts : p.operands.slice(0, 1);
    return all.length > 0 && all.every((s) => /^(\d+|\$)(,(\d+|\$))?p$/.test(s));
  },
};

/** GNU sort: without `-o`/`--output`, `--compress-program`, `-T` (temporary files), `--random-source`, `--files0-from`. */
const sort: ProgramRule = {
  options: {
    flags: 'bdfgiMhnRrVcCmsuz',
    withArg: 'kSt',
    long: [
      'ignore-leading-blanks', 'dictionary-order', 'ignore-case', 'general-numeric-sort', 'ignore-nonprinting',
      'month-sort', 'human-numeric-sort', 'numeric-sort', 'random-sort', 'reverse', 'version-sort', 'merge',
      'stable', 'unique', 'zero-terminated', 'debug',
    ],
    longWithArg: ['sort', 'batch-size', 'key', 'buffer-size', 'field-separator', 'parallel'],
    longWithOptionalArg: ['check'],
  },
};

/** GNU uniq: a second operand is an output file. */
const uniq: ProgramRule = {
  options: {
    flags: 'cdDiuz',
    withArg: 'fsw',
    long: ['count', 'repeated', 'ignore-case', 'unique', 'zero-terminated'],
    longWithArg: ['skip-fields', 'skip-chars', 'check-chars'],
    longWithOptionalArg: ['all-repeated', 'group'],
  },
  maxOperands: 1,
};

/** GNU date: without `-s`/`--set`; the only operand allowed is a `+FORMAT` (a bare one sets the clock). */
const date: ProgramRule = {
  options: {
    flags: 'Ru',
    withArg: 'dfr',
    withOptionalArg: 'I',
    long: ['debug', 'resolution', 'rfc-email', 'utc', 'universal'],
    longWithArg: ['date', 'file', 'reference', 'rfc-3339'],
    longWithOptionalArg: ['iso-8601'],
  },
  maxOperands: 1,
  check: (p) => p.operands.every((o) => o.startsWith('+')),
};

/** net-tools hostname: no operand (it sets the name), no `-F`/`--file`, no `-b`/`--boot`. */
const hostname: ProgramRule = {
  options: {
    flags: 'aAdfiIsy',
    long: ['alias', 'all-fqdns', 'domain', 'fqdn', 'long', 'ip-address', 'all-ip-addresses', 'short', 'yp', 'nis'],
  },
  maxOperands: 0,
};

const head: ProgramRule = {
  options: {
    flags: 'qvz',
    withArg: 'cn',
    numberOption: true,
    long: ['quiet', 'silent', 'verbose', 'zero-terminated'],
    longWithArg: ['bytes', 'lines'],
  },
};

/**
 * GNU tail: without `-f`/`-F`/`--follow` (never ends), `--pid`, `--retry`, `-s`. GNU tail also
 * reads a first argument `+NUM[bcl][f]` as an option of the obsolete syntax (`tail +1f FILE`
 * follows), so no operand may start with `+`.
 */
const tail: ProgramRule = { ...head, check: (p) => p.operands.every((o) => !o.startsWith('+')) };

const cat: ProgramRule = {
  options: {
    flags: 'AbeEnstTuv',
    long: ['show-all', 'number-nonblank', 'show-ends', 'number', 'squeeze-blank', 'show-tabs', 'show-nonprinting'],
  },
};

/** GNU wc: without `--files0-from`. */
const wc: ProgramRule = {
  options: { flags: 'cmlLw', long: ['bytes', 'chars', 'lines', 'max-line-length', 'words'] },
};

/** GNU ls: every listed option only reads. */
const ls: ProgramRule = {
  options: {
    flags: 'aAbBcCdDfFgGhHikLlmnNopqQrRsStuUvxXZ1',
    withArg: 'ITw',
    long: [
      'all', 'almost-all', 'author', 'escape', 'ignore-backups', 'directory', 'dired', 'file-type', 'full-time',
      'group-directories-first', 'no-group', 'human-readable', 'si', 'dereference-command-line',
      'dereference-command-line-symlink-to-dir', 'inode', 'kibibytes', 'dereference', 'numeric-uid-gid', 'literal',
      'hide-control-chars', 'show-control-chars', 'quote-name', 'reverse', 'recursive', 'size', 'context', 'zero',
    ],
    longWithArg: [
      'block-size', 'format', 'hide', 'indicator-style', 'ignore', 'quoting-style', 'sort', 'time', 'time-style',
      'tabsize', 'width',
    ],
    longWithOptionalArg: ['color', 'classify', 'hyperlink'],
  },
};

const nl: ProgramRule = {
  options: {
    flags: 'p',
    withArg: 'bdfhilnsvw',
    long: ['no-renumber'],
    longWithArg: [
      'body-numbering', 'section-delimiter', 'footer-numbering', 'header-numbering', 'line-increment',
      'join-blank-lines', 'number-format', 'number-separator', 'starting-line-number', 'number-width',
    ],
  },
};

const cut: ProgramRule = {
  options: {
    flags: 'nsz',
    withArg: 'bcdf',
    long: ['complement', 'only-delimited', 'zero-terminated'],
    longWithArg: ['bytes', 'characters', 'delimiter', 'fields', 'output-delimiter'],
  },
};

/** GNU tr reads standard input only; its operands are character sets. */
const tr: ProgramRule = {
  options: { flags: 'cCdst', long: ['complement', 'delete', 'squeeze-repeats', 'truncate-set1'] },
  maxOperands: 2,
};

/** GNU seq: negative numbers are operands, as seq itself reads them. */
const seq: ProgramRule = {
  options: {
    flags: 'w',
    withArg: 'fs',
    negativeNumberOperands: true,
    long: ['equal-width'],
    longWithArg: ['format', 'separator'],
  },
  maxOperands: 3,
};

/** GNU du: without `--files0-from`, `-X`/`--exclude-from`. */
const du: ProgramRule = {
  options: {
    flags: 'abchklmsxLPHDS0',
    withArg: 'dBt',
    long: [
      'all', 'apparent-size', 'bytes', 'total', 'dereference-args', 'human-readable', 'inodes', 'dereference',
      'count-links', 'no-dereference', 'null', 'separate-dirs', 'si', 'summarize', 'one-file-system',
    ],
    longWithArg: ['max-depth', 'block-size', 'threshold', 'exclude', 'time-style'],
    longWithOptionalArg: ['time'],
  },
};

/** GNU df: `--output` selects columns (it writes no file); without `--sync`. */
const df: ProgramRule = {
  options: {
    flags: 'ahHiklPT',
    withArg: 'Btx',
    long: ['all', 'human-readable', 'si', 'inodes', 'local', 'no-sync', 'portability', 'print-type', 'total'],
    longWithArg: ['block-size', 'type', 'exclude-type'],
    longWithOptionalArg: ['output'],
  },
};

const stat: ProgramRule = {
  options: {
    flags: 'Lft',
    withArg: 'c',
    long: ['dereference', 'file-system', 'terse'],
    longWithArg: ['format', 'printf', 'cached'],
  },
};

/** file(1): without `-C` (compiles magic files), `-z`/`-Z` (decompressors), `-m`, `-f`. */
const file: ProgramRule = {
  options: {
    flags: 'bhiklLNrs0E',
    withArg: 'eFP',
    long: [
      'brief', 'mime', 'mime-type', 'mime-encoding', 'apple', 'extension', 'keep-going', 'dereference',
      'no-dereference', 'no-pad', 'print0', 'raw', 'special-files',
    ],
    longWithArg: ['exclude', 'exclude-quiet', 'separator', 'parameter'],
  },
};

const basename: ProgramRule = {
  options: { flags: 'az', withArg: 's', long: ['multiple', 'zero'], longWithArg: ['suffix'] },
};
const dirname: ProgramRule = { options: { flags: 'z', long: ['zero'] } };
const realpath: ProgramRule = {
  options: {
    flags: 'emLPqsz',
    long: [
      'canonicalize-existing', 'canonicalize-missing', 'logical', 'physical', 'quiet', 'strip', 'no-symlinks', 'zero',
    ],
    longWithArg: ['relative-to', 'relative-base'],
  },
};
const readlink: ProgramRule = {
  options: {
    flags: 'femnqsvz',
    long: [
      'canonicalize', 'canonicalize-existing', 'canonicalize-missing', 'no-newline', 'quiet', 'silent', 'verbose',
      'zero',
    ],
  },
};
const uname: ProgramRule = {
  options: {
    flags: 'asnrvmpio',
    long: [
      'all', 'kernel-name', 'nodename', 'kernel-release', 'kernel-version', 'machine', 'processor',
      'hardware-platform', 'operating-system',
    ],
  },
  maxOperands: 0,
};
const id: ProgramRule = {
  options: { flags: 'aZgGnruz', long: ['context', 'group', 'groups', 'name', 'real', 'user', 'zero'] },
};
const none: ProgramRule = { options: {}, maxOperands: 0 };

/** tree: its own parser keeps reading a cluster after `-L`, so those stand alone. Without `-o` (output file), `-R`. */
const tree: ProgramRule = {
  options: {
    flags: 'adflsxhpugDFqNQrtvUCnASJ',
    withArg: 'LPI',
    argOptionsStandAlone: true,
    long: ['noreport', 'dirsfirst', 'prune', 'du', 'si', 'inodes', 'device', 'matchdirs', 'ignore-case'],
  },
  // Not every tree ends its options at `--`: an operand that looks like an option is refused.
  check: (p) => p.operands.every((o) => !o.startsWith('-')),
};

/** Programs whose options and operands are checked by a table. */
export const PROGRAM_RULES: Readonly<Record<string, ProgramRule>> = {
  cat, ls, head, tail, wc, nl, cut, tr, rev: { options: {} }, seq, du, df, stat, file,
  grep, egrep: grep, fgrep: grep, rg, sed, sort, uniq, date, hostname,
  basename, dirname, realpath, readlink, uname, id, tree,
  which: { options: { flags: 'a' } },
  whoami: none,
  pwd: { options: { flags: 'LP' }, maxOperands: 0 },
  cd: { options: { flags: 'LP' }, maxOperands: 1 },
  true: anything,
  false: anything,
  echo: anything,
  expr: anything,
  printf: { options: {} },
};
