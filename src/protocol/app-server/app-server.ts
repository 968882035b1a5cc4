import type { Config, ConfigWarning } from '../../config/types.js';
import type { ApprovalDecision, SessionEvent } from '../../core/events.js';
import { SessionError } from '../../core/session-error.js';
import type { ThreadManager } from '../../core/thread-manager.js';
import type { SkillsManager } from '../../skills/index.js';
import type { Logger } from '../../util/logger.js';
import { ConnectionClosedError } from '../../rpc/connection-closed-error.js';
import { RpcError } from '../../rpc/errors.js';
import type { RpcServer } from '../../rpc/rpc-server.js';
import { ConnectionHub, type HubMember } from './hub.js';
import {
  clientRequests,
  isClientRequestMethod,
  serverRequests,
  type ClientRequestMethod,
  type NotificationParams,
  type Params,
  type Result,
  type ServerNotificationMethod,
  type ServerRequestMethod,
  type ServerRequestParams,
  type ServerRequestResult,
} from './schema/methods.js';
import { toNotification } from './notifications.js';
import { createHandlers, type Handler, type HandlerTable } from './handlers/index.js';

/** What the app-server face needs besides the connection. */
export interface AppServerDeps {
  rpc: RpcServer;
  threads: ThreadManager;
  /** The daemon's skills (shared by every thread). */
  skills: SkillsManager;
  config: Config;
  configWarnings: ConfigWarning[];
  logger: Logger;
  version: string;
  /** Set when `main` already answered `initialize` (fast start): the connection is initialized. */
  preInitialized?: { optOutNotificationMethods: string[] } | null;
  /**
   * The daemon's clients, when several connect (listeners): notifications go to every subscriber
   * of a thread, approvals to the turn's owner. Without one this connection is the only client.
   */
  hub?: ConnectionHub;
  /** Runs `command/exec` (no thread). */
  execCommand: (params: { command: string[]; cwd?: string | null; env?: Record<string, string | null> | null; sandboxPolicy?: unknown; timeoutMs?: number | null }) => Promise<{ exitCode: number; stdout: string; stderr: string }>;
}

/** Per-connection state: handshake, opted-out notifications, subscribed threads. */
export interface Connection {
  initialized: boolean;
  optOut: Set<string>;
  subscribed: Set<string>;
  closed: boolean;
}

/**
 * The app-server v2 face: parses each request with its zod schema, calls the ThreadManager or a
 * Session, and turns SessionEvents into notifications and approval requests. No turn logic here.
 */
export class AppServer implements HubMember {
  private readonly conn: Connection = { initialized: false, optOut: new Set(), subscribed: new Set(), closed: false };
  private readonly handlers: HandlerTable;
  private readonly hub: ConnectionHub;

  constructor(private readonly deps: AppServerDeps) {
    this.hub = deps.hub ?? new ConnectionHub(deps.threads, deps.logger);
    this.handlers = createHandlers({
      ...deps,
      conn: this.conn,
      notify: (m, p) => this.notify(m, p),
      subscribedElsewhere: (threadId) => this.hub.subscribedElsewhere(threadId, this),
    });
  }

  /** Wires the connection and starts reading. */
  start(): void {
    const { rpc, threads } = this.deps;
    const pre = this.deps.preInitialized;
    if (pre) {
      this.conn.initialized = true;
      for (const m of pre.optOutNotificationMethods) this.conn.optOut.add(m);
      setImmediate(() => this.sendConfigWarnings());
    }
    rpc.setRequestHandler((method, params) => this.dispatch(method, params));
    rpc.setNotificationHandler((method) => {
      if (method === 'initialized') this.deps.logger.debug('client initialized');
    });
    const leave = this.hub.join(this);
    // Not per thread (as Codex): any change of the watched skills invalidates every skills/list.
    const stopSkills = this.deps.skills.onChanged(() => {
      if (this.conn.initialized) this.notify('skills/changed', {});
    });
    rpc.onClose(() => {
      this.conn.closed = true;
      stopSkills();
      leave();
      // The only client is gone: settle every approval. With other clients, the hub moves this
      // connection's pending approvals to another subscriber of their thread.
      if (!this.deps.hub) threads.cancelAllApprovals();
    });
    rpc.listen();
  }

  private async dispatch(method: string, raw: unknown): Promise<unknown> {
    if (method === 'initialize') {
      if (this.conn.initialized) throw RpcError.alreadyInitialized();
      const result = await this.call(method, raw);
      this.conn.initialized = true;
      // After the initialize response has gone out.
      setImmediate(() => this.sendConfigWarnings());
      return result;
    }
    if (!this.conn.initialized) throw RpcError.notInitialized();
    const threadId = TURN_STARTERS.has(method) ? threadIdParam(raw) : undefined;
    if (threadId === undefined) return this.call(method, raw);
    // The connection that starts a turn answers its approvals.
    const restore = this.hub.claimTurn(threadId, this);
    try {
      return await this.call(method, raw);
    } catch (err) {
      restore();
      throw err;
    }
  }

