import type { Writable } from 'node:stream';
import { AbstractMessageWriter, type Message, type MessageWriter } from 'vscode-jsonrpc';
import { deferred, type Deferred } from '../util/deferred.js';
import type { OutputFlow } from '../util/flow.js';
import { ErrorCodes } from './errors.js';
import { LosslessId, stringifyMessage } from './lossless-id.js';

interface QueuedLine {
  line: string;
  /** Size counted against the budget (UTF-16 units: what the stream counts for strings too). */
  size: number;
  /** Absent for {@link NdjsonMessageWriter.send}: nobody waits on that line. */
  done: Deferred<void> | undefined;
  message: Message | undefined;
}

/** Options for {@link NdjsonMessageWriter}. */
export interface NdjsonWriterOptions {
  /** Outgoing byte budget (see {@link NdjsonMessageWriter.flow}). Default {@link DEFAULT_OUTPUT_BUDGET}. */
  budgetBytes?: number;
  /** Most text handed to the stream in one `write`. Default {@link DEFAULT_MAX_BATCH}. */
  maxBatchBytes?: number;
}

/**
 * Default outgoing budget: 2 MiB. A client that keeps reading never comes near it (the pipe
 * takes 64 KiB at a time and a delta line is ~150 bytes), so producers only wait for a client
 * that has stopped reading; and it is small next to the 50 MiB the daemon may grow while stalled,
 * leaving room for the bookkeeping behind ~14,000 queued lines, for one oversized line and for
 * the garbage collector's slack.
 */
export const DEFAULT_OUTPUT_BUDGET = 2 * 1024 * 1024;
/** Default most text per stream write: 256 KiB (never one giant string for a long queue). */
export const DEFAULT_MAX_BATCH = 256 * 1024;
/** Most characters handed to the stream in one `write` call (a longer line is split). */
const WRITE_PIECE_CHARS = 64 * 1024;

/**
 * Writes JSON-RPC messages as newline-delimited JSON to a byte stream.
 *
 * Contract: lines leave in exactly the order `write`/`writeRaw` were called, through one queue.
 * Lines queued during one turn of the event loop go out together, in writes of at most
 * `maxBatchBytes` (a stream of deltas would otherwise cost a syscall and a callback per line).
 * When the stream asks us to wait (`write()` returned false) nothing more is written until
 * `drain`. Each call's promise settles when its line has been flushed; a line that cannot be
 * serialised rejects only its own promise, while a failed stream write rejects the lines of that
 * batch. Either fires `onError`, and later lines are still attempted. A message is serialised
 * when `write` is called, so later mutation of the object has no effect.
 *
 * Back-pressure: {@link flow} reports whether the bytes queued here plus the bytes the stream
 * holds unflushed are under the budget. The writer never refuses or drops a line (a line larger
 * than the whole budget still goes out); producers that honour the flow wait instead of queueing.
 */
export class NdjsonMessageWriter extends AbstractMessageWriter implements MessageWriter {
  private queue: QueuedLine[] = [];
  private queuedBytes = 0;
  private blocked = false;
  private scheduled = false;
  private streamClosed = false;
  private readonly budget: number;
  private readonly maxBatch: number;
  private waiters: (() => void)[] = [];
  private readonly onStreamError = (err: unknown): void => {
    this.fireError(err);
    this.releaseOnClose();
  };
  private readonly onStreamClose = (): void => {
    this.releaseOnClose();
    this.fireClose();
  };
  private readonly flushSoon = (): void => {
    this.scheduled = false;
    this.flush();
  };

  /** The outgoing budget as seen by producers (the model stream, command output). */
  readonly flow: OutputFlow = {
    ready: () => this.hasRoom(),
    whenReady: () => {
      if (this.hasRoom()) return Promise.resolve();
      return new Promise<void>((resolve) => this.waiters.push(resolve));
    },
  };

  constructor(
    private readonly output: Writable,
    options: NdjsonWriterOptions = {},
  ) {
    super();
    this.budget = options.budgetBytes ?? DEFAULT_OUTPUT_BUDGET;
    this.maxBatch = options.maxBatchBytes ?? DEFAULT_MAX_BATCH;
    // Without an 'error' listener an EPIPE on stdout would kill the process.
    output.on('error', this.onStreamError);
    output.on('close', this.onStreamClose);
  }

  /** Queues one JSON-RPC message. */
  write(msg: Message): Promise<void> {
    return this.enqueue(msg, msg);
  }

  /**
   * Queues one message that nobody waits on (notifications): no promise per line, which matters
   * when tens of thousands of deltas wait for a slow client. Failures still fire `onError`.
   */
  send(msg: Message): void {
    this.enqueue(msg, msg, false)?.catch(() => undefined);
  }

  /**
   * Queues any JSON value as one line, in the same order as {@link write}: for messages
   * vscode-jsonrpc does not produce, such as the `id: null` answer to an unparsable line.
   */
  writeRaw(obj: unknown): Promise<void> {
    return this.enqueue(obj, undefined);
  }

  /** Nothing to flush beyond the queue; the stream belongs to the caller. */
  end(): void {}

  /** Stops listening to the stream; queued lines are still written. */
  override dispose(): void {
    this.output.off('error', this.onStreamError);
    this.output.off('close', this.onStreamClose);
    super.dispose();
  }

