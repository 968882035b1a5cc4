/**
 * The typed client of the app-server v2 protocol (`agentd/client`): spawn a server (agentd or any
 * implementation) or connect to a listening one, send typed requests, read typed notifications,
 * iterate over one thread's notifications, answer approvals with a callback, shut down cleanly.
 * Types come from the daemon's zod method table (type-only: the client carries no daemon code).
 */
import { spawn } from 'node:child_process';
import type { z } from 'zod';
import type {
  ClientRequestMethod,
  ServerNotificationMethod,
  ServerRequestMethod,
  clientRequests,
  serverNotifications,
  serverRequests,
} from '../protocol/app-server/schema/methods.js';
import { agentdBin } from './daemon-client.js';
import { SocketTransport, StdioTransport, type Transport } from './transport.js';

export type { ClientRequestMethod, ServerNotificationMethod, ServerRequestMethod };
/** What a client sends as the params of `M` (optional fields may be left out). */
export type RequestParams<M extends ClientRequestMethod> = z.input<(typeof clientRequests)[M]['params']>;
/** The result of `M` as the server sends it. */
export type RequestResult<M extends ClientRequestMethod> = z.output<(typeof clientRequests)[M]['result']>;
/** The params of notification `M`. */
export type NotificationParams<M extends ServerNotificationMethod> = z.output<(typeof serverNotifications)[M]>;
/** Any server notification, discriminated by `method`. */
export type Notification = { [M in ServerNotificationMethod]: { method: M; params: NotificationParams<M> } }[ServerNotificationMethod];
/** A server → client request (an approval), discriminated by `method`. */
export type ServerRequest = {
  [M in ServerRequestMethod]: { id: string | number; method: M; params: z.output<(typeof serverRequests)[M]['params']> };
}[ServerRequestMethod];
/** The answer to server request `M`. */
export type ServerRequestAnswer<M extends ServerRequestMethod> = z.input<(typeof serverRequests)[M]['result']>;
/** Answers an approval; `method` tells which answer type applies. */
export type ApprovalHandler = (req: ServerRequest) => Promise<ServerRequestAnswer<ServerRequestMethod>> | ServerRequestAnswer<ServerRequestMethod>;

/** A JSON-RPC message as read from the wire (untyped: for logging, raw checks and unknown methods). */
export interface RawMessage {
  jsonrpc?: unknown;
  id?: string | number | null;
  method?: string;
  params?: unknown;
  result?: unknown;
  error?: { code: number; message: string; data?: unknown };
}

/** An error answer to a request. */
export class RpcError extends Error {
  constructor(
    readonly code: number,
    message: string,
    readonly data?: unknown,
  ) {
    super(`${message} (${code})`);
  }
  /** `data.code`, the agentd error code (`thread_not_found`, …), when there is one. */
  get appCode(): string | undefined {
    const d = this.data as { code?: unknown } | undefined;
    return typeof d?.code === 'string' ? d.code : undefined;
  }
}

export interface SpawnOptions {
  /** The server command, run by /bin/sh (`exec` prepended), e.g. `codex app-server`. Default: this package's `agentd app-server`. */
  command?: string;
  /** Extra arguments for the default agentd command (e.g. `-c key=value`). */
  args?: string[];
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Where the server's stderr goes: a callback per chunk, or ignored (default). */
  onStderr?: (text: string) => void;
  /**
   * Run the server in a process group of its own, so `kill()` reaches every process of it (a
   * launcher and the binary it starts, as `codex`). Such a server misses a terminal's Ctrl-C; it
   * still exits when its stdin closes.
   */
  processGroup?: boolean;
}

export interface ConnectOptions {
  /** Websocket listeners require this token (sent as `Authorization: Bearer …`). */
  token?: string;
}

interface Pending {
  resolve(v: unknown): void;
  reject(e: unknown): void;
}


export class AgentdClient {
  private nextId = 1;
  private readonly pending = new Map<string | number, Pending>();
  private readonly handlers = new Map<string, Set<(params: never) => void>>();
  private readonly anyHandlers = new Set<(n: Notification) => void>();
  private readonly sentHandlers = new Set<(msg: unknown) => void>();
  private readonly rawHandlers = new Set<(m: RawMessage | null, text: string) => void>();
  private approvalHandler: ApprovalHandler | null = null;
  private closedReason: string | null = null;
  private readonly closeCbs = new Set<(reason: string) => void>();
  /** The spawned server leads its own process group (`SpawnOptions.processGroup`). */
  private processGroup = false;

  constructor(readonly transport: Transport) {
    transport.onMessage((t) => this.onText(t));
    transport.onClose((reason) => {
      this.closedReason = reason;
      for (const p of this.pending.values()) p.reject(new Error(`connection closed: ${reason}`));
      this.pending.clear();
      for (const cb of this.closeCbs) cb(reason);
    });
  }

