import WebSocket from 'ws';
import type { Transport } from './transport.js';

/** One JSON-RPC message per websocket text message (`agentd app-server --listen ws://…`). */
export class WebSocketTransport implements Transport {
  private readonly messageCbs: ((t: string) => void)[] = [];
  private readonly closeCbs: ((r: string) => void)[] = [];
  private closed = false;
  private readonly gone: Promise<void>;

  constructor(private readonly ws: WebSocket) {
    ws.on('message', (data, isBinary) => {
      if (isBinary) return;
      const text = Array.isArray(data) ? Buffer.concat(data).toString('utf8') : Buffer.from(data as ArrayBuffer).toString('utf8');
      for (const cb of this.messageCbs) cb(text);
    });
    ws.on('error', () => undefined);
    this.gone = new Promise((resolve) =>
      ws.once('close', (code, reason) => {
        this.fireClose(`websocket closed (${code}${reason.length ? `: ${reason.toString()}` : ''})`);
        resolve();
      }),
    );
  }

  /** Opens a websocket; rejects when the server refuses it (e.g. HTTP 401 without the token). */
  static connect(url: string, token?: string): Promise<WebSocketTransport> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, { headers: token ? { authorization: `Bearer ${token}` } : {} });
      ws.once('open', () => {
        ws.off('error', reject);
        resolve(new WebSocketTransport(ws));
      });
      ws.once('unexpected-response', (_req, res) => {
        ws.off('error', reject);
        reject(new Error(`websocket refused: HTTP ${res.statusCode}`));
        res.resume();
      });
      ws.once('error', reject);
    });
  }

  send(text: string): void {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.send(text);
  }
  onMessage(cb: (text: string) => void): void {
    this.messageCbs.push(cb);
  }
  onClose(cb: (reason: string) => void): void {
    this.closeCbs.push(cb);
  }
  async close(): Promise<void> {
    if (this.ws.readyState === WebSocket.CLOSED) return;
    this.ws.close();
    await this.gone;
  }
  /** Drops the connection at once. */
  destroy(): void {
    this.ws.terminate();
  }
  private fireClose(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    for (const cb of this.closeCbs) cb(reason);
  }
}
