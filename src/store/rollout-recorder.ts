import { closeSync, constants, fdatasync, fstatSync, ftruncateSync, openSync, readSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { StorageError } from './errors.js';
import { mkdirPrivate, PRIVATE_FILE_MODE } from './private-files.js';
import type { RolloutLine } from './types.js';

/**
 * Appends lines to one rollout file. Each `append` is a synchronous `write(2)` on an `O_APPEND`
 * descriptor, so once it returns the line is in the kernel: a `kill -9` of the daemon right after
 * loses nothing (only a machine crash can, which is what `sync()` is for).
 *
 * A failed write (ENOSPC, EIO…) throws a StorageError and leaves the file as it was before that
 * line: a partly written line is cut off again, so the file never holds a fragment that would
 * fuse with the next line. The recorder stays open and the next `append` simply tries again
 * (first finishing the cut if it could not be made at once), so a thread works again as soon as
 * there is space; the lines that failed are not retried (their turn failed and said so).
 */
export class RolloutRecorder {
  private fd: number | null;
  private filePath: string;
  /** Bytes of whole lines in the file: where a failed append is cut back to. */
  private size: number;
  /** A failed append could not be cut back yet; do it before writing again. */
  private cutPending = false;

  private constructor(
    filePath: string,
    fd: number,
    size: number,
    private readonly onClose?: (r: RolloutRecorder) => void,
  ) {
    this.filePath = filePath;
    this.fd = fd;
    this.size = size;
  }

  /** Creates a new rollout file (failing if it exists) and its parent directories. */
  static create(filePath: string, onClose?: (r: RolloutRecorder) => void): RolloutRecorder {
    try {
      mkdirPrivate(dirname(filePath));
      const fd = openSync(filePath, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_EXCL, PRIVATE_FILE_MODE);
      return new RolloutRecorder(filePath, fd, 0, onClose);
    } catch (err) {
      throw StorageError.wrap('cannot create the rollout file', err);
    }
  }

  /**
   * Opens an existing rollout for appending. If the file ends in a torn line (the previous writer
   * died mid-write), a newline is written first so the next line does not fuse with the fragment
   * and become unreadable too.
   */
  static openExisting(filePath: string, onClose?: (r: RolloutRecorder) => void): RolloutRecorder {
    const fd = openSync(filePath, constants.O_RDWR | constants.O_APPEND);
    let size: number;
    try {
      size = fstatSync(fd).size;
      if (size > 0) {
        const last = Buffer.alloc(1);
        readSync(fd, last, 0, 1, size - 1);
        if (last[0] !== 0x0a) {
          writeAll(fd, Buffer.from('\n'));
          size++;
        }
      }
    } catch (err) {
      closeSync(fd);
      throw StorageError.wrap('cannot open the rollout file', err);
    }
    return new RolloutRecorder(filePath, fd, size, onClose);
  }

  /** The rollout file's current path (it changes when the thread is archived or unarchived). */
  get path(): string {
    return this.filePath;
  }

  /** Whether `close()` has been called. */
  get closed(): boolean {
    return this.fd === null;
  }

  /**
   * Writes one line; when this returns, the line is in the OS. Throws if closed, and a
   * StorageError if the write failed (the file is then as it was before the call).
   */
  append(line: RolloutLine): void {
    const fd = this.fd;
    if (fd === null) throw new Error(`rollout recorder is closed: ${this.filePath}`);
    const buf = Buffer.from(`${JSON.stringify(line)}\n`, 'utf8');
    try {
      if (this.cutPending) this.cut(fd);
      writeAll(fd, buf);
    } catch (err) {
      this.cutPending = true;
      try {
        this.cut(fd);
      } catch {
        // Retried before the next append.
      }
      throw StorageError.wrap('cannot write the rollout file', err);
    }
    this.size += buf.length;
  }

  /** Flushes appended lines to stable storage (`fdatasync`). A no-op once closed. */
  sync(): Promise<void> {
    const fd = this.fd;
    if (fd === null) return Promise.resolve();
    return new Promise((resolve, reject) =>
      fdatasync(fd, (err) => (err ? reject(StorageError.wrap('cannot sync the rollout file', err)) : resolve())),
    );
  }

  /** Cuts the file back to its whole lines (freeing space, so this works on a full disk). */
  private cut(fd: number): void {
    if (fstatSync(fd).size !== this.size) ftruncateSync(fd, this.size);
    this.cutPending = false;
  }

  /** Closes the file. Idempotent. */
  close(): void {
    if (this.fd === null) return;
    const fd = this.fd;
    this.fd = null;
    closeSync(fd);
    this.onClose?.(this);
  }

  /** @internal The store moved the file (archive/unarchive); the open descriptor still points at it. */
  relocate(newPath: string): void {
    this.filePath = newPath;
  }
}

function writeAll(fd: number, buf: Buffer): void {
  let off = 0;
  while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
}
