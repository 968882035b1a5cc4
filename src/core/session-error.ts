/** Stable codes for failed Session operations; faces map them to their wire errors. */
export type SessionErrorCode =
  | 'thread_not_found'
  | 'turn_not_active'
  | 'turn_id_mismatch'
  | 'turn_in_progress'
  | 'invalid_input'
  | 'invalid_cursor'
  | 'thread_archived';

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
