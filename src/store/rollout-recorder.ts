import { closeSync, constants, fdatasync, fstatSync, mkdirSync, openSync, readSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import type { RolloutLine } from './types.js';

/**
 * Appends lines to one rollout file. Each `append` is a synchronous `write(2)` on an `O_APPEND`
 * descriptor, so once it returns the line is in the kernel: a `kill -9` of the daemon right after
 * loses nothing (only a machine crash can, which is what `sync()` is for).
 */
export class RolloutRecorder {
  private fd: number | null;
  private filePath: string;

  private constructor(
    filePath: string,
    fd: number,
    private readonly onClose?: (r: RolloutRecorder) => void,
  ) {
    this.filePath = filePath;
    this.fd = fd;
  }

  /** Creates a new rollout file (failing if it exists) and its parent directories. */
  static create(filePath: string, onClose?: (r: RolloutRecorder) => void): RolloutRecorder {
    mkdirSync(dirname(filePath), { recursive: true });
    const fd = openSync(filePath, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_EXCL, 0o600);
    return new RolloutRecorder(filePath, fd, onClose);
  }

  /**
   * Opens an existing rollout for appending. If the file ends in a torn line (the previous writer
   * died mid-write), a newline is written first so the next line does not fuse with the fragment
   * and become unreadable too.
   */
  static openExisting(filePath: string, onClose?: (r: RolloutRecorder) => void): RolloutRecorder {
    const fd = openSync(filePath, constants.O_RDWR | constants.O_APPEND);
    try {
      const { size } = fstatSync(fd);
      if (size > 0) {
        const last = Buffer.alloc(1);
        readSync(fd, last, 0, 1, size - 1);
        if (last[0] !== 0x0a) writeAll(fd, Buffer.from('\n'));
      }
    } catch (err) {
      closeSync(fd);
      throw err;
    }
    return new RolloutRecorder(filePath, fd, onClose);
  }

  /** The rollout file's current path (it changes when the thread is archived or unarchived). */
  get path(): string {
    return this.filePath;
  }

  /** Whether `close()` has been called. */
  get closed(): boolean {
    return this.fd === null;
  }

  /** Writes one line; when this returns, the line is in the OS. Throws if closed. */
  append(line: RolloutLine): void {
    if (this.fd === null) throw new Error(`rollout recorder is closed: ${this.filePath}`);
    writeAll(this.fd, Buffer.from(`${JSON.stringify(line)}\n`, 'utf8'));
  }

  /** Flushes appended lines to stable storage (`fdatasync`). A no-op once closed. */
  sync(): Promise<void> {
    const fd = this.fd;
    if (fd === null) return Promise.resolve();
    return new Promise((resolve, reject) => fdatasync(fd, (err) => (err ? reject(err) : resolve())));
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
