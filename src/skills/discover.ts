import type { Dirent } from 'node:fs';
import { opendir, realpath, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { openIfRegular } from '../util/read-regular-file.js';
import { decodeSkillText, extractFrontMatter, MAX_FRONT_MATTER_BYTES, loadYamlParser, parseSkill, SkillParseError } from './parse.js';
import type { SkillError, SkillLoadOutcome, SkillMetadata, SkillRoot, SkillScope } from './types.js';

export const SKILL_FILE = 'SKILL.md';
/** Directory depth scanned below a root (as Codex). */
export const MAX_SCAN_DEPTH = 6;
/** Directories scanned per root, at most (as Codex). */
export const MAX_DIRS_PER_ROOT = 2000;
/** Entries read from one directory, and from one root, at most: a huge tree cannot stall a scan. */
export const MAX_ENTRIES_PER_DIR = 10_000;
export const MAX_ENTRIES_PER_ROOT = 100_000;
/** The markers that make a directory a project root when the config names none. */
export const DEFAULT_PROJECT_ROOT_MARKERS = ['.git'];

/** Where to look for skills for one working directory. */
export interface SkillRootsInput {
  /** The working directory (absolute, or resolved against the daemon's). */
  cwd: string;
  /** `$AGENTD_HOME`: its `skills` folder holds the user's skills. */
  agentdHome: string;
  /** The user's home: its `.agents/skills` holds user-installed skills. Null: none. */
  userHome: string | null;
  /** Extra roots (`skills/extraRoots/set`), scanned as user skills. */
  extraRoots: readonly string[];
  /** Names whose presence marks the project root (`project_root_markers`); empty: cwd is the root. */
  projectRootMarkers?: readonly string[];
}

/** Observes a scan: which directories it read and which skill files it used (for watching). */
export interface ScanTrace {
  /** Called before a directory's entries are read. */
  dir(path: string): void;
  /** A root that does not exist (or is not a directory). */
  missingRoot(path: string): void;
  /** A `SKILL.md` read, with its modification time and size. */
  file(path: string, mtimeMs: number, size: number): void;
}

const exists = async (p: string): Promise<boolean> => {
  try {
    await stat(p);
    return true;
  } catch {
    return false;
  }
};

const isDir = async (p: string): Promise<boolean> => {
  try {
    return (await stat(p)).isDirectory();
  } catch {
    return false;
  }
};

/** The nearest ancestor of `cwd` (itself included) holding one of `markers`; `cwd` when none does. */
export async function findProjectRoot(cwd: string, markers: readonly string[]): Promise<string> {
  if (markers.length === 0) return cwd;
  for (let dir = cwd; ; dir = dirname(dir)) {
    for (const m of markers) if (await exists(join(dir, m))) return dir;
    if (dirname(dir) === dir) return cwd;
  }
}

/** `cwd` and its ancestors up to `root`, outermost first. */
function dirsFromRootToCwd(cwd: string, root: string): string[] {
  const out: string[] = [];
  for (let dir = cwd; ; dir = dirname(dir)) {
    out.push(dir);
    if (dir === root || dirname(dir) === dir) break;
  }
  return out.reverse();
}

/**
 * The skill roots for a working directory, in Codex's order (the first root that reaches a file
 * gives it its scope): the project's `.codex/skills` folders from `cwd` up to the project root,
 * `$AGENTD_HOME/skills`, `~/.agents/skills`, the extra roots, then the project's `.agents/skills`
 * folders from the project root down to `cwd`. The project root is the nearest ancestor holding a
 * marker (`.git` by default), or `cwd` itself. Roots may not exist; a scan skips those.
 */
export async function skillRoots(input: SkillRootsInput): Promise<SkillRoot[]> {
  const cwd = resolve(input.cwd);
  const root = await findProjectRoot(cwd, input.projectRootMarkers ?? DEFAULT_PROJECT_ROOT_MARKERS);
  const chain = dirsFromRootToCwd(cwd, root);
  const roots: SkillRoot[] = [];
  for (const dir of [...chain].reverse()) roots.push({ path: join(dir, '.codex', 'skills'), scope: 'repo' });
  roots.push({ path: join(resolve(input.agentdHome), 'skills'), scope: 'user' });
  if (input.userHome) roots.push({ path: join(resolve(input.userHome), '.agents', 'skills'), scope: 'user' });
  for (const extra of input.extraRoots) roots.push({ path: resolve(extra), scope: 'user' });
  for (const dir of chain) roots.push({ path: join(dir, '.agents', 'skills'), scope: 'repo' });
  const seen = new Set<string>();
  return roots.filter((r) => !seen.has(r.path) && (seen.add(r.path), true));
}

const SCOPE_RANK: Record<SkillScope, number> = { repo: 0, user: 1, system: 2, admin: 3 };

const canonical = async (p: string): Promise<string> => {
  try {
    return await realpath(p);
  } catch {
    return p;
  }
};

/**
 * Scans the roots for `SKILL.md` files. A file reached twice (two roots, a symlink) counts once,
 * with the scope of the first root that reached it. Never throws: unreadable directories are
 * skipped, and every file that cannot be used becomes an entry of `errors`.
 */
export async function loadSkills(roots: readonly SkillRoot[], trace?: ScanTrace): Promise<SkillLoadOutcome> {
  const skills: SkillMetadata[] = [];
  const errors: SkillError[] = [];
  const seenFiles = new Set<string>();
  for (const root of roots) {
    try {
      await scanRoot(root, skills, errors, seenFiles, trace);
    } catch (err) {
      // A root that vanished mid-scan, or an fs error nobody foresaw: the other roots still count.
      errors.push({ path: root.path, message: `failed to scan skills root: ${(err as Error).message}` });
    }
  }
  skills.sort(
    (a, b) => SCOPE_RANK[a.scope] - SCOPE_RANK[b.scope] || cmp(a.name, b.name) || cmp(a.path, b.path),
  );
  return { skills, errors };
}

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

async function scanRoot(
  root: SkillRoot,
  skills: SkillMetadata[],
  errors: SkillError[],
  seenFiles: Set<string>,
  trace: ScanTrace | undefined,
): Promise<void> {
  const start = await canonical(root.path);
  if (!(await isDir(start))) {
    trace?.missingRoot(root.path);
    return;
  }
  // Breadth first over canonical paths: a symlink loop meets a directory already visited.
  const visited = new Set<string>([start]);
  const queue: { dir: string; depth: number }[] = [{ dir: start, depth: 0 }];
  const full = (depth: number) => depth > MAX_SCAN_DEPTH || visited.size >= MAX_DIRS_PER_ROOT;
  const enqueue = (dir: string, depth: number) => {
    if (full(depth) || visited.has(dir)) return;
    visited.add(dir);
    queue.push({ dir, depth });
  };
  let entries = 0;
  for (let next = queue.shift(); next; next = queue.shift()) {
    const { dir, depth } = next;
    trace?.dir(dir);
    let handle;
    try {
      handle = await opendir(dir, { bufferSize: 64 });
    } catch {
      continue;
    }
    try {
      let n = 0;
      for await (const entry of handle as AsyncIterable<Dirent>) {
        if (++n > MAX_ENTRIES_PER_DIR || ++entries > MAX_ENTRIES_PER_ROOT) break;
        const name = entry.name;
        if (name.startsWith('.')) continue;
        const path = join(dir, name);
        if (entry.isSymbolicLink()) {
          // Symlinked folders are followed (user and repo roots); symlinked files are not read.
          if (!full(depth + 1) && (await isDir(path))) enqueue(await canonical(path), depth + 1);
        } else if (entry.isDirectory()) {
          if (!full(depth + 1)) enqueue(await canonical(path), depth + 1);
        } else if (entry.isFile() && name === SKILL_FILE) {
          if (seenFiles.has(path)) continue;
          seenFiles.add(path);
          try {
            skills.push(await readSkillFile(path, root.scope, trace));
          } catch (err) {
            const message = err instanceof SkillParseError ? err.message : `failed to read file: ${(err as Error).message}`;
            errors.push({ path, message });
          }
        }
      }
    } catch {
      // The directory went away while being read: what was read counts.
    } finally {
      await handle.close().catch(() => undefined);
    }
  }
}

/**
 * Reads the start of one `SKILL.md` (at most MAX_FRONT_MATTER_BYTES) and parses its front matter.
 * Only a regular file is opened at all, so a FIFO or a device swapped in cannot block the scan.
 */
async function readSkillFile(path: string, scope: SkillScope, trace: ScanTrace | undefined): Promise<SkillMetadata> {
  const { stats, handle } = await openIfRegular(path);
  if (!handle) throw new SkillParseError('failed to read file: not a regular file');
  let bytes: Buffer;
  try {
    const buf = Buffer.alloc(MAX_FRONT_MATTER_BYTES + 1);
    let total = 0;
    while (total < buf.length) {
      const { bytesRead } = await handle.read(buf, total, buf.length - total, total);
      if (bytesRead === 0) break;
      total += bytesRead;
    }
    bytes = buf.subarray(0, total);
  } finally {
    await handle.close().catch(() => undefined);
  }
  trace?.file(path, stats.mtimeMs, stats.size);
  const complete = bytes.length <= MAX_FRONT_MATTER_BYTES;
  const text = decodeSkillText(complete ? bytes : bytes.subarray(0, MAX_FRONT_MATTER_BYTES), complete);
  if (!complete && extractFrontMatter(text) === null) {
    throw new SkillParseError(`missing YAML frontmatter delimited by --- within the first ${MAX_FRONT_MATTER_BYTES / 1024} KiB`);
  }
  await loadYamlParser();
  return parseSkill(text, path, scope);
}
