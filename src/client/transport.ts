import type { ChildProcess } from 'node:child_process';
import { connect as netConnect, type Socket } from 'node:net';

/**
 * One JSON-RPC message per frame: a line on stdio and unix sockets, a text message on a websocket.
 * The client reads and writes text; the transport frames it.
 */
export interface Transport {
  send(text: string): void;
  onMessage(cb: (text: string) => void): void;
  /** Called once when the peer is gone (or the transport was closed). */
  onClose(cb: (reason: string) => void): void;
  /** Stops sending and resolves once the peer is gone. */
  close(): Promise<void>;
}

/** Splits a byte stream into lines (NDJSON). */
class LineSplitter {
  private buf = '';
  constructor(private readonly emit: (line: string) => void) {}
  push(chunk: string): void {
    this.buf += chunk;
    let nl: number;
    while ((nl = this.buf.indexOf('\n')) >= 0) {
      const line = this.buf.slice(0, nl);
      this.buf = this.buf.slice(nl + 1);
      if (line.trim() !== '') this.emit(line);
    }
  }
}

/** A spawned server's stdin/stdout. `close()` ends stdin and waits for the process to exit. */
export class StdioTransport implements Transport {
  private readonly messageCbs: ((t: string) => void)[] = [];
  private readonly closeCbs: ((r: string) => void)[] = [];
  private closed = false;
  readonly exited: Promise<{ code: number | null; signal: string | null }>;

  constructor(readonly child: ChildProcess) {
    const lines = new LineSplitter((l) => this.messageCbs.forEach((cb) => cb(l)));
    child.stdout!.setEncoding('utf8');
    child.stdout!.on('data', (c: string) => lines.push(c));
    // A write to a dead child must not crash the client.
    child.stdin!.on('error', () => undefined);
    this.exited = new Promise((resolve) =>
      child.once('exit', (code, signal) => {
        this.fireClose(`server exited (code ${code}, signal ${signal})`);
        resolve({ code, signal });
      }),
    );
  }

  send(text: string): void {
    if (!this.child.stdin!.writable) return;
    this.child.stdin!.write(text + '\n');
  }
  onMessage(cb: (text: string) => void): void {
    this.messageCbs.push(cb);
  }
  onClose(cb: (reason: string) => void): void {
    this.closeCbs.push(cb);
  }
  async close(): Promise<void> {
    this.child.stdin!.end();
    await this.exited;
  }
  private fireClose(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    for (const cb of this.closeCbs) cb(reason);
  }
}

/** NDJSON over a connected socket (a unix socket of `agentd app-server --listen unix:PATH`). */
export class SocketTransport implements Transport {
  private readonly messageCbs: ((t: string) => void)[] = [];
  private readonly closeCbs: ((r: string) => void)[] = [];
  private closed = false;
  private readonly gone: Promise<void>;

  constructor(private readonly socket: Socket) {
    const lines = new LineSplitter((l) => this.messageCbs.forEach((cb) => cb(l)));
    socket.setEncoding('utf8');
    socket.on('data', (c: string) => lines.push(c));
    socket.on('error', () => undefined);
    this.gone = new Promise((resolve) =>
      socket.once('close', () => {
        this.fireClose('connection closed');
        resolve();
      }),
    );
  }

  static connect(path: string): Promise<SocketTransport> {
    return new Promise((resolve, reject) => {
      const s = netConnect(path);
      s.once('connect', () => {
        s.off('error', reject);
        resolve(new SocketTransport(s));
      });
      s.once('error', reject);
    });
  }

  send(text: string): void {
    if (!this.socket.writable) return;
    this.socket.write(text + '\n');
  }
  onMessage(cb: (text: string) => void): void {
    this.messageCbs.push(cb);
  }
  onClose(cb: (reason: string) => void): void {
    this.closeCbs.push(cb);
  }
  async close(): Promise<void> {
    this.socket.end();
    await this.gone;
  }
  /** Drops the connection at once (no orderly end). */
  destroy(): void {
    this.socket.destroy();
  }
  private fireClose(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    for (const cb of this.closeCbs) cb(reason);
  }
}
