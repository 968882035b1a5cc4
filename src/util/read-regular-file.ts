import { constants, type Stats } from 'node:fs';
import { open, readlink, type FileHandle } from 'node:fs/promises';

/**
 * Linux's `O_PATH` (the generic value, as on x86_64 and aarch64; Node does not export it): a
 * descriptor that names a file without opening it, so no driver or FIFO sees an open.
 */
const O_PATH = 0o10000000;

/**
 * Opens `path` for reading only if it is a regular file, without opening anything else even for
 * a moment: opening a device runs its driver (a watchdog starts its countdown, a serial port
 * resets the board on it, a tape rewinds) and opening a FIFO releases a writer waiting on it.
 * The path is first resolved to an `O_PATH` descriptor and checked by `fstat`; only a regular
 * file is then opened, through that descriptor (`/proc/self/fd`), so a swap after the check
 * cannot substitute another file. Returns the stats and, for a regular file, the open handle.
 * Errors of the lookup (ENOENT, EACCES, …) are thrown as they are.
 */
export async function openIfRegular(path: string): Promise<{ stats: Stats; handle: FileHandle | null }> {
  const ref = await open(path, O_PATH);
  try {
    const stats = await ref.stat();
    if (!stats.isFile()) return { stats, handle: null };
    const handle = await open(`/proc/self/fd/${ref.fd}`, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
    return { stats, handle };
  } finally {
    await ref.close().catch(() => undefined);
  }
}

/** What `readRegularFile` read: the bytes, the file's mode, and where the opened file really is. */
export interface RegularFileContent {
  bytes: Buffer;
  /** `st_mode` of the opened file. */
  mode: number;
  /**
   * The absolute path of the file that was opened, as the kernel names the descriptor (symlinks
   * resolved at the moment of the open, so a symlink swapped afterwards cannot disguise it).
   */
  realPath: string;
}

/** Why a path could not be read as a regular file (the file exists). */
export class NotReadableFileError extends Error {
  constructor(
    readonly path: string,
    readonly problem: 'directory' | 'not_regular' | 'too_large' | 'unreadable',
    detail: string,
  ) {
    super(detail);
    this.name = 'NotReadableFileError';
  }
}

/**
 * Reads a file the daemon was pointed at by untrusted input (a patch, a turn's diff) without
 * letting the file choose how the read goes: only a regular file is opened at all (see
 * `openIfRegular`: a FIFO, a device or `/dev/zero` is refused without being opened, so nothing
 * blocks and no driver runs), and at most `maxBytes + 1` bytes are read.
 * `realPath` names the opened file, so a caller can check where the content came from rather
 * than where the path pointed when it looked. Returns null when nothing exists at `path`.
 */
export async function readRegularFile(path: string, maxBytes: number): Promise<RegularFileContent | null> {
  let opened: { stats: Stats; handle: FileHandle | null };
  try {
    opened = await openIfRegular(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return null;
    throw new NotReadableFileError(path, 'unreadable', (err as Error).message);
  }
  const st = opened.stats;
  if (st.isDirectory()) throw new NotReadableFileError(path, 'directory', 'it is a directory');
  if (opened.handle === null) throw new NotReadableFileError(path, 'not_regular', 'it is not a regular file');
  const fh = opened.handle;
  try {
    if (st.size > maxBytes) throw new NotReadableFileError(path, 'too_large', `it is ${st.size} bytes; the limit is ${maxBytes}`);
    const realPath = await readlink(`/proc/self/fd/${fh.fd}`);
    const chunks: Buffer[] = [];
    let total = 0;
    // /proc-style files claim size 0: read to EOF, but never past the limit.
    while (total <= maxBytes) {
      const buf = Buffer.alloc(Math.min(1024 * 1024, maxBytes + 1 - total));
      const { bytesRead } = await fh.read(buf, 0, buf.length, total);
      if (bytesRead === 0) break;
      chunks.push(buf.subarray(0, bytesRead));
      total += bytesRead;
    }
    if (total > maxBytes) throw new NotReadableFileError(path, 'too_large', `it is larger than the limit of ${maxBytes} bytes`);
    return { bytes: Buffer.concat(chunks, total), mode: st.mode, realPath };
  } catch (err) {
    if (err instanceof NotReadableFileError) throw err;
    throw new NotReadableFileError(path, 'unreadable', (err as Error).message);
  } finally {
    await fh.close().catch(() => undefined);
  }
}
