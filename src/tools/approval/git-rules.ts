import { isParseFailure, parseOptions, type OptionTable } from './getopt.js';

/**
 * Read-only git: one of a few subcommands, with no global option before it (`-c`, `-C`,
 * `--exec-path`, `--git-dir` could run or redirect anything) and only listed options after it.
 * Refused on purpose: `--output` (writes a file), `--ext-diff`/`--textconv` (run configured
 * programs), `--show-signature` and `%G` formats (run gpg), abbreviated long options.
 */

/** Options shared by `log`, `show` and `diff` (revision walking and diff output). */
const REVISION_AND_DIFF: OptionTable = {
  flags: 'puswbRzaWi',
  withArg: 'nUSG',
  withOptionalArg: 'M',
  numberOption: true,
  long: [
    'oneline', 'stat', 'shortstat', 'numstat', 'name-only', 'name-status', 'graph', 'all', 'patch', 'no-patch', 'raw',
    'reverse', 'first-parent', 'merges', 'no-merges', 'follow', 'cached', 'staged', 'abbrev-commit',
    'no-abbrev-commit', 'no-color', 'no-ext-diff', 'no-textconv', 'summary', 'full-index', 'ignore-space-change',
    'ignore-all-space', 'ignore-blank-lines', 'patch-with-stat', 'topo-order', 'date-order', 'left-right',
    'cherry-pick', 'boundary', 'no-decorate', 'quiet', 'exit-code', 'check', 'minimal', 'histogram', 'patience',
    'full-history', 'simplify-by-decoration', 'regexp-ignore-case', 'all-match', 'invert-grep', 'no-renames',
    'no-prefix', 'text', 'function-context', 'compact-summary', 'source', 'use-mailmap', 'merge',
    'remerge-diff', 'ancestry-path', 'dirstat', 'cc', 'combined-all-paths',
  ],
  longWithArg: [
    'format', 'date', 'since', 'until', 'after', 'before', 'author', 'committer', 'grep', 'max-count', 'skip',
    'unified', 'diff-filter', 'src-prefix', 'dst-prefix', 'stat-width', 'min-age', 'max-age', 'diff-algorithm',
  ],
  longWithOptionalArg: ['pretty', 'decorate', 'relative', 'word-diff', 'color', 'abbrev', 'find-renames',
    'ignore-submodules', 'submodule', 'color-moved', 'no-walk'],
};

const SUBCOMMANDS: Readonly<Record<string, { table: OptionTable; operands?: (opts: string[]) => boolean }>> = {
  log: { table: REVISION_AND_DIFF },
  show: { table: REVISION_AND_DIFF },
  diff: { table: REVISION_AND_DIFF },
  status: {
    table: {
      flags: 'sbvz',
      withOptionalArg: 'u',
      long: ['short', 'branch', 'long', 'verbose', 'no-column', 'ahead-behind', 'no-ahead-behind', 'renames',
        'no-renames', 'show-stash'],
      longWithOptionalArg: ['porcelain', 'untracked-files', 'ignored', 'ignore-submodules', 'find-renames'],
    },
  },
  'ls-files': {
    table: {
      flags: 'cdmoiskutvfz',
      withArg: 'xX',
      long: ['cached', 'deleted', 'modified', 'others', 'ignored', 'stage', 'unmerged', 'killed', 'directory',
        'no-empty-directory', 'eol', 'full-name', 'recurse-submodules', 'error-unmatch', 'exclude-standard',
        'deduplicate', 'sparse'],
      longWithArg: ['exclude', 'exclude-from', 'exclude-per-directory', 'format', 'with-tree'],
      longWithOptionalArg: ['abbrev'],
    },
  },
  'rev-parse': {
    table: {
      flags: 'q',
      long: ['show-toplevel', 'show-prefix', 'show-cdup', 'git-dir', 'absolute-git-dir', 'is-inside-work-tree',
        'is-inside-git-dir', 'is-bare-repository', 'is-shallow-repository', 'verify', 'quiet', 'symbolic',
        'symbolic-full-name', 'all', 'git-common-dir', 'show-superproject-working-tree', 'sq', 'revs-only',
        'no-revs', 'flags', 'no-flags', 'local-env-vars', 'show-object-format'],
      longWithArg: ['git-path', 'default', 'prefix'],
      longWithOptionalArg: ['abbrev-ref', 'short', 'branches', 'tags', 'remotes'],
    },
  },
  branch: {
    table: {
      flags: 'arlv',
      long: ['all', 'remotes', 'list', 'verbose', 'show-current', 'no-color', 'ignore-case'],
      longWithArg: ['sort', 'format', 'contains', 'no-contains', 'merged', 'no-merged', 'points-at'],
      longWithOptionalArg: ['color', 'abbrev', 'column'],
    },
    // Without `--list`, an operand creates a branch.
    operands: (opts) => opts.includes('-l') || opts.includes('--list'),
  },
};

/** Whether `git <args>` only reads. */
export function isSafeGit(args: readonly string[]): boolean {
  const [sub, ...rest] = args;
  if (sub === undefined) return false;
  const rule = SUBCOMMANDS[sub];
  if (!rule) return false;
  const parsed = parseOptions(rest, rule.table);
  if (isParseFailure(parsed)) return false;
  if (parsed.operands.length > 0 && rule.operands && !rule.operands(parsed.options.map((o) => o.name))) return false;
  // `%G?`, `%GS`, … in a format verify signatures, which runs gpg, as `--show-signature` does.
  return !parsed.options.some((o) => (o.name === '--format' || o.name === '--pretty') && o.value?.includes('%G'));
}
