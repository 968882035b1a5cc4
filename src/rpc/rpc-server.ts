import type { Readable, Writable } from 'node:stream';
import {
  CancellationTokenSource,
  ResponseError,
  createMessageConnection,
  type CancellationToken,
  type Message,
  type MessageConnection,
  type NotificationMessage,
} from 'vscode-jsonrpc/node.js';
import { z } from 'zod';
import type { OutputFlow } from '../util/flow.js';
import type { Logger } from '../util/logger.js';
import { ConnectionClosedError } from './connection-closed-error.js';
import { ErrorCodes, RpcError } from './errors.js';
import { NdjsonMessageReader, type InvalidLineInfo } from './ndjson-reader.js';
import { NdjsonMessageWriter } from './ndjson-writer.js';
import { RequestIdRemapper, keyOf } from './request-id-remapper.js';
import type { WireId } from './lossless-id.js';

/** Per-request context: `signal` aborts when the client sends `$/cancelRequest` for it. */
export interface RequestContext {
  signal: AbortSignal;
}

/** Answers every client request; throw an {@link RpcError} (or a ZodError) to answer with an error. */
export type RequestHandler = (
  method: string,
  params: unknown,
  ctx: RequestContext,
) => unknown | Promise<unknown>;

/** Receives every client notification except `$/cancelRequest`, which the server handles. */
export type NotificationHandler = (method: string, params: unknown) => void;

/** Options for {@link RpcServer}. */
export interface RpcServerOptions {
  input: Readable;
  output: Writable;
  logger: Logger;
  /** Requests handled at once; one more is answered -32001 `overloaded` at once. Default 1024. */
  maxInFlight?: number;
  /** Longest accepted input line in bytes. Default 64 MiB. */
  maxLineBytes?: number;
  /** Deepest accepted array/object nesting in an input line. Default 1000. */
  maxDepth?: number;
  /** Outgoing byte budget behind {@link RpcServer.flow}. Default 2 MiB. */
  outputBudgetBytes?: number;
}

/** Parsed client messages waiting for vscode-jsonrpc beyond which input is no longer read. */
const MAX_QUEUED_INBOUND = 512;

/** Default {@link RpcServerOptions.maxInFlight}. */
export const DEFAULT_MAX_IN_FLIGHT = 1024;

/**
 * The JSON-RPC endpoint over NDJSON streams, built on vscode-jsonrpc.
 *
 * Guarantees: every request gets exactly one response (a result, its mapped error, -32001 when
 * overloaded, or -32600/-32700 for a bad line) and a handler's failure never takes the process
 * down. Responses, notifications and error lines leave through one ordered queue, whose byte
 * budget producers can wait on ({@link flow}). Request ids are echoed exactly, beyond 2^53 too.
 * Only the first answer to a server→client request counts; later ones are logged and dropped.
 */
export class RpcServer {
  private readonly logger: Logger;
  private readonly maxInFlight: number;
  private readonly writer: NdjsonMessageWriter;
  private readonly connection: MessageConnection;
  private requestHandler: RequestHandler | undefined;
  private notificationHandler: NotificationHandler | undefined;
  private readonly closeCallbacks: (() => void)[] = [];
  private readonly pending = new Set<(err: Error) => void>();
  private inFlight = 0;
  private captureOutgoingId: ((id: string | number) => void) | null = null;
  /**
   * Server→client requests sent and not yet answered (typed id keys). The first answer removes
   * its id, so a second answer to the same request is dropped here: vscode-jsonrpc would
   * otherwise let a later response read in the same chunk replace an earlier one in its queue.
   */
  private readonly awaitingAnswer = new Set<string>();
  /** Requests read (and handed to the connection) vs responses written for them: `drain` waits for both to match. */
  private requestsReceived = 0;
  private responsesSent = 0;
  private closed = false;
  private disposed = false;
  private readonly input: Readable;
  /** Reading is paused until the inbound queue and the outgoing budget have room. */
  private inputHeld = false;
  private awaitingRoom = false;
  /**
   * Messages handed to vscode-jsonrpc and not yet taken off its queue. `$/cancelRequest` is not
   * counted: vscode-jsonrpc acts on some of those at once without queueing them.
   */
  private queuedInbound = 0;

