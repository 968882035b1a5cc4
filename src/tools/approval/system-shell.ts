import { statSync } from 'node:fs';
import path from 'node:path';

/**
 * The shells whose `-c` script we classify, by absolute path. A fixed set: a shell anywhere else
 * (a workspace `./bash`, `/tmp/x/bash`) is whatever program the model put there.
 */
export const SYSTEM_SHELLS: ReadonlySet<string> = new Set([
  '/bin/bash', '/usr/bin/bash', '/bin/sh', '/usr/bin/sh', '/bin/dash', '/usr/bin/dash', '/bin/zsh', '/usr/bin/zsh',
]);

/** Names a shell may be given by without a path (`["bash", "-lc", …]`). */
const BARE_SHELL_NAMES: ReadonlySet<string> = new Set(['bash', 'sh', 'dash', 'zsh']);

function isFile(p: string): boolean {
  try {
    return statSync(p, { throwIfNoEntry: false })?.isFile() ?? false;
  } catch {
    // EACCES, ENOTDIR, …: not found here, as execvp would go on to the next directory.
    return false;
  }
}

/**
 * Finds a bare program name the way `execvp` would on `pathEnv`; null when an entry before the
 * hit is not absolute (it would be looked up relative to the command's working directory).
 */
export function resolveOnPath(name: string, pathEnv: string | undefined = process.env.PATH): string | null {
  for (const dir of (pathEnv ?? '').split(':')) {
    if (!path.isAbsolute(dir)) return null;
    const candidate = path.join(dir, name);
    if (isFile(candidate)) return candidate;
  }
  return null;
}

/**
 * Whether `shell` names a system shell: one of `SYSTEM_SHELLS`, or a bare `bash`/`sh`/`dash`/`zsh`
 * that the daemon's PATH (which the model cannot set) resolves to one of them. `resolve` is for
 * tests.
 */
export function isSystemShell(shell: string, resolve: (name: string) => string | null = resolveOnPath): boolean {
  if (SYSTEM_SHELLS.has(shell)) return true;
  if (!BARE_SHELL_NAMES.has(shell)) return false;
  const found = resolve(shell);
  return found !== null && SYSTEM_SHELLS.has(found);
}
