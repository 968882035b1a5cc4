import {
  Disposable,
  Message,
  type DataCallback,
  type MessageReader,
  type MessageWriter,
  type NotificationMessage,
  type RequestMessage,
  type ResponseMessage,
} from 'vscode-jsonrpc';
import { LosslessId, type WireId } from './lossless-id.js';

type RequestId = WireId;

const CANCEL_METHOD = '$/cancelRequest';

/**
 * Gives every incoming request a fresh numeric id before vscode-jsonrpc sees it, and puts the
 * client's id back on the response.
 *
 * Why: vscode-jsonrpc queues incoming requests in a map keyed by `'req-' + id`, so two queued
 * requests with the same id, or with ids `1` and `"1"`, overwrite each other and one of them is
 * never answered. Unique internal ids keep the promise that every request gets one response.
 * `$/cancelRequest` is translated the same way (to the latest request with that id); a cancel
 * for an unknown id, or without a usable id (which would throw inside vscode-jsonrpc), is dropped.
 * Ids beyond 2^53 arrive as {@link LosslessId}s and go back out as the same object, digits intact.
 */
export class RequestIdRemapper {
  private nextId = 1;
  /** internal id → the client's id */
  private readonly original = new Map<number, RequestId>();
  /** typed key of the client's id → latest internal id */
  private readonly latest = new Map<string, number>();

  /** Requests currently mapped (answered ones are forgotten). */
  get size(): number {
    return this.original.size;
  }

  /** Rewrites an incoming message; `undefined` means drop it. */
  inbound(msg: Message): Message | undefined {
    if (isRequest(msg)) {
      const clientId = msg.id;
      const internal = this.nextId++;
      this.original.set(internal, clientId);
      this.latest.set(keyOf(clientId), internal);
      return { ...msg, id: internal } as RequestMessage;
    }
    if (Message.isNotification(msg) && msg.method === CANCEL_METHOD) {
      const params = msg.params as { id?: unknown } | undefined;
      const id = params?.id;
      if (typeof id !== 'string' && typeof id !== 'number' && !(id instanceof LosslessId)) return undefined;
      const internal = this.latest.get(keyOf(id));
      if (internal === undefined) return undefined;
      return { ...msg, params: { id: internal } } as NotificationMessage;
    }
    return msg;
  }

  /** Restores the client's id on a response to one of its requests. */
  outbound(msg: Message): Message {
    if (!Message.isResponse(msg) || typeof msg.id !== 'number') return msg;
    const clientId = this.original.get(msg.id);
    if (clientId === undefined) return msg;
    this.original.delete(msg.id);
    const key = keyOf(clientId);
    if (this.latest.get(key) === msg.id) this.latest.delete(key);
    return { ...msg, id: clientId } as ResponseMessage;
  }

  /** A reader that delivers `reader`'s messages through {@link inbound}. */
  wrapReader(reader: MessageReader): MessageReader {
    return {
      onError: reader.onError,
      onClose: reader.onClose,
      onPartialMessage: reader.onPartialMessage,
      listen: (callback: DataCallback): Disposable =>
        reader.listen((msg) => {
          const mapped = this.inbound(msg);
          if (mapped !== undefined) callback(mapped);
        }),
      dispose: () => reader.dispose(),
    };
  }

  /** A writer that sends messages through {@link outbound} into `writer`, synchronously, so order holds. */
  wrapWriter(writer: MessageWriter): MessageWriter {
    return {
      onError: writer.onError,
      onClose: writer.onClose,
      write: (msg: Message) => writer.write(this.outbound(msg)),
      end: () => writer.end(),
      dispose: () => writer.dispose(),
    };
  }
}

/** A request, its id a string, a number or a {@link LosslessId} (the reader has checked which). */
function isRequest(msg: Message): msg is Message & { method: string; id: RequestId } {
  if (Message.isRequest(msg)) return true;
  const m = msg as { method?: unknown; id?: unknown };
  return typeof m.method === 'string' && m.id instanceof LosslessId;
}

/** `1` and `"1"` are different ids; a {@link LosslessId} is keyed by its digits. */
export function keyOf(id: RequestId): string {
  return id instanceof LosslessId ? `integer:${id.raw}` : `${typeof id}:${id}`;
}
