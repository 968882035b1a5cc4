export { ThreadStore, INDEX_FILE, type NewThreadMeta, type ThreadMetaPatch } from './thread-store.js';
export { RolloutRecorder } from './rollout-recorder.js';
export { ThreadNotFoundError, InvalidCursorError, StorageError } from './errors.js';
export { reconstructThread, type StoredTurn, type ReconstructedThread } from './reconstruct.js';
export { DEFAULT_LIST_LIMIT, MAX_LIST_LIMIT } from './list-threads.js';
export * from './types.js';
