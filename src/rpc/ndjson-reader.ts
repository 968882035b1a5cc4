import type { Readable } from 'node:stream';
import {
  AbstractMessageReader,
  Disposable,
  type DataCallback,
  type Message,
  type MessageReader,
} from 'vscode-jsonrpc';
import { exceedsNestingDepth } from './json-nesting.js';
import { LosslessId, rawIntegerAt, type WireId } from './lossless-id.js';

/** Why a line was not delivered as a message. */
export type InvalidLineKind = 'parse' | 'too_large' | 'too_deep' | 'invalid_request';

/** A line the reader refused, with the request id when one could be read from it. */
export interface InvalidLineInfo {
  kind: InvalidLineKind;
  message: string;
  id: WireId | null;
}

/** Options for {@link NdjsonMessageReader}. */
export interface NdjsonReaderOptions {
  /** Lines longer than this (bytes, without the newline) are discarded unread. Default 64 MiB. */
  maxLineBytes?: number;
  /** Lines nesting arrays/objects deeper than this are refused. Default 1000. */
  maxDepth?: number;
  /** Told about every refused line; the reader carries on with the next one. */
  onInvalidLine?: (info: InvalidLineInfo) => void;
}

/** Default {@link NdjsonReaderOptions.maxLineBytes}: 64 MiB. */
export const DEFAULT_MAX_LINE_BYTES = 64 * 1024 * 1024;
/** Default {@link NdjsonReaderOptions.maxDepth}. */
export const DEFAULT_MAX_DEPTH = 1000;

const NEWLINE = 0x0a;
const CARRIAGE_RETURN = 0x0d;

/**
 * Reads newline-delimited JSON-RPC messages from a byte stream.
 *
 * Contract: one JSON object per line (`\n` or `\r\n`), blank lines ignored, `jsonrpc` optional.
 * Bad lines never reach the connection and never surface as errors: they go to
 * `onInvalidLine` and reading continues. Bytes are kept as Buffers until a line is complete, so
 * UTF-8 split across chunks decodes correctly; invalid UTF-8 becomes U+FFFD.
 */
export class NdjsonMessageReader extends AbstractMessageReader implements MessageReader {
  private readonly maxLineBytes: number;
  private readonly maxDepth: number;
  private readonly onInvalidLine: (info: InvalidLineInfo) => void;
  private callback: DataCallback | undefined;
  /** Pieces of the current line; concatenated once, when its newline arrives. */
  private pieces: Buffer[] = [];
  private pendingBytes = 0;
  /** The current line outgrew the limit: drop bytes until its newline. */
  private discarding = false;
  private closed = false;
  private detach: (() => void) | undefined;

  constructor(
    private readonly input: Readable,
    options: NdjsonReaderOptions = {},
  ) {
    super();
    this.maxLineBytes = options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
    this.maxDepth = options.maxDepth ?? DEFAULT_MAX_DEPTH;
    this.onInvalidLine = options.onInvalidLine ?? (() => {});
  }

  /** Starts reading; each valid message goes to `callback`. Call at most once. */
  listen(callback: DataCallback): Disposable {
    this.callback = callback;
    const onData = (chunk: Buffer | string): void => {
      this.onData(typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk);
    };
    const onEnd = (): void => {
      this.flushLastLine();
      this.close();
    };
    const onError = (err: unknown): void => {
      this.fireError(err);
      this.close();
    };
    const onClose = (): void => this.close();
    this.input.on('data', onData);
    this.input.on('end', onEnd);
    this.input.on('error', onError);
    this.input.on('close', onClose);
    this.detach = () => {
      this.input.off('data', onData);
      this.input.off('end', onEnd);
      this.input.off('error', onError);
      this.input.off('close', onClose);
    };
    return Disposable.create(() => this.stop());
  }

  /** Stops reading and drops any partial line; the stream itself is left open. */
  override dispose(): void {
    this.stop();
    super.dispose();
  }

  private stop(): void {
    this.detach?.();
    this.detach = undefined;
    this.callback = undefined;
    this.pieces = [];
    this.pendingBytes = 0;
  }

  private close(): void {
    if (this.closed) return;
    this.closed = true;
    this.fireClose();
  }