  constructor(opts: RpcServerOptions) {
    this.input = opts.input;
    this.logger = opts.logger;
    this.maxInFlight = opts.maxInFlight ?? DEFAULT_MAX_IN_FLIGHT;
    const reader = new NdjsonMessageReader(opts.input, {
      maxLineBytes: opts.maxLineBytes,
      maxDepth: opts.maxDepth,
      onInvalidLine: (info) => this.answerInvalidLine(info),
    });
    this.writer = new NdjsonMessageWriter(opts.output, { budgetBytes: opts.outputBudgetBytes });
    const ids = new RequestIdRemapper();
    const wrapped = ids.wrapWriter(this.writer);
    const wrappedReader = ids.wrapReader(reader);
    const countingReader: typeof wrappedReader = {
      ...wrappedReader,
      listen: (cb) =>
        wrappedReader.listen((msg) => {
          if ('method' in msg && 'id' in msg && msg.id !== undefined && msg.id !== null) this.requestsReceived++;
          if (!('method' in msg) && 'id' in msg && msg.id !== undefined && msg.id !== null && !this.takeAnswer(msg.id as WireId)) return;
          if (!isCancel(msg)) this.queuedInbound++;
          cb(msg);
          this.holdInputWhileBacklogged();
        }),
    };
    const observed: typeof wrapped = {
      ...wrapped,
      write: (msg) => {
        if (!('method' in msg) && 'id' in msg) this.responsesSent++;
        if ('method' in msg && 'id' in msg && msg.id !== undefined && msg.id !== null) {
          this.awaitingAnswer.add(keyOf(msg.id as WireId));
          // vscode-jsonrpc writes a request synchronously inside sendRequest: this is its id.
          if (this.captureOutgoingId) {
            const cb = this.captureOutgoingId;
            this.captureOutgoingId = null;
            cb(msg.id as string | number);
          }
        }
        return wrapped.write(msg);
      },
    };
    this.connection = createMessageConnection(
      countingReader,
      observed,
      {
        error: (m) => this.logger.error(m),
        warn: (m) => this.logger.warn(m),
        info: (m) => this.logger.info(m),
        log: (m) => this.logger.debug(m),
      },
      {
        messageStrategy: {
          handleMessage: (msg, next) => {
            if (!isCancel(msg)) this.queuedInbound--;
            try {
              next(msg);
            } finally {
              this.releaseInputWhenPossible();
            }
          },
        },
      },
    );
    this.connection.onRequest((method, params, token) => this.handleRequest(method, params, token));
    this.connection.onNotification((method, params) => this.handleNotification(method, params));
    this.connection.onError(([err]) => this.logger.warn({ err }, 'rpc transport error'));
    this.connection.onClose(() => this.handleClose());
  }

  /**
   * The outgoing byte budget: bytes queued for the client plus bytes the output stream holds.
   * Producers wait on it rather than queue more while a client is not reading.
   */
  get flow(): OutputFlow {
    return this.writer.flow;
  }

  /** Sets the handler for client requests; without one every request gets -32601. */
  setRequestHandler(h: RequestHandler): void {
    this.requestHandler = h;
  }

  /** Sets the handler for client notifications. */
  setNotificationHandler(h: NotificationHandler): void {
    this.notificationHandler = h;
  }

  /** Starts reading input. Call once, after the handlers are set. */
  listen(): void {
    this.connection.listen();
  }

  /** Sends a notification, ordered after everything sent before it. Failures are only logged. */
  notify(method: string, params: unknown): void {
    if (this.disposed) return;
    // Written directly rather than via sendNotification, which would wrap array params in another array.
    const msg: NotificationMessage =
      params === undefined
        ? { jsonrpc: '2.0', method }
        : { jsonrpc: '2.0', method, params: params as object };
    this.writer.send(msg);
  }

  /**
   * Sends a request to the client and resolves with its result. Rejects with the client's
   * `ResponseError`, with {@link ConnectionClosedError} when the connection closes first, or with
   * the signal's reason when `signal` aborts (the client then gets `$/cancelRequest`).
   * `onId` receives the JSON-RPC id the request was sent with (for `serverRequest/resolved`).
   */
  request(method: string, params: unknown, signal?: AbortSignal, onId?: (id: string | number) => void): Promise<unknown> {
    if (this.closed || this.disposed) return Promise.reject(new ConnectionClosedError());
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise<unknown>((resolve, reject) => {
      const cancel = new CancellationTokenSource();
      const onAbort = (): void => {
        cancel.cancel();
        settle(() => reject(signal?.reason));
      };
      const onClose = (err: Error): void => settle(() => reject(err));
      const settle = (fn: () => void): void => {
        if (!this.pending.delete(onClose)) return;
        signal?.removeEventListener('abort', onAbort);
        cancel.dispose();
        fn();
      };
      this.pending.add(onClose);
      signal?.addEventListener('abort', onAbort, { once: true });
      try {
        this.captureOutgoingId = onId ?? null;
        const sent =
          params === undefined
            ? this.connection.sendRequest(method, cancel.token)
            : this.connection.sendRequest(method, params, cancel.token);
        this.captureOutgoingId = null;
        sent.then(
          (result) => settle(() => resolve(result)),
          (err: unknown) => settle(() => reject(err)),
        );
      } catch (err) {
        settle(() => reject(err));
      }
    });
  }

  /** Requests being handled right now. */
  get requestsInFlight(): number {
    return this.inFlight;
  }

