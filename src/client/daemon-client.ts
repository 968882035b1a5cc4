import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** A JSON-RPC message as read from the daemon's stdout. */
export interface WireMessage {
  jsonrpc?: string;
  id?: string | number | null;
  method?: string;
  params?: any; // eslint-disable-line @typescript-eslint/no-explicit-any
  result?: any; // eslint-disable-line @typescript-eslint/no-explicit-any
  error?: { code: number; message: string; data?: any }; // eslint-disable-line @typescript-eslint/no-explicit-any
}

export class RpcResponseError extends Error {
  constructor(readonly error: { code: number; message: string; data?: any }) { // eslint-disable-line @typescript-eslint/no-explicit-any
    super(`${error.message} (${error.code})`);
  }
}

/** Path of the `bin/agentd` launcher of this package (from src/ or dist/src/). */
export function agentdBin(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'bin', 'agentd'))) return join(dir, 'bin', 'agentd');
    dir = dirname(dir);
  }
  throw new Error('cannot find bin/agentd above ' + fileURLToPath(import.meta.url));
}

export interface SpawnOptions {
  args?: string[];
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Called for each stderr chunk (logs). */
  onStderr?: (text: string) => void;
}

type ServerRequestHandler = (method: string, params: any) => unknown | Promise<unknown>; // eslint-disable-line @typescript-eslint/no-explicit-any

/**
 * A small client for a spawned agentd: sends requests, collects every message it reads, and
 * lets callers wait for notifications by predicate. Used by the demo, the tests and the bench.
 */
export class DaemonClient {
  readonly messages: WireMessage[] = [];
  readonly stderr: string[] = [];
  private nextId = 1;
  private buf = '';
  private readonly pending = new Map<string | number, { resolve(v: unknown): void; reject(e: unknown): void }>();
  private waiters: { pred: (m: WireMessage) => boolean; resolve(m: WireMessage): void; from: number }[] = [];
  private serverRequestHandler: ServerRequestHandler | null = null;
  private readonly exitPromise: Promise<{ code: number | null; signal: string | null }>;
  private listeners = new Set<(m: WireMessage) => void>();

  constructor(readonly child: ChildProcess) {
    child.stdout!.setEncoding('utf8');
    child.stdout!.on('data', (chunk: string) => this.onData(chunk));
    child.stderr?.setEncoding('utf8');
    this.exitPromise = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
    child.once('exit', (code, signal) => {
      const tail = this.stderr.join('').slice(-2000);
      for (const p of this.pending.values()) p.reject(new Error(`agentd exited (code ${code}, signal ${signal})${tail ? `: ${tail}` : ''}`));
      this.pending.clear();
    });
  }

  static spawn(opts: SpawnOptions = {}): DaemonClient {
    const child = spawn(process.execPath, [agentdBin(), ...(opts.args ?? [])], {
      cwd: opts.cwd,
      env: opts.env ?? process.env,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const c = new DaemonClient(child);
    child.stderr!.on('data', (t: string) => {
      c.stderr.push(t);
      opts.onStderr?.(t);
    });
    return c;
  }

  /** Answers the daemon's requests (approvals). Without a handler they get `decline`. */
  onServerRequest(h: ServerRequestHandler): void {
    this.serverRequestHandler = h;
  }

  /** Called for every message read. */
  onMessage(l: (m: WireMessage) => void): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }

  /** Sends a request and resolves with its result (rejects with RpcResponseError). */
  request<T = any>(method: string, params?: unknown): Promise<T> { // eslint-disable-line @typescript-eslint/no-explicit-any
    const id = this.nextId++;
    const p = new Promise<T>((resolve, reject) => this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject }));
    this.send({ jsonrpc: '2.0', id, method, params });
    return p;
  }

  notify(method: string, params?: unknown): void {
    this.send({ jsonrpc: '2.0', method, params });
  }

  send(msg: unknown): void {
    this.writeRaw(JSON.stringify(msg) + '\n');
  }

  writeRaw(text: string | Buffer): void {
    this.child.stdin!.write(text);
  }

  /** Resolves with the first message (from index `from` on) matching `pred`. */
  waitFor(pred: (m: WireMessage) => boolean, from = 0): Promise<WireMessage> {
    for (let i = from; i < this.messages.length; i++) if (pred(this.messages[i]!)) return Promise.resolve(this.messages[i]!);
    return new Promise((resolve) => this.waiters.push({ pred, resolve, from }));
  }

  /** Waits for a notification by method (and optional params predicate). */
  waitForNotification(method: string, pred: (params: any) => boolean = () => true, from = 0): Promise<WireMessage> { // eslint-disable-line @typescript-eslint/no-explicit-any
    return this.waitFor((m) => m.method === method && m.id === undefined && pred(m.params), from);
  }

  notifications(method?: string): WireMessage[] {
    return this.messages.filter((m) => m.method !== undefined && m.id === undefined && (!method || m.method === method));
  }

  /** initialize + initialized. */
  async initialize(clientInfo = { name: 'agentd-client', version: '0' }, capabilities?: unknown): Promise<any> { // eslint-disable-line @typescript-eslint/no-explicit-any
    const r = await this.request('initialize', { clientInfo, capabilities });
    this.notify('initialized');
    return r;
  }

  exited(): Promise<{ code: number | null; signal: string | null }> {
    return this.exitPromise;
  }

  /** Closes stdin and waits for the daemon to exit. */
  async close(): Promise<{ code: number | null; signal: string | null }> {
    this.child.stdin!.end();
    return this.exitPromise;
  }

  kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<{ code: number | null; signal: string | null }> {
    this.child.kill(signal);
    return this.exitPromise;
  }

  private onData(chunk: string): void {
    // Only the new chunk is searched for the end of a line: a megabyte answer arriving in 64 KiB
    // chunks is scanned once, not once per chunk.
    const nlInChunk = chunk.indexOf('\n');
    if (nlInChunk < 0) {
      this.buf += chunk;
      return;
    }
    this.buf += chunk;
    let nl = this.buf.length - chunk.length + nlInChunk;
    while (nl >= 0) {
      const line = this.buf.slice(0, nl);
      this.buf = this.buf.slice(nl + 1);
      nl = this.buf.indexOf('\n');
      if (!line.trim()) continue;
      let msg: WireMessage;
      try {
        msg = JSON.parse(line) as WireMessage;
      } catch {
        msg = { method: '__unparseable__', params: line };
      }
      this.dispatch(msg);
    }
  }

  private dispatch(msg: WireMessage): void {
    this.messages.push(msg);
    for (const l of this.listeners) l(msg);
    if (msg.method === undefined && msg.id !== undefined && msg.id !== null) {
      const p = this.pending.get(msg.id);
      if (p) {
        this.pending.delete(msg.id);
        if (msg.error) p.reject(new RpcResponseError(msg.error));
        else p.resolve(msg.result);
      }
    } else if (msg.method !== undefined && msg.id !== undefined && msg.id !== null) {
      void this.answerServerRequest(msg);
    }
    const idx = this.messages.length - 1;
    this.waiters = this.waiters.filter((w) => {
      if (idx >= w.from && w.pred(msg)) {
        w.resolve(msg);
        return false;
      }
      return true;
    });
  }

  private async answerServerRequest(msg: WireMessage): Promise<void> {
    try {
      const result = this.serverRequestHandler ? await this.serverRequestHandler(msg.method!, msg.params) : { decision: 'decline' };
      this.send({ jsonrpc: '2.0', id: msg.id, result });
    } catch (err) {
      this.send({ jsonrpc: '2.0', id: msg.id, error: { code: -32603, message: (err as Error).message } });
    }
  }
}
