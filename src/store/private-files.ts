import { chmodSync, existsSync, lstatSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

/** Mode of every directory agentd creates under its home: only the owner may list or enter it. */
export const PRIVATE_DIR_MODE = 0o700;
/** Mode of every file agentd writes under its home: rollouts and the index hold prompts. */
export const PRIVATE_FILE_MODE = 0o600;

/** Creates `dir` (and missing parents) owner-only. An existing directory keeps its mode. */
export function mkdirPrivate(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
}

/**
 * Tightens `path` and, for a directory, everything below it: directories 0700, regular files
 * 0600. Symlinks are neither followed nor changed, so a link cannot make us chmod a file outside
 * the home. Missing paths are skipped; a file we cannot chmod is reported to `onError` and skipped.
 */
export function tightenTree(path: string, onError: (path: string, err: unknown) => void = () => {}): void {
  let st;
  try {
    st = lstatSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') onError(path, err);
    return;
  }
  if (st.isSymbolicLink()) return;
  const want = st.isDirectory() ? PRIVATE_DIR_MODE : st.isFile() ? PRIVATE_FILE_MODE : null;
  if (want === null) return;
  if ((st.mode & 0o777) !== want) {
    try {
      chmodSync(path, want);
    } catch (err) {
      onError(path, err);
    }
  }
  if (!st.isDirectory()) return;
  let names: string[];
  try {
    names = readdirSync(path);
  } catch (err) {
    onError(path, err);
    return;
  }
  for (const name of names) tightenTree(join(path, name), onError);
}

/**
 * Makes an existing agentd home private (a missing one is created 0700 at its first write), tightening what older versions
 * left readable to others: the home itself, `sessions/` and `archived_sessions/` with everything
 * in them, and the files at the top of the home (the thread index, config.toml, logs).
 * Other directories at the top of the home are not ours to walk (they may be large, or belong
 * to the user); only their own mode is tightened.
 */
export function securePrivateHome(home: string, subdirs: readonly string[], onError?: (path: string, err: unknown) => void): void {
  if (!existsSync(home)) return;
  tightenShallow(home, onError);
  for (const d of subdirs) tightenTree(join(home, d), onError);
  let names: string[] = [];
  try {
    names = readdirSync(home);
  } catch (err) {
    onError?.(home, err);
  }
  for (const name of names) if (!subdirs.includes(name)) tightenShallow(join(home, name), onError);
}

function tightenShallow(path: string, onError?: (path: string, err: unknown) => void): void {
  try {
    const st = lstatSync(path);
    const want = st.isDirectory() ? PRIVATE_DIR_MODE : st.isFile() ? PRIVATE_FILE_MODE : null;
    if (want !== null && (st.mode & 0o777) !== want) chmodSync(path, want);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') onError?.(path, err);
  }
}
