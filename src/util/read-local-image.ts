import type { Stats } from 'node:fs';
import { statfs, type FileHandle } from 'node:fs/promises';
import { openIfRegular } from './read-regular-file.js';

/** The largest local image we read (the model APIs refuse bigger ones anyway). */
export const MAX_LOCAL_IMAGE_BYTES = 20 * 1024 * 1024;

/** Why a local image was refused. */
export type LocalImageProblem = 'not_found' | 'not_regular' | 'special_fs' | 'too_large' | 'not_image' | 'unreadable' | 'aborted';

/** A local image that cannot be used; nothing of the file may be sent anywhere. */
export class LocalImageError extends Error {
  constructor(
    readonly path: string,
    readonly problem: LocalImageProblem,
    detail: string,
  ) {
    super(`cannot use ${path} as an image: ${detail}`);
    this.name = 'LocalImageError';
  }
}

/** A checked image: its bytes and the MIME type its bytes say it is. */
export interface LocalImage {
  path: string;
  mime: 'image/png' | 'image/jpeg' | 'image/gif' | 'image/webp';
  bytes: Buffer;
}

export interface ReadLocalImageOptions {
  /** Aborting rejects at once with a `LocalImageError` (`aborted`). */
  signal?: AbortSignal;
  /** Defaults to MAX_LOCAL_IMAGE_BYTES. */
  maxBytes?: number;
}

// Pseudo file systems whose "regular files" are views of process or kernel state.
const PROC_SUPER_MAGIC = 0x9fa0;
const SYSFS_MAGIC = 0x62656572;

const READ_CHUNK = 1024 * 1024;

/**
 * Reads a local image safely, for input that may name any path (a hostile model's `view_image`,
 * a client's `localImage`). Only a regular file is opened at all (`openIfRegular`: a FIFO or a
 * device is refused without being opened, so nothing hangs and no driver runs), not on /proc or
 * /sys, at most `maxBytes` (at most `maxBytes + 1` bytes are ever read, whatever the file
 * claims), and a PNG, JPEG, GIF or WebP by its first bytes (the extension is ignored). Symlinks
 * are followed: the checks apply to what was opened. Throws `LocalImageError` otherwise.
 */
export async function readLocalImage(path: string, opts: ReadLocalImageOptions = {}): Promise<LocalImage> {
  const max = opts.maxBytes ?? MAX_LOCAL_IMAGE_BYTES;
  return abortable(path, opts.signal, async (aborted) => {
    let opened: { stats: Stats; handle: FileHandle | null };
    try {
      opened = await openIfRegular(path);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') throw new LocalImageError(path, 'not_found', 'no such file');
      throw new LocalImageError(path, 'unreadable', (err as Error).message);
    }
    const st = opened.stats;
    if (opened.handle === null) throw new LocalImageError(path, 'not_regular', `it is not a regular file (${kindOf(st)})`);
    const fh = opened.handle;
    try {
      const fsType = await statfs(path).then((s) => s.type, () => null);
      if (fsType === PROC_SUPER_MAGIC || fsType === SYSFS_MAGIC) {
        throw new LocalImageError(path, 'special_fs', 'it is a kernel file (/proc or /sys), not an image');
      }
      if (st.size > max) throw new LocalImageError(path, 'too_large', `it is ${st.size} bytes; the limit is ${max}`);
      const chunks: Buffer[] = [];
      let total = 0;
      while (total <= max) {
        if (aborted()) throw new LocalImageError(path, 'aborted', 'the read was interrupted');
        const buf = Buffer.alloc(Math.min(READ_CHUNK, max + 1 - total));
        const { bytesRead } = await fh.read(buf, 0, buf.length, total);
        if (bytesRead === 0) break;
        chunks.push(buf.subarray(0, bytesRead));
        total += bytesRead;
      }
      if (total > max) throw new LocalImageError(path, 'too_large', `it is larger than the limit of ${max} bytes`);
      const bytes = Buffer.concat(chunks, total);
      const mime = imageMime(bytes);
      if (mime === null) throw new LocalImageError(path, 'not_image', 'its content is not a PNG, JPEG, GIF or WebP image');
      return { path, mime, bytes };
    } catch (err) {
      if (err instanceof LocalImageError) throw err;
      throw new LocalImageError(path, 'unreadable', (err as Error).message);
    } finally {
      await fh.close().catch(() => undefined);
    }
  });
}

/** The image type the leading bytes announce, or null. */
export function imageMime(b: Buffer): LocalImage['mime'] | null {
  const starts = (sig: number[], at = 0) => b.length >= at + sig.length && sig.every((x, i) => b[at + i] === x);
  if (starts([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return 'image/png';
  if (starts([0xff, 0xd8, 0xff])) return 'image/jpeg';
  if (starts([0x47, 0x49, 0x46, 0x38]) && (b[4] === 0x37 || b[4] === 0x39) && b[5] === 0x61) return 'image/gif';
  if (starts([0x52, 0x49, 0x46, 0x46]) && starts([0x57, 0x45, 0x42, 0x50], 8)) return 'image/webp';
  return null;
}

/** A data URL of a checked image, as the model APIs accept it. */
export function imageDataUrl(img: LocalImage): string {
  return `data:${img.mime};base64,${img.bytes.toString('base64')}`;
}

function kindOf(st: { isDirectory(): boolean; isFIFO(): boolean; isCharacterDevice(): boolean; isBlockDevice(): boolean; isSocket(): boolean }): string {
  if (st.isDirectory()) return 'a directory';
  if (st.isFIFO()) return 'a FIFO';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isSocket()) return 'a socket';
  return 'a special file';
}

/**
 * Runs `work`, rejecting as soon as `signal` aborts (the work still settles in the background and
 * closes its descriptor; `aborted()` lets it stop between chunks).
 */
function abortable<T>(path: string, signal: AbortSignal | undefined, work: (aborted: () => boolean) => Promise<T>): Promise<T> {
  const abortedError = () => new LocalImageError(path, 'aborted', 'the read was interrupted');
  if (!signal) return work(() => false);
  if (signal.aborted) return Promise.reject(abortedError());
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(abortedError());
    signal.addEventListener('abort', onAbort, { once: true });
    work(() => signal.aborted).then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(err);
      },
    );
  });
}
