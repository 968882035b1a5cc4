/** Stable codes for failed Session operations; faces map them to their wire errors. */
export type SessionErrorCode =
  | 'thread_not_found'
  | 'turn_not_active'
  | 'turn_id_mismatch'
  | 'turn_in_progress'
  | 'invalid_input'
  | 'invalid_cursor'
  | 'thread_archived'
  /** A revert's files were changed since the turns wrote them; nothing was changed. */
  | 'file_conflict'
  /** Writing the thread's files failed (full disk, I/O error); nothing was changed. */
  | 'storage_error';

/** A Session or ThreadManager operation was refused. */
export class SessionError extends Error {
  constructor(
    readonly code: SessionErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'SessionError';
  }
}

/** A SessionError for a failed write, keeping the store's error as its cause. */
export function storageSessionError(err: unknown): SessionError {
  const e = new SessionError('storage_error', `storage error: ${err instanceof Error ? err.message : String(err)}`);
  (e as { cause?: unknown }).cause = err;
  return e;
}
