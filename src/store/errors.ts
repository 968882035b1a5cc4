/** No thread with this id exists in the store (never created, or deleted). */
export class ThreadNotFoundError extends Error {
  constructor(readonly threadId: string) {
    super(`thread not found: ${threadId}`);
    this.name = 'ThreadNotFoundError';
  }
}

/** A `list` cursor that this store did not produce, or produced for another sort order. */
export class InvalidCursorError extends Error {
  constructor(readonly cursor: string) {
    super(`invalid cursor: ${cursor}`);
    this.name = 'InvalidCursorError';
  }
}

/**
 * Writing or syncing a thread's files failed (ENOSPC, EIO, EDQUOT, EROFS…). Nothing was lost that
 * had already been written: the store rolls back a partial line, so the files stay readable and
 * the next write simply tries again.
 */
export class StorageError extends Error {
  /** The errno code (`ENOSPC`, `EIO`, …) when there is one. */
  readonly errno: string | undefined;

  constructor(action: string, cause: unknown) {
    const errno = (cause as NodeJS.ErrnoException | null)?.code;
    super(`${action}: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = 'StorageError';
    this.errno = typeof errno === 'string' ? errno : undefined;
  }

  /** `err` itself if it already is a StorageError, else one wrapping it. */
  static wrap(action: string, err: unknown): StorageError {
    return err instanceof StorageError ? err : new StorageError(action, err);
  }
}
