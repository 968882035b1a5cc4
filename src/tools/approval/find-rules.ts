/**
 * Read-only find(1). find has its own grammar: leading `-H`/`-L`/`-P`, starting points, then an
 * expression of predicates, each taking a fixed number of arguments. Only listed predicates are
 * accepted; refused are those that run programs (`-exec`, `-execdir`, `-ok`, `-okdir`), delete
 * (`-delete`) or write files (`-fprint`, `-fprint0`, `-fprintf`, `-fls`), and `-files0-from`.
 */

/** Predicates without an argument (and the operators). */
const NO_ARG = new Set([
  '-print', '-print0', '-ls', '-true', '-false', '-prune', '-quit', '-empty', '-readable', '-writable', '-executable',
  '-nouser', '-nogroup', '-depth', '-mount', '-xdev', '-noleaf', '-follow', '-daystart', '-ignore_readdir_race',
  '-noignore_readdir_race', '-not', '-a', '-and', '-o', '-or', '!', '(', ')', ',',
]);

/** Predicates taking one argument. */
const ONE_ARG = new Set([
  '-name', '-iname', '-path', '-ipath', '-wholename', '-iwholename', '-regex', '-iregex', '-type', '-xtype', '-size',
  '-perm', '-user', '-group', '-uid', '-gid', '-mtime', '-atime', '-ctime', '-mmin', '-amin', '-cmin', '-newer',
  '-anewer', '-cnewer', '-links', '-inum', '-samefile', '-lname', '-ilname', '-maxdepth', '-mindepth', '-regextype',
  '-printf', '-fstype', '-used',
]);

/** `-newerXY` with X, Y among a, B, c, m, t (X not t). */
const NEWER_XY = /^-newer[aBcm][aBcmt]$/;

/** Whether `find <args>` only reads. */
export function isSafeFind(args: readonly string[]): boolean {
  let i = 0;
  while (i < args.length && ['-H', '-L', '-P'].includes(args[i] as string)) i++;
  // Starting points: every word up to the first that begins the expression.
  while (i < args.length) {
    const a = args[i] as string;
    if (a.startsWith('-') || a === '(' || a === '!' || a === ')' || a === ',') break;
    i++;
  }
  for (; i < args.length; i++) {
    const a = args[i] as string;
    if (NO_ARG.has(a)) continue;
    if (ONE_ARG.has(a) || NEWER_XY.test(a)) {
      if (args[i + 1] === undefined) return false;
      i++;
      continue;
    }
    return false;
  }
  return true;
}