  /** HubMember: open and subscribed to the thread. */
  subscribedTo(threadId: string): boolean {
    return !this.conn.closed && this.conn.subscribed.has(threadId);
  }

  private sendConfigWarnings(): void {
    for (const w of this.deps.configWarnings) this.notify('configWarning', { summary: w.summary, details: w.details ?? null, path: w.path ?? null });
  }

  private async call(method: string, raw: unknown): Promise<unknown> {
    // Own keys only: `constructor`, `__proto__` or `toString` must not find Object's members.
    if (!isClientRequestMethod(method)) throw RpcError.methodNotFound(method);
    try {
      return await this.invoke(method, raw);
    } catch (err) {
      if (err instanceof SessionError) throw sessionErrorToRpc(err);
      throw err;
    }
  }

  /** Parses `raw` with the method's params schema and runs its handler. */
  private invoke<M extends ClientRequestMethod>(method: M, raw: unknown): Result<M> | Promise<Result<M>> {
    const params = clientRequests[method].params.parse(raw ?? {}) as Params<M>;
    return (this.handlers[method] as Handler<M>)(params);
  }

  private notify<M extends ServerNotificationMethod>(method: M, params: NotificationParams<M>): void {
    if (this.conn.closed || this.conn.optOut.has(method)) return;
    this.deps.rpc.notify(method, params);
  }

  /** HubMember: one of a subscribed thread's events (approval requests come through askApproval). */
  deliver(threadId: string, event: SessionEvent): void {
    if (event.type === 'approval_requested') return;
    if (event.type === 'approval_resolved') {
      // Only the connection that was asked knows the request.
      if (!this.serverRequestIds.has(`${threadId}\u0000${event.requestId}`)) return;
      const key = `${threadId}\u0000${event.requestId}`;
      this.notify('serverRequest/resolved', { threadId, requestId: this.serverRequestIds.get(key) ?? event.requestId });
      this.serverRequestIds.delete(key);
      return;
    }
    const n = toNotification(threadId, event, Date.now());
    if (n) this.notify(n.method, n.params);
  }

  /** Thread id + approval id → the JSON-RPC id of the server request that asked for it. */
  private readonly serverRequestIds = new Map<string, string | number>();

  /** HubMember: asks this client; `closed` when the connection goes away first. */
  async askApproval(threadId: string, e: Extract<SessionEvent, { type: 'approval_requested' }>): Promise<ApprovalDecision | 'closed'> {
    const r = e.request;
    const base = { threadId, turnId: e.turnId, itemId: r.itemId, startedAtMs: e.startedAtMs, reason: r.reason ?? null };
    const onId = (id: string | number) => this.serverRequestIds.set(`${threadId}\u0000${e.requestId}`, id);
    let decision: ApprovalDecision;
    if (r.kind === 'command') {
      const proposed = r.proposedPrefixRule && r.proposedPrefixRule.length > 0 ? r.proposedPrefixRule : null;
      const answer = await this.serverRequest(
        'item/commandExecution/requestApproval',
        {
          ...base,
          // Null for an ordinary approval, as Codex sends it: the item id identifies the request.
          approvalId: null,
          command: r.command,
          cwd: r.cwd,
          commandActions: r.commandActions,
          proposedExecpolicyAmendment: proposed,
          availableDecisions: commandDecisions(proposed),
        },
        onId,
        threadId,
      );
      if (answer === 'closed') return answer;
      decision = answer ? commandDecision(answer.decision) : 'cancel';
    } else if (r.kind === 'fileChange') {
      const answer = await this.serverRequest('item/fileChange/requestApproval', { ...base, grantRoot: r.grantRoot ?? null }, onId, threadId);
      if (answer === 'closed') return answer;
      decision = answer ? answer.decision : 'cancel';
    } else {
      const answer = await this.serverRequest('mcpServer/elicitation/request', mcpApprovalParams(threadId, e.turnId, r), onId, threadId);
      if (answer === 'closed') return answer;
      decision = answer ? mcpDecision(answer) : 'cancel';
    }
    return decision;
  }