  /** Spawns a server speaking the protocol on stdio. */
  static spawn(opts: SpawnOptions = {}): AgentdClient {
    const common = { cwd: opts.cwd, env: opts.env ?? process.env, stdio: ['pipe', 'pipe', 'pipe'] as ['pipe', 'pipe', 'pipe'], detached: opts.processGroup ?? false };
    const child = opts.command
      ? spawn('/bin/sh', ['-c', `exec ${opts.command}`], common)
      : spawn(process.execPath, [agentdBin(), 'app-server', ...(opts.args ?? [])], common);
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (t: string) => opts.onStderr?.(t));
    const client = new AgentdClient(new StdioTransport(child));
    client.processGroup = opts.processGroup ?? false;
    return client;
  }


  /** Connects to a listening daemon: `unix:/path/to.sock` or `ws://127.0.0.1:PORT`. */
  static async connect(address: string, opts: ConnectOptions = {}): Promise<AgentdClient> {
    if (address.startsWith('unix:')) return new AgentdClient(await SocketTransport.connect(address.slice('unix:'.length)));
    if (address.startsWith('ws://') || address.startsWith('wss://')) {
      const { WebSocketTransport } = await import('./ws-transport.js');
      return new AgentdClient(await WebSocketTransport.connect(address, opts.token));
    }
    throw new Error(`unsupported address ${address} (unix:PATH or ws://HOST:PORT)`);
  }

  /** The spawned server's process id (stdio transport only). */
  get pid(): number | undefined {
    return this.transport instanceof StdioTransport ? this.transport.child.pid : undefined;
  }

  get closed(): boolean {
    return this.closedReason !== null;
  }

  /** `initialize`, then the `initialized` notification. */
  async initialize(
    clientInfo: RequestParams<'initialize'>['clientInfo'] = { name: 'agentd-client', version: '0' },
    capabilities?: RequestParams<'initialize'>['capabilities'],
  ): Promise<RequestResult<'initialize'>> {
    const r = await this.request('initialize', { clientInfo, capabilities });
    this.notify('initialized');
    return r;
  }

  /** Sends a typed request; rejects with `RpcError` on an error answer. */
  request<M extends ClientRequestMethod>(method: M, params: RequestParams<M>): Promise<RequestResult<M>> {
    return this.requestRaw(method, params) as Promise<RequestResult<M>>;
  }

  /** Sends any request (an unknown method, deliberately bad params). */
  requestRaw(method: string, params?: unknown): Promise<unknown> {
    if (this.closedReason !== null) return Promise.reject(new Error(`connection closed: ${this.closedReason}`));
    const id = this.nextId++;
    const p = new Promise<unknown>((resolve, reject) => this.pending.set(id, { resolve, reject }));
    this.send({ jsonrpc: '2.0', id, method, ...(params === undefined ? {} : { params }) });
    return p;
  }

  notify(method: string, params?: unknown): void {
    this.send({ jsonrpc: '2.0', method, ...(params === undefined ? {} : { params }) });
  }

  send(msg: unknown): void {
    for (const h of this.sentHandlers) h(msg);
    this.transport.send(JSON.stringify(msg));
  }

  /** Calls `h` with every message this client sends (before it is written). */
  onSent(h: (msg: unknown) => void): () => void {
    this.sentHandlers.add(h);
    return () => this.sentHandlers.delete(h);
  }

  /** Writes text as it is (one frame; a newline is added on line transports). */
  sendRaw(text: string): void {
    this.transport.send(text);
  }

  /** Calls `h` for each notification `method`; returns an unsubscribe function. */
  on<M extends ServerNotificationMethod>(method: M, h: (params: NotificationParams<M>) => void): () => void {
    let set = this.handlers.get(method);
    if (!set) this.handlers.set(method, (set = new Set()));
    set.add(h as (p: never) => void);
    return () => set.delete(h as (p: never) => void);
  }

  /** Calls `h` for every notification. */
  onNotification(h: (n: Notification) => void): () => void {
    this.anyHandlers.add(h);
    return () => this.anyHandlers.delete(h);
  }

  /** Calls `h` for every frame read (parsed, or null when it is not JSON). */
  onRaw(h: (m: RawMessage | null, text: string) => void): () => void {
    this.rawHandlers.add(h);
    return () => this.rawHandlers.delete(h);
  }

  onClose(cb: (reason: string) => void): () => void {
    this.closeCbs.add(cb);
    return () => this.closeCbs.delete(cb);
  }

  /** Answers approvals. Without a handler every approval is declined. */
  onApproval(h: ApprovalHandler | null): void {
    this.approvalHandler = h;
  }

  /** Resolves with the first notification `method` whose params match `pred`. */
  waitFor<M extends ServerNotificationMethod>(method: M, pred: (p: NotificationParams<M>) => boolean = () => true): Promise<NotificationParams<M>> {
    return new Promise((resolve, reject) => {
      const offClose = this.onClose((r) => {
        off();
        reject(new Error(`connection closed while waiting for ${method}: ${r}`));
      });
      const off = this.on(method, (p) => {
        if (!pred(p)) return;
        off();
        offClose();
        resolve(p);
      });
    });
  }

  /**
   * The notifications of one thread (those whose params carry this `threadId`), in order, from now
   * on. Ends when the thread closes, the connection closes, or the loop breaks.
   */
  threadNotifications(threadId: string): AsyncIterableIterator<Notification> {
    return this.iterate((n) => threadIdOf(n) === threadId, (n) => n.method === 'thread/closed');
  }

  /** The notifications of one turn, ending with (and including) its `turn/completed`. */
  turnNotifications(threadId: string, turnId: string): AsyncIterableIterator<Notification> {
    return this.iterate(
      (n) => threadIdOf(n) === threadId,
      (n) => n.method === 'turn/completed' && n.params.turn.id === turnId,
    );
  }

  /** Starts a turn with one text input and collects its notifications until it completes. */
  async runTurn(
    threadId: string,
    text: string,
    extra: Partial<RequestParams<'turn/start'>> = {},
  ): Promise<{ turn: NotificationParams<'turn/completed'>['turn']; notifications: Notification[] }> {
    const seen: Notification[] = [];
    const off = this.onNotification((n) => {
      if (threadIdOf(n) === threadId) seen.push(n);
    });
    try {
      const started = await this.request('turn/start', { threadId, input: [{ type: 'text', text }], ...extra } as RequestParams<'turn/start'>);
      const done = await this.waitFor('turn/completed', (p) => p.threadId === threadId && p.turn.id === started.turn.id);
      return { turn: done.turn, notifications: seen };
    } finally {
      off();
    }
  }

  /** Ends the connection; a spawned server is expected to exit (SIGKILL after `graceMs`). */
  async close(graceMs = 5000): Promise<void> {
    const t = this.transport;
    if (t instanceof StdioTransport) {
      const timer = setTimeout(() => void this.kill('SIGKILL'), graceMs);
      try {
        await t.close();
      } finally {
        clearTimeout(timer);
      }
      return;
    }
    await t.close();
  }

  /** Kills a spawned server (stdio transport) and waits for it to exit. */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const t = this.transport;
    if (!(t instanceof StdioTransport)) throw new Error('kill: not a spawned server');
    if (t.child.exitCode === null && t.child.signalCode === null) {
      if (this.processGroup && t.child.pid !== undefined) {
        try {
          process.kill(-t.child.pid, signal);
        } catch {
          t.child.kill(signal);
        }
      } else t.child.kill(signal);
    }
    await t.exited;
  }

  private iterate(match: (n: Notification) => boolean, last: (n: Notification) => boolean): AsyncIterableIterator<Notification> {
    const queue: Notification[] = [];
    let done = false;
    let wake: (() => void) | null = null;
    const finish = () => {
      done = true;
      off();
      offClose();
      wake?.();
    };
    const off = this.onNotification((n) => {
      if (done || !match(n)) return;
      queue.push(n);
      if (last(n)) {
        off();
        offClose();
        done = true;
      }
      wake?.();
    });
    const offClose = this.onClose(() => finish());
    const it: AsyncIterableIterator<Notification> = {
      next: async () => {
        while (queue.length === 0 && !done) await new Promise<void>((r) => (wake = r));
        wake = null;
        const v = queue.shift();
        return v ? { value: v, done: false } : { value: undefined, done: true };
      },
      return: async () => {
        finish();
        queue.length = 0;
        return { value: undefined, done: true };
      },
      [Symbol.asyncIterator]: () => it,
    };
    return it;
  }

  private onText(text: string): void {
    let msg: RawMessage | null = null;
    try {
      const v: unknown = JSON.parse(text);
      if (v && typeof v === 'object' && !Array.isArray(v)) msg = v as RawMessage;
    } catch {
      msg = null;
    }
    for (const h of this.rawHandlers) h(msg, text);
    if (!msg) return;
    const hasId = msg.id !== undefined && msg.id !== null;
    if (msg.method === undefined) {
      if (!hasId) return;
      const p = this.pending.get(msg.id!);
      if (!p) return;
      this.pending.delete(msg.id!);
      if (msg.error) p.reject(new RpcError(msg.error.code, msg.error.message, msg.error.data));
      else p.resolve(msg.result);
      return;
    }
    if (hasId) {
      void this.answer(msg as ServerRequest);
      return;
    }
    const n = { method: msg.method, params: msg.params } as Notification;
    for (const h of this.handlers.get(msg.method) ?? []) (h as (p: unknown) => void)(msg.params);
    for (const h of this.anyHandlers) h(n);
  }

  private async answer(req: ServerRequest): Promise<void> {
    try {
      const result = this.approvalHandler ? await this.approvalHandler(req) : { decision: 'decline' };
      this.send({ jsonrpc: '2.0', id: req.id, result });
    } catch (err) {
      this.send({ jsonrpc: '2.0', id: req.id, error: { code: -32603, message: err instanceof Error ? err.message : String(err) } });
    }
  }
}

/** The `threadId` a notification's params carry, if any. */
export function threadIdOf(n: Notification): string | undefined {
  const p = n.params as { threadId?: unknown; thread?: { id?: unknown } } | undefined;
  if (typeof p?.threadId === 'string') return p.threadId;
  if (n.method === 'thread/started' && typeof p?.thread?.id === 'string') return p.thread.id;
  return undefined;
}