  private onData(chunk: Buffer): void {
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(NEWLINE, start);
      if (nl === -1) {
        this.append(chunk.subarray(start));
        return;
      }
      this.append(chunk.subarray(start, nl));
      this.endLine();
      start = nl + 1;
    }
  }

  private append(piece: Buffer): void {
    if (piece.length === 0 || this.discarding) return;
    // One spare byte for the '\r' of a CRLF ending, which is not part of the line.
    if (this.pendingBytes + piece.length > this.maxLineBytes + 1) {
      this.discarding = true;
      this.pieces = [];
      this.pendingBytes = 0;
      this.reportTooLarge();
      return;
    }
    this.pieces.push(piece);
    this.pendingBytes += piece.length;
  }

  private endLine(): void {
    if (this.discarding) {
      this.discarding = false;
      return;
    }
    const pieces = this.pieces;
    const length = this.pendingBytes;
    this.pieces = [];
    this.pendingBytes = 0;
    if (length === 0) return;
    this.handleLine(pieces.length === 1 ? pieces[0]! : Buffer.concat(pieces, length));
  }

  /** A last line without a trailing newline still counts when the stream ends. */
  private flushLastLine(): void {
    if (this.pendingBytes > 0 || this.discarding) this.endLine();
  }

  private handleLine(raw: Buffer): void {
    const line = raw[raw.length - 1] === CARRIAGE_RETURN ? raw.subarray(0, -1) : raw;
    if (line.length > this.maxLineBytes) {
      this.reportTooLarge();
      return;
    }
    const text = line.toString('utf8');
    if (text.trim() === '') return;
    const tooDeep = exceedsNestingDepth(line, this.maxDepth);
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (err) {
      const detail = tooDeep ? `nesting deeper than ${this.maxDepth}` : errorMessage(err);
      this.report({ kind: 'parse', message: `Parse error: ${detail}`, id: null });
      return;
    }
    keepBigIds(value, text);
    const result = toMessage(value);
    if ('invalid' in result) {
      this.report(result.invalid);
    } else if (tooDeep) {
      this.report({
        kind: 'too_deep',
        message: `JSON nesting exceeds ${this.maxDepth} levels`,
        id: idOf(value),
      });
    } else {
      this.deliver(result.message);
    }
  }

  private reportTooLarge(): void {
    this.report({ kind: 'too_large', message: `Line exceeds ${this.maxLineBytes} bytes`, id: null });
  }

  private deliver(message: Message): void {
    try {
      this.callback?.(message);
    } catch (err) {
      this.fireError(err);
    }
  }

  private report(info: InvalidLineInfo): void {
    try {
      this.onInvalidLine(info);
    } catch (err) {
      this.fireError(err);
    }
  }
}

type Checked = { message: Message } | { invalid: InvalidLineInfo };

/** Checks the shape of a parsed line and fills in `jsonrpc`. */
function toMessage(value: unknown): Checked {
  if (Array.isArray(value)) return invalid('Batch requests are not supported', null);
  if (value === null || typeof value !== 'object') {
    return invalid('A message must be a JSON object', null);
  }
  const obj = value as Record<string, unknown>;
  const id = idOf(obj);
  if (obj.jsonrpc === undefined) obj.jsonrpc = '2.0';
  else if (obj.jsonrpc !== '2.0') return invalid('jsonrpc must be "2.0"', id);

  if ('method' in obj) {
    if (typeof obj.method !== 'string') return invalid('method must be a string', id);
    if ('id' in obj && id === null) {
      return invalid('id must be a string or an integer', null);
    }
    if (obj.params === null) delete obj.params;
    if (obj.params !== undefined && typeof obj.params !== 'object') {
      return invalid('params must be an object or an array', id);
    }
    return { message: obj as unknown as Message };
  }
  if (id !== null && ('result' in obj || 'error' in obj)) {
    return { message: obj as unknown as Message };
  }
  if ('id' in obj && obj.id === null && 'error' in obj) {
    // The client's report of our own bad message: nothing to answer.
    return { message: obj as unknown as Message };
  }
  return invalid('A message needs a method, or an id with a result or an error', id);
}

function invalid(message: string, id: WireId | null): Checked {
  return { invalid: { kind: 'invalid_request', message, id } };
}

/**
 * Integer ids beyond 2^53 (the message's, and the one a `$/cancelRequest` names) become
 * {@link LosslessId}s holding the digits the client sent, so they are echoed exactly.
 * Runs only when `JSON.parse` produced an unsafe number there, so ordinary lines pay nothing.
 */
function keepBigIds(value: unknown, text: string): void {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return;
  const obj = value as Record<string, unknown>;
  if (isUnsafeNumber(obj.id)) {
    const raw = rawIntegerAt(text, ['id']);
    if (raw !== undefined) obj.id = new LosslessId(raw);
  }
  const params = obj.params as Record<string, unknown> | undefined;
  if (obj.method === '$/cancelRequest' && params !== null && typeof params === 'object' && isUnsafeNumber(params.id)) {
    const raw = rawIntegerAt(text, ['params', 'id']);
    if (raw !== undefined) params.id = new LosslessId(raw);
  }
}

function isUnsafeNumber(v: unknown): boolean {
  return typeof v === 'number' && !Number.isSafeInteger(v);
}

/** The message's id when it is a usable request id (string or integer), else null. */
function idOf(value: unknown): WireId | null {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return null;
  const id = (value as Record<string, unknown>).id;
  if (typeof id === 'string' || id instanceof LosslessId) return id;
  if (typeof id === 'number' && Number.isSafeInteger(id)) return id;
  return null;
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
