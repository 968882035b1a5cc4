import { constants } from 'node:fs';
import { open, readlink, type FileHandle } from 'node:fs/promises';

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
 * letting the file choose how the read goes: opened with `O_NONBLOCK` (a FIFO cannot hang the
 * open, nor the read), checked to be a regular file by `fstat` of that very descriptor (a FIFO or
 * `/dev/zero` swapped in after a `stat` is refused), and at most `maxBytes + 1` bytes are read.
 * `realPath` names the opened file, so a caller can check where the content came from rather
 * than where the path pointed when it looked. Returns null when nothing exists at `path`.
 */
export async function readRegularFile(path: string, maxBytes: number): Promise<RegularFileContent | null> {
  let fh: FileHandle;
  try {
    fh = await open(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return null;
    if (code === 'EISDIR') throw new NotReadableFileError(path, 'directory', 'it is a directory');
    throw new NotReadableFileError(path, 'unreadable', (err as Error).message);
  }
  try {
    const st = await fh.stat();
    if (st.isDirectory()) throw new NotReadableFileError(path, 'directory', 'it is a directory');
    if (!st.isFile()) throw new NotReadableFileError(path, 'not_regular', 'it is not a regular file');
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