  /** Bytes waiting: queued here plus handed to the stream and not yet flushed. */
  get pendingBytes(): number {
    return this.queuedBytes + this.output.writableLength;
  }

  /** Resolves once everything queued so far has been handed to the output stream. */
  flushed(): Promise<void> {
    const done = deferred<void>();
    this.queue.push({ line: '', size: 0, done, message: undefined });
    this.schedule();
    return done.promise.catch(() => undefined);
  }

  private hasRoom(): boolean {
    return this.streamClosed || this.pendingBytes < this.budget;
  }

  /**
   * Wakes waiting producers once the backlog is down to half the budget: waking at the limit
   * itself would let them run for one line at a time.
   */
  private wakeIfRoom(): void {
    if (this.waiters.length === 0) return;
    if (!this.streamClosed && this.pendingBytes > this.budget / 2) return;
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }

  /** A closed or failed stream takes nothing more: producers must not wait for it forever. */
  private releaseOnClose(): void {
    if (!this.output.destroyed && !this.output.writableEnded && !this.output.errored) return;
    this.streamClosed = true;
    this.wakeIfRoom();
  }

  private enqueue(value: unknown, message: Message | undefined): Promise<void>;
  private enqueue(value: unknown, message: Message | undefined, track: false): Promise<void> | undefined;
  private enqueue(value: unknown, message: Message | undefined, track = true): Promise<void> | undefined {
    let line: string;
    try {
      line = `${stringifyMessage(value)}\n`;
    } catch (err) {
      this.fireError(err, message);
      const fallback = unserialisableResponse(value, err);
      // A response must not vanish because its result can't be serialised: answer -32603.
      if (fallback !== undefined) this.enqueue(fallback, undefined).catch(() => {});
      return Promise.reject(err);
    }
    const done = track ? deferred<void>() : undefined;
    this.queue.push({ line, size: line.length, done, message });
    this.queuedBytes += line.length;
    this.schedule();
    return done?.promise;
  }

  private schedule(): void {
    if (this.scheduled || this.blocked) return;
    this.scheduled = true;
    setImmediate(this.flushSoon);
  }

  /** Hands the queue to the stream in batches of at most `maxBatch`, until the stream is full. */
  private flush(): void {
    while (!this.blocked && this.queue.length > 0) {
      if (!this.writeBatch(this.takeBatch())) this.waitForDrain();
    }
  }

  /** Takes lines off the queue up to `maxBatch` (always at least one line). */
  private takeBatch(): QueuedLine[] {
    let n = 0;
    let size = 0;
    while (n < this.queue.length && (n === 0 || size + this.queue[n]!.size <= this.maxBatch)) {
      size += this.queue[n]!.size;
      n++;
    }
    const batch = this.queue.length === n ? this.queue : this.queue.slice(0, n);
    this.queue = this.queue.length === n ? [] : this.queue.slice(n);
    this.queuedBytes -= size;
    return batch;
  }

  /** Writes one batch; false when the stream asked us to wait. */
  private writeBatch(batch: QueuedLine[]): boolean {
    const fail = (err: unknown): void => {
      this.fireError(err, batch.find((l) => l.message)?.message);
      for (const l of batch) l.done?.reject(err);
      this.releaseOnClose();
    };
    if (this.output.destroyed || this.output.writableEnded) {
      fail(new Error('Output stream is closed'));
      return true;
    }
    let text = '';
    for (const l of batch) text += l.line;
    let ok = true;
    try {
      // A long text (a resume answer of megabytes) goes out in pieces: each is encoded into a
      // buffer the allocator reuses, where one piece would take fresh pages every time.
      let at = 0;
      while (text.length - at > WRITE_PIECE_CHARS) {
        let end = at + WRITE_PIECE_CHARS;
        // Never between the two halves of a surrogate pair (each would be encoded as U+FFFD).
        const c = text.charCodeAt(end - 1);
        if (c >= 0xd800 && c <= 0xdbff) end--;
        ok = this.output.write(text.slice(at, end)) && ok;
        at = end;
      }
      const rest = at === 0 ? text : text.slice(at);
      ok = this.output.write(rest, (err) => {
        if (err) fail(err);
        else for (const l of batch) l.done?.resolve();
        this.wakeIfRoom();
      }) && ok;
    } catch (err) {
      fail(err);
      return true;
    }
    return ok;
  }

  /** Holds the queue until `drain`; `close` also releases it so queued lines fail fast, not hang. */
  private waitForDrain(): void {
    this.blocked = true;
    const resume = (): void => {
      this.output.off('drain', resume);
      this.output.off('close', resume);
      this.blocked = false;
      this.flush();
      this.wakeIfRoom();
    };
    this.output.on('drain', resume);
    this.output.on('close', resume);
  }
}

/** For a response (has an id, no method) that failed to serialise: an error response in its place. */
function unserialisableResponse(value: unknown, err: unknown): object | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  const msg = value as Record<string, unknown>;
  if ('method' in msg || !('id' in msg)) return undefined;
  const id = typeof msg.id === 'string' || typeof msg.id === 'number' || msg.id instanceof LosslessId ? msg.id : null;
  return {
    jsonrpc: '2.0',
    id,
    error: {
      code: ErrorCodes.InternalError,
      message: `Result could not be serialised: ${err instanceof Error ? err.message : String(err)}`,
      data: { code: 'internal_error' },
    },
  };
}
