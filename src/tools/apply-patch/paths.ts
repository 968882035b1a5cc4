import { lstatSync, realpathSync } from 'node:fs';
import path from 'node:path';
import { writableRoots } from '../sandbox/wrap.js';
import type { SandboxPolicy } from '../types.js';
import type { PatchPlan } from './plan.js';

/**
 * Whether a plan only writes where the sandbox allows. `paths` are the absolute offenders as the
 * patch names them; `grants` are the real directories an approval of this patch opens to the
 * sandboxed writer (each offender's deepest existing parent, symlinks resolved at check time).
 */
export type PatchPathCheck =
  | { ok: true }
  | { ok: false; reason: string; paths: string[]; grants: string[]; targets: Record<string, PatchTarget> };

/**
 * Where an approved write outside the roots lands, resolved when the user was asked (and shown
 * to them): `write` with every symlink resolved (a write follows a final symlink), `unlink` with
 * only the parent resolved (a delete removes a link itself). The writer uses these, not the path
 * as named, so a workspace directory or file swapped for a symlink while the user decides cannot
 * redirect the write elsewhere inside the approved directory.
 */
export interface PatchTarget {
  write: string;
  unlink: string;
}

/** Every absolute path a plan writes or removes (move sources and targets included), deduplicated. */
export function planPaths(plan: PatchPlan): string[] {
  const out = new Set<string>();
  for (const f of plan.files) {
    out.add(f.path);
    if (f.movePath !== null) out.add(f.movePath);
  }
  return [...out];
}

/**
 * Tells whether every path of `plan` is inside the writable roots of `policy`. `dangerFullAccess`
 * allows everything and `readOnly` nothing. Paths are compared after resolving symlinks of their
 * deepest existing ancestor (the file itself when it exists), so neither `..`, an absolute path, a
 * symlinked directory nor a symlinked file can reach outside; a dangling symlink is refused.
 */
export function checkPatchPaths(plan: PatchPlan, policy: SandboxPolicy, cwd: string): PatchPathCheck {
  if (policy.type === 'dangerFullAccess') return { ok: true };
  const paths = planPaths(plan);
  if (policy.type === 'readOnly') {
    return {
      ok: false,
      reason: 'the sandbox is read-only: the patch may not write any file',
      paths,
      grants: grantsFor(paths, cwd),
      targets: targetsFor(paths, cwd),
    };
  }
  // The roots the sandboxed writer gets (its environment carries the daemon's TMPDIR), so this
  // check predicts exactly what the kernel will allow.
  const roots = writableRoots(policy, cwd, process.env);
  // As in the command sandbox, a repository's .git stays read-only inside a writable root.
  const protectedDirs = roots.map((r) => path.join(r, '.git'));
  // Where the content of each updated file really came from counts as well: a path swapped from
  // a symlink to a plain file between the read and this check would otherwise carry outside
  // content (the daemon's own /proc/self/environ) into the workspace.
  const sources = plan.files.flatMap((f) => (f.readFrom !== null && !paths.includes(f.readFrom) ? [f.readFrom] : []));
  const outside = [...paths, ...new Set(sources)].filter((p) => {
    const real = resolveReal(path.resolve(cwd, p));
    return real === null || !roots.some((root) => isWithin(real, root)) || protectedDirs.some((g) => isWithin(real, g));
  });
  if (outside.length === 0) return { ok: true };
  // Show where each offender really lands, so the user approves the real target, not a symlink.
  const shown = outside.map((p) => {
    const real = resolveReal(path.resolve(cwd, p));
    return real !== null && real !== p ? `${p} (-> ${real})` : p;
  });
  return {
    ok: false,
    reason: `the patch writes outside the writable roots (${roots.join(', ')}): ${shown.join(', ')}`,
    paths: outside,
    grants: grantsFor(outside, cwd),
    targets: targetsFor(outside, cwd),
  };
}

/** The resolved targets of `paths` (see `PatchTarget`); unresolvable ones get none. */
function targetsFor(paths: string[], cwd: string): Record<string, PatchTarget> {
  const out: Record<string, PatchTarget> = {};
  for (const p of paths) {
    const abs = path.resolve(cwd, p);
    const write = resolveReal(abs);
    const parent = resolveReal(path.dirname(abs));
    if (write !== null && parent !== null) out[abs] = { write, unlink: path.join(parent, path.basename(abs)) };
  }
  return out;
}

/**
 * The real directories to open for `paths` once the user approves them: the deepest existing
 * parent of each (resolved now, so a symlink swapped in later cannot redirect the grant).
 * Unresolvable paths (dangling symlinks) get no grant, so their write fails in the sandbox.
 */
function grantsFor(paths: string[], cwd: string): string[] {
  const out = new Set<string>();
  for (const p of paths) {
    const real = resolveReal(path.resolve(cwd, p));
    if (real === null) continue;
    let dir = path.dirname(real);
    while (!isDirectory(dir)) {
      const parent = path.dirname(dir);
      if (parent === dir) break;
      dir = parent;
    }
    out.add(dir);
  }
  return [...out];
}

function isDirectory(p: string): boolean {
  try {
    return lstatSync(p).isDirectory();
  } catch {
    return false;
  }
}

/** The keys an `acceptForSession` of this plan remembers: real paths, so a later symlink swap does not inherit it. */
export function sessionKeysFor(plan: PatchPlan): string[] {
  return [...new Set(planPaths(plan).map((p) => resolveReal(p) ?? p))];
}

/** Whether `p` is `root` or below it (both absolute and normalised). */
export function isWithin(p: string, root: string): boolean {
  const rel = path.relative(root, p);
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${path.sep}`) && !path.isAbsolute(rel));
}

/**
 * Resolves symlinks in the deepest existing ancestor of `abs` and re-appends the missing tail.
 * Null when the path cannot be resolved safely (a dangling symlink, an unreadable directory).
 */
export function resolveReal(abs: string): string | null {
  let existing = abs;
  const tail: string[] = [];
  for (;;) {
    try {
      lstatSync(existing);
      break;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'ENOTDIR') return null;
      const parent = path.dirname(existing);
      if (parent === existing) break;
      tail.unshift(path.basename(existing));
      existing = parent;
    }
  }
  try {
    return path.join(realpathSync(existing), ...tail);
  } catch {
    return null;
  }
}
