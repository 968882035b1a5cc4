/**
 * `agentd app-server --listen unix:PATH | ws://HOST:PORT`: serves the app-server protocol to
 * several clients at once. A unix socket carries NDJSON (one JSON object per line) and is
 * created 0600; a websocket carries one JSON object per text message and requires
 * `Authorization: Bearer <token>` with the token of `--auth-token-file`. A websocket upgrade
 * carrying an `Origin` header (every browser sends one) is refused: a web page the user visits
 * must not reach the daemon. Only the named address is bound (use 127.0.0.1 or a unix socket to
 * stay on this machine).
 */
import { timingSafeEqual } from 'node:crypto';
import { lstatSync, readFileSync, unlinkSync } from 'node:fs';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { connect, createServer as createNetServer, type Server as NetServer, type Socket } from 'node:net';
import { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { ConfigError } from './config/types.js';
import type { Logger } from './util/logger.js';

export type Listen = { kind: 'unix'; path: string } | { kind: 'ws'; host: string; port: number };

/** Parses one `--listen` value. */
export function parseListen(value: string): Listen {
  if (value.startsWith('unix:')) {
    const path = value.slice('unix:'.length);
    if (!path) throw new ConfigError('--listen unix:PATH needs a path');
    return { kind: 'unix', path };
  }
  if (value.startsWith('ws://')) {
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      throw new ConfigError(`--listen ${value}: not a websocket address`);
    }
    if (!url.port) throw new ConfigError(`--listen ${value}: name a port (ws://127.0.0.1:PORT; 0 picks a free one)`);
    return { kind: 'ws', host: url.hostname.replace(/^\[|\]$/g, ''), port: Number(url.port) };
  }
  throw new ConfigError(`--listen ${value}: use unix:PATH or ws://HOST:PORT`);
}

export interface ListenersOptions {
  listen: string[];
  authTokenFile?: string;
  logger: Logger;
  /** Serves one client connection over these streams. */
  serve(input: Duplex, output: Duplex, label: string): void;
}

export interface Listeners {
  /** The bound addresses (`ws://127.0.0.1:PORT` with the real port). */
  addresses: string[];
  close(): Promise<void>;
}

function readToken(file: string | undefined): Buffer {
  if (!file) throw new ConfigError('a websocket listener needs --auth-token-file (clients present the token as a Bearer token)');
  let token: string;
  try {
    token = readFileSync(file, 'utf8').trim();
  } catch (err) {
    throw new ConfigError(`--auth-token-file ${file}: ${(err as Error).message}`);
  }
  if (token.length < 16) throw new ConfigError(`--auth-token-file ${file}: the token must be at least 16 characters`);
  return Buffer.from(token);
}

function tokenMatches(header: string | undefined, token: Buffer): boolean {
  const m = /^Bearer\s+(.+)$/i.exec(header ?? '');
  if (!m) return false;
  const given = Buffer.from(m[1]!.trim());
  return given.length === token.length && timingSafeEqual(given, token);
}

/**
 * A websocket as a byte stream of NDJSON lines: each text message in is a line, each line out a
 * message. Reading follows the stream's backpressure: while the RPC server holds its input (its
 * answers are not being read), the websocket stops reading too, so a client that only writes
 * fills its own buffers, not the daemon's memory.
 */
function wsStream(ws: WebSocket): Duplex {
  let partial = '';
  const stream = new Duplex({
    read() {
      if (ws.isPaused) ws.resume();
    },
    write(chunk: Buffer | string, _enc, cb) {
      partial += chunk.toString();
      const lines = partial.split('\n');
      partial = lines.pop()!;
      const full = lines.filter((l) => l.length > 0);
      if (full.length === 0 || ws.readyState !== ws.OPEN) return cb();
      // Completes once the last message went to the socket: backpressure reaches the writer.
      full.forEach((l, i) => ws.send(l, i === full.length - 1 ? (err) => cb(err ?? null) : undefined));
    },
    final(cb) {
      ws.close();
      cb();
    },
    destroy(err, cb) {
      ws.terminate();
      cb(err);
    },
  });
  ws.on('message', (data, isBinary) => {
    if (isBinary) return;
    const line = Buffer.concat([...(Array.isArray(data) ? data : [Buffer.from(data as ArrayBuffer)]), Buffer.from('\n')]);
    // One message is one JSON value: a raw line break in it can only be whitespace between
    // tokens (a pretty-printing client), never part of a string, so it becomes a space.
    for (let i = 0; i < line.length - 1; i++) if (line[i] === 0x0a || line[i] === 0x0d) line[i] = 0x20;
    if (!stream.push(line)) ws.pause();
  });
  ws.on('close', () => stream.push(null));
  ws.on('error', () => undefined);
  return stream;
}

