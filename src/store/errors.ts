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