  /**
   * Sends a server → client request and parses the answer with the method's result schema. A
   * failed request (error answer, closed connection) is null (the caller cancels); an answer that
   * does not fit the schema is logged and read as `decline`.
   */
  private async serverRequest<M extends ServerRequestMethod>(
    method: M,
    params: ServerRequestParams<M>,
    onId: (id: string | number) => void,
    threadId: string,
  ): Promise<ServerRequestResult<M> | null | 'closed'> {
    if (this.conn.closed) return 'closed';
    let raw: unknown;
    try {
      raw = await this.deps.rpc.request(method, params, undefined, onId);
    } catch (err) {
      if (this.conn.closed || err instanceof ConnectionClosedError) return 'closed';
      this.deps.logger.warn({ err, threadId, method }, 'approval request failed; treating as cancel');
      return null;
    }
    const parsed = serverRequests[method].result.safeParse(raw);
    if (parsed.success) return parsed.data as ServerRequestResult<M>;
    this.deps.logger.warn({ threadId, method, issues: parsed.error.issues }, 'approval answer does not fit the schema; treating as decline');
    return { decision: 'decline' } as ServerRequestResult<M>;
  }
}

/** Requests that start a turn on `params.threadId`: their connection owns the turn's approvals. */
const TURN_STARTERS = new Set<string>(['turn/start', 'review/start', 'thread/compact/start']);

function threadIdParam(raw: unknown): string | undefined {
  const id = raw && typeof raw === 'object' ? (raw as { threadId?: unknown }).threadId : undefined;
  return typeof id === 'string' ? id : undefined;
}

type McpApproval = Extract<Extract<SessionEvent, { type: 'approval_requested' }>['request'], { kind: 'mcpToolCall' }>;

/**
 * The approval of an MCP tool call, as Codex asks it: an `mcpServer/elicitation/request` in form
 * mode with an empty form, marked `_meta.codex_approval_kind = "mcp_tool_call"`, offering
 * `persist: session | always` (both kept for the rest of the thread: agentd stores no MCP
 * approvals on disk).
 */
function mcpApprovalParams(threadId: string, turnId: string, r: McpApproval): ServerRequestParams<'mcpServer/elicitation/request'> {
  const tool = r.toolTitle || r.tool;
  return {
    threadId,
    turnId,
    serverName: r.server,
    mode: 'form',
    message: `Allow the ${r.server} MCP server to run tool "${tool}"?`,
    requestedSchema: { type: 'object', properties: {} },
    _meta: {
      codex_approval_kind: 'mcp_tool_call',
      persist: ['session', 'always'],
      tool_name: r.tool,
      ...(r.toolTitle ? { tool_title: r.toolTitle } : {}),
      ...(r.toolDescription ? { tool_description: r.toolDescription } : {}),
      tool_params: r.arguments,
    },
  };
}

/** `accept` with `_meta.persist` of `session` or `always` is an accept for the session. */
function mcpDecision(answer: ServerRequestResult<'mcpServer/elicitation/request'>): ApprovalDecision {
  // A malformed answer comes back from `serverRequest` without an action: a decline.
  const action = (answer as { action?: unknown }).action;
  if (action === 'accept') {
    const meta = answer._meta;
    const persist = typeof meta === 'object' && meta !== null ? (meta as Record<string, unknown>)['persist'] : undefined;
    return persist === 'session' || persist === 'always' ? 'acceptForSession' : 'accept';
  }
  return action === 'cancel' ? 'cancel' : 'decline';
}

type WireCommandDecision = ServerRequestResult<'item/commandExecution/requestApproval'>['decision'];

/**
 * The decisions a command approval accepts, in the order to offer them (`availableDecisions`).
 * Codex lists only what its own prompt offers; agentd honours `acceptForSession` and `decline`
 * too, so they are listed.
 */
function commandDecisions(proposed: string[] | null): WireCommandDecision[] {
  return [
    'accept',
    'acceptForSession',
    ...(proposed ? [{ acceptWithExecpolicyAmendment: { execpolicy_amendment: proposed } }] : []),
    'decline',
    'cancel',
  ];
}

/**
 * The core's reading of a command decision. `applyNetworkPolicyAmendment` answers a network
 * prompt, which agentd never sends: an `allow` is an accept of this command, a `deny` a decline;
 * nothing is stored.
 */
function commandDecision(d: WireCommandDecision): ApprovalDecision {
  if (typeof d === 'string') return d;
  if ('acceptWithExecpolicyAmendment' in d) return { type: 'acceptWithPrefixRule', prefix: d.acceptWithExecpolicyAmendment.execpolicy_amendment };
  return d.applyNetworkPolicyAmendment.network_policy_amendment.action === 'allow' ? 'accept' : 'decline';
}

/**
 * Bad values in otherwise well-formed params are -32602; a failed write (full disk) is -32603 with
 * `data.code` `storage_error`; refused operations are -32600.
 */
function sessionErrorToRpc(err: SessionError): RpcError {
  const invalidParams = err.code === 'invalid_input' || err.code === 'invalid_cursor';
  const code = invalidParams ? -32602 : err.code === 'storage_error' ? -32603 : -32600;
  return RpcError.app(code, err.code, err.message);
}