/** Removes a stale socket file at `path` (refuses a live one or any other file). */
async function clearStaleSocket(path: string): Promise<void> {
  let st;
  try {
    st = lstatSync(path);
  } catch {
    return;
  }
  if (!st.isSocket()) throw new ConfigError(`--listen unix:${path}: the path exists and is not a socket`);
  const live = await new Promise<boolean>((resolve) => {
    const s = connect(path);
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
  if (live) throw new ConfigError(`--listen unix:${path}: another server is listening there`);
  unlinkSync(path);
}

/** Most websocket connections at once (authenticated or not); more are refused at accept. */
const MAX_WS_CONNECTIONS = 256;

/** How long a websocket connection may take to complete its handshake (default 10 s). */
function handshakeTimeoutMs(): number {
  const v = Number(process.env.AGENTD_HANDSHAKE_TIMEOUT_MS);
  return Number.isFinite(v) && v > 0 ? v : 10_000;
}

export async function startListeners(opts: ListenersOptions): Promise<Listeners> {
  const handshakeMs = handshakeTimeoutMs();
  const specs = opts.listen.map(parseListen);
  const token = specs.some((s) => s.kind === 'ws') ? readToken(opts.authTokenFile) : null;
  const servers: (NetServer | HttpServer)[] = [];
  const sockets = new Set<Duplex>();
  const addresses: string[] = [];
  const track = (d: Duplex) => {
    sockets.add(d);
    d.once('close', () => sockets.delete(d));
  };
  for (const spec of specs) {
    if (spec.kind === 'unix') {
      await clearStaleSocket(spec.path);
      const server = createNetServer((socket) => {
        track(socket);
        socket.on('error', (err) => opts.logger.debug({ err }, 'unix client error'));
        opts.serve(socket, socket, 'unix');
      });
      // The socket file is created owner-only: no moment where others could connect.
      const umask = process.umask(0o177);
      try {
        await new Promise<void>((resolve, reject) => {
          server.once('error', reject);
          server.listen(spec.path, () => resolve());
        });
      } finally {
        process.umask(umask);
      }
      // Checked, not chmod-ed: chmod follows a symlink put in the socket's place meanwhile.
      const st = lstatSync(spec.path);
      if (!st.isSocket() || (st.mode & 0o777) !== 0o600) {
        server.close();
        throw new ConfigError(`--listen unix:${spec.path}: the socket was not created owner-only (0600)`);
      }
      servers.push(server);
      addresses.push(`unix:${spec.path}`);
    } else {
      const wss = new WebSocketServer({ noServer: true, maxPayload: 64 << 20 });
      const server = createHttpServer((_req, res) => {
        res.writeHead(426, { 'content-type': 'text/plain' }).end('agentd: websocket only\n');
      });
      // Unauthenticated connections must not pile up: the handshake has a deadline, and the
      // number of connections a cap (file descriptors are shared with the threads' work).
      server.maxConnections = MAX_WS_CONNECTIONS;
      server.headersTimeout = handshakeMs;
      server.requestTimeout = handshakeMs;
      server.on('connection', (socket) => socket.setTimeout(handshakeMs, () => socket.destroy()));
      server.on('upgrade', (req, socket, head) => {
        if (req.headers.origin !== undefined) {
          opts.logger.warn({ remote: req.socket.remoteAddress, origin: req.headers.origin }, 'websocket client refused: sent from a browser page (Origin header)');
          socket.end('HTTP/1.1 403 Forbidden\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
          return;
        }
        if (!tokenMatches(req.headers.authorization, token!)) {
          opts.logger.warn({ remote: req.socket.remoteAddress }, 'websocket client refused: missing or wrong token');
          socket.end('HTTP/1.1 401 Unauthorized\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
          return;
        }
        (socket as Socket).setTimeout(0);
        wss.handleUpgrade(req, socket, head, (ws) => {
          const stream = wsStream(ws);
          track(stream);
          opts.serve(stream, stream, 'ws');
        });
      });
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(spec.port, spec.host, () => resolve());
      });
      const addr = server.address();
      const port = addr && typeof addr === 'object' ? addr.port : spec.port;
      servers.push(server);
      addresses.push(`ws://${spec.host.includes(':') ? `[${spec.host}]` : spec.host}:${port}`);
    }
  }
  return {
    addresses,
    async close() {
      for (const s of sockets) s.destroy();
      await Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
    },
  };
}