  /**
   * Resolves once every request read so far (including those still queued inside vscode-jsonrpc)
   * has been answered and the output has taken the answers, or after `timeoutMs`.
   */
  async drain(timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while ((this.inFlight > 0 || this.responsesSent < this.requestsReceived) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 2));
    }
    await this.writer.flushed();
  }

  /** Registers a callback for the end of the connection (input ended or a stream failed). */
  onClose(cb: () => void): void {
    if (this.closed) queueMicrotask(cb);
    else this.closeCallbacks.push(cb);
  }

  /** Stops reading and rejects pending server→client requests; the streams stay open. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.rejectPending(new ConnectionClosedError('Connection disposed'));
    this.connection.dispose();
  }

  private async handleRequest(
    method: string,
    params: unknown,
    token: CancellationToken,
  ): Promise<unknown> {
    if (this.inFlight >= this.maxInFlight) {
      this.logger.warn({ method, inFlight: this.inFlight }, 'rpc overloaded');
      return RpcError.overloaded().toResponseError();
    }
    this.inFlight++;
    const abort = new AbortController();
    const subscription = token.onCancellationRequested(() => abort.abort());
    if (token.isCancellationRequested) abort.abort();
    try {
      const handler = this.requestHandler;
      if (handler === undefined) throw RpcError.methodNotFound(method);
      return await handler(method, params, { signal: abort.signal });
    } catch (err) {
      return this.toResponseError(err, method);
    } finally {
      this.inFlight--;
      subscription.dispose();
    }
  }

  /**
   * A client that writes faster than we handle its messages (vscode-jsonrpc takes one message per
   * event-loop turn), or writes requests without reading the answers, would make parsed messages
   * or answers pile up here without bound. Once the inbound queue or the outgoing budget is full,
   * stop reading input until both have room again. A closed output counts as room, so a client
   * that went away is still noticed.
   */
  private holdInputWhileBacklogged(): void {
    if (this.inputHeld) return;
    if (this.writer.flow.ready() && this.queuedInbound < MAX_QUEUED_INBOUND) return;
    this.inputHeld = true;
    this.input.pause();
    this.releaseInputWhenPossible();
  }

  /** Resumes reading once the output has room and the inbound queue is down to half. */
  private releaseInputWhenPossible(): void {
    if (!this.inputHeld) return;
    if (!this.writer.flow.ready()) {
      if (this.awaitingRoom) return;
      this.awaitingRoom = true;
      void this.writer.flow.whenReady().then(() => {
        this.awaitingRoom = false;
        this.releaseInputWhenPossible();
      });
      return;
    }
    // Each message taken off the queue calls back here.
    if (this.queuedInbound > MAX_QUEUED_INBOUND / 2) return;
    this.inputHeld = false;
    if (!this.disposed) this.input.resume();
  }

  /** Whether a client response answers a request still awaiting its first answer (and claims it). */
  private takeAnswer(id: WireId): boolean {
    if (this.awaitingAnswer.delete(keyOf(id))) return true;
    this.logger.warn({ id }, 'ignoring a response to no pending server request (unknown id or already answered)');
    return false;
  }

  private handleNotification(method: string, params: unknown): void {
    const handler = this.notificationHandler;
    if (handler === undefined) return;
    const log = (err: unknown): void => this.logger.error({ err, method }, 'notification handler failed');
    try {
      const result: unknown = handler(method, params);
      if (result instanceof Promise) result.catch(log);
    } catch (err) {
      log(err);
    }
  }

  /** Maps anything a handler throws to the error the client sees. */
  private toResponseError(err: unknown, method: string): ResponseError<unknown> {
    if (err instanceof RpcError) return err.toResponseError();
    if (err instanceof z.core.$ZodError) return RpcError.fromZodError(err).toResponseError();
    if (err instanceof ResponseError) return err;
    this.logger.error({ err, method }, 'request handler failed');
    const detail = err instanceof Error ? err.message : String(err);
    return RpcError.internal(`Internal error: ${detail}`).toResponseError();
  }

  private answerInvalidLine(info: InvalidLineInfo): void {
    this.logger.warn({ kind: info.kind, id: info.id }, `rpc invalid line: ${info.message}`);
    const error = invalidLineError(info);
    this.writer
      .writeRaw({
        jsonrpc: '2.0',
        id: info.id,
        error: { code: error.code, message: error.message, data: error.data },
      })
      .catch((err: unknown) => this.logger.debug({ err }, 'error response not sent'));
  }

  private handleClose(): void {
    if (this.closed) return;
    this.closed = true;
    this.rejectPending(new ConnectionClosedError());
    for (const cb of this.closeCallbacks.splice(0)) {
      try {
        cb();
      } catch (err) {
        this.logger.error({ err }, 'close callback failed');
      }
    }
  }

  private rejectPending(err: Error): void {
    for (const reject of [...this.pending]) reject(err);
  }
}

function invalidLineError(info: InvalidLineInfo): RpcError {
  switch (info.kind) {
    case 'parse':
      return RpcError.parseError(info.message);
    case 'too_large':
      return new RpcError(ErrorCodes.ParseError, info.message, { code: 'line_too_large' });
    case 'too_deep':
      return RpcError.invalidRequest(info.message, 'too_deep');
    case 'invalid_request':
      return RpcError.invalidRequest(info.message);
  }
}

function isCancel(msg: Message): boolean {
  return (msg as { method?: unknown }).method === '$/cancelRequest' && (msg as { id?: unknown }).id === undefined;
}
