import type { Writable } from 'node:stream';
import { AbstractMessageWriter, type Message, type MessageWriter } from 'vscode-jsonrpc';
import { deferred, type Deferred } from '../util/deferred.js';
import { ErrorCodes } from './errors.js';

interface QueuedLine {
  line: string;
  done: Deferred<void>;
  message: Message | undefined;
}

/**
 * Writes JSON-RPC messages as newline-delimited JSON to a byte stream.
 *
 * Contract: lines leave in exactly the order `write`/`writeRaw` were called, through one queue.
 * Lines queued during one turn of the event loop go out as one `write` (a stream of deltas would
 * otherwise cost a syscall and a callback per line). When the stream asks us to wait (`write()`
 * returned false) nothing more is written until `drain`. Each call's promise settles when its
 * line has been flushed; a line that cannot be serialised rejects only its own promise, while a
 * failed stream write rejects the lines of that batch. Either fires `onError`, and later lines are
 * still attempted. A message is serialised when `write` is called, so later mutation of the object
 * has no effect.
 */
export class NdjsonMessageWriter extends AbstractMessageWriter implements MessageWriter {
  private queue: QueuedLine[] = [];
  private blocked = false;
  private scheduled = false;
  private readonly onStreamError = (err: unknown): void => this.fireError(err);
  private readonly onStreamClose = (): void => this.fireClose();
  private readonly flushSoon = (): void => {
    this.scheduled = false;
    this.flush();
  };

  constructor(private readonly output: Writable) {
    super();
    // Without an 'error' listener an EPIPE on stdout would kill the process.
    output.on('error', this.onStreamError);
    output.on('close', this.onStreamClose);
  }

  /** Queues one JSON-RPC message. */
  write(msg: Message): Promise<void> {
    return this.enqueue(msg, msg);
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

  /** Resolves once everything queued so far has been handed to the output stream. */
  flushed(): Promise<void> {
    const done = deferred<void>();
    this.queue.push({ line: '', done, message: undefined });
    this.schedule();
    return done.promise.catch(() => undefined);
  }

  private enqueue(value: unknown, message: Message | undefined): Promise<void> {
    let line: string;
    try {
      line = `${JSON.stringify(value)}\n`;
    } catch (err) {
      this.fireError(err, message);
      const fallback = unserialisableResponse(value, err);
      // A response must not vanish because its result can't be serialised: answer -32603.
      if (fallback !== undefined) this.enqueue(fallback, undefined).catch(() => {});
      return Promise.reject(err);
    }
    const done = deferred<void>();
    this.queue.push({ line, done, message });
    this.schedule();
    return done.promise;
  }

  private schedule(): void {
    if (this.scheduled || this.blocked) return;
    this.scheduled = true;
    setImmediate(this.flushSoon);
  }

  /** Hands everything queued to the stream as one write. */
  private flush(): void {
    if (this.blocked || this.queue.length === 0) return;
    const batch = this.queue;
    this.queue = [];
    const fail = (err: unknown): void => {
      this.fireError(err, batch.find((l) => l.message)?.message);
      for (const l of batch) l.done.reject(err);
    };
    if (this.output.destroyed || this.output.writableEnded) {
      fail(new Error('Output stream is closed'));
      return;
    }
    let text = '';
    for (const l of batch) text += l.line;
    let ok: boolean;
    try {
      ok = this.output.write(text, (err) => {
        if (err) fail(err);
        else for (const l of batch) l.done.resolve();
      });
    } catch (err) {
      fail(err);
      return;
    }
    if (!ok) this.waitForDrain();
  }

  /** Holds the queue until `drain`; `close` also releases it so queued lines fail fast, not hang. */
  private waitForDrain(): void {
    this.blocked = true;
    const resume = (): void => {
      this.output.off('drain', resume);
      this.output.off('close', resume);
      this.blocked = false;
      this.flush();
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
  const id = typeof msg.id === 'string' || typeof msg.id === 'number' ? msg.id : null;
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
