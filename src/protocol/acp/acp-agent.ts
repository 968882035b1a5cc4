/**
 * The ACP v1 face: `agentd acp`. The official SDK's agent app parses every request with its zod
 * schemas; the handlers call the ThreadManager and Sessions of the core and map the core's events
 * to `session/update` notifications and approvals to `session/request_permission`. No turn logic
 * lives here: a prompt is a core turn, and its stop reason is the turn's outcome.
 */
import { statSync } from 'node:fs';
import { isAbsolute } from 'node:path';
import * as acp from '@agentclientprotocol/sdk';
import type { Config } from '../../config/types.js';
import type { ApprovalDecision, SessionEvent, TurnInfo } from '../../core/events.js';
import type { EditorFiles, Session } from '../../core/session.js';
import { SessionError } from '../../core/session-error.js';
import type { ThreadSettings } from '../../core/settings.js';
import type { ThreadManager, ThreadRecord } from '../../core/thread-manager.js';
import type { Logger } from '../../util/logger.js';
import { codeSpan, fence, isToolItem, planEntries, promptInput, PromptContentError, startedToolCall, thoughtText, toolCallOf, userContent } from './items.js';
import { configOptions, EFFORT_OPTION, findMode, MODE_OPTION, MODEL_OPTION, modeState, currentMode } from './modes.js';

export interface AcpFaceDeps {
  threads: ThreadManager;
  config: Config;
  logger: Logger;
  version: string;
}

/** A session opened (new, load, resume) on this connection. */
interface OpenSession {
  id: string;
  session: Session;
  record: ThreadRecord;
  additionalDirectories: string[];
  /** The prompt being answered: its turn, and whether the client cancelled it. */
  prompt: { turnId: string | null; cancelled: boolean } | null;
  /** What was streamed of each message or thought item (text so far). */
  streamed: Map<string, string>;
  /** Streamed text not sent yet (deltas that arrived together go out as one chunk). */
  pendingChunk: { kind: 'agent_message_chunk' | 'agent_thought_chunk'; itemId: string; text: string } | null;
  /** The tool calls shown so far in the running turn (for permission requests). */
  calls: Map<string, acp.ToolCall>;
  /** Pending permission requests by approval id. */
  permissions: Map<string, AbortController>;
  /** Output of running commands not yet shown, and the timer that shows it. */
  output: Map<string, { text: string; timer: NodeJS.Timeout | null }>;
  /** What the user rejected for the rest of the session (`reject_always`). */
  rejected: Set<string>;
  /** The mode and options last reported, to report changes once. */
  reportedMode: string;
  reportedOptions: string;
  /** The title last reported. */
  title: string | null;
}

export const AVAILABLE_COMMANDS: acp.AvailableCommand[] = [
  { name: 'compact', description: 'Summarize the conversation to free the context window' },
  { name: 'review', description: 'Review the uncommitted changes in the workspace', input: { hint: 'optional: what to focus on' } },
  { name: 'undo', description: 'Revert the last turn, restoring the files it changed' },
];

/** How often a running command's output is shown, and how much of its tail. */
const OUTPUT_EVERY_MS = 100;
const OUTPUT_TAIL_CHARS = 16_384;

const PERMISSION_OPTIONS: acp.PermissionOption[] = [
  { optionId: 'allow_once', name: 'Allow', kind: 'allow_once' },
  { optionId: 'allow_always', name: 'Allow for this session', kind: 'allow_always' },
  { optionId: 'reject_once', name: 'Reject', kind: 'reject_once' },
  { optionId: 'reject_always', name: 'Reject for this session', kind: 'reject_always' },
];

/** Builds the ACP face over the core's thread manager. One instance serves one connection. */
export class AcpFace {
  private readonly open = new Map<string, OpenSession>();
  private clientCaps: acp.ClientCapabilities = {};
  private client: acp.AgentContext | null = null;
  private closed = false;

  constructor(private readonly deps: AcpFaceDeps) {
    deps.threads.onEvent((threadId, event) => this.onSessionEvent(threadId, event));
  }

  /** The SDK agent app with every handler registered. */
  app(): acp.AgentApp {
    const a = acp.agent({ name: 'agentd' });
    a.onConnect((conn) => {
      this.client = conn.client;
    });
    a.onRequest(acp.methods.agent.initialize, ({ params }) => this.initialize(params));
    a.onRequest(acp.methods.agent.authenticate, ({ params }) => this.authenticate(params));
    a.onRequest(acp.methods.agent.session.new, ({ params }) => guard(() => this.newSession(params)));
    a.onRequest(acp.methods.agent.session.load, ({ params }) => guard(() => this.loadSession(params, true)));
    a.onRequest(acp.methods.agent.session.resume, ({ params }) => guard(() => this.loadSession(params, false)));
    a.onRequest(acp.methods.agent.session.list, ({ params }) => guard(() => this.listSessions(params)));
    a.onRequest(acp.methods.agent.session.close, ({ params }) => guard(() => this.closeSession(params.sessionId)));
    a.onRequest(acp.methods.agent.session.delete, ({ params }) => guard(() => this.deleteSession(params.sessionId)));
    a.onRequest(acp.methods.agent.session.prompt, ({ params, signal }) => guard(() => this.prompt(params, signal)));
    a.onRequest(acp.methods.agent.session.setMode, ({ params }) => guard(() => this.setMode(params)));
    a.onRequest(acp.methods.agent.session.setConfigOption, ({ params }) => guard(() => this.setConfigOption(params)));
    a.onNotification(acp.methods.agent.session.cancel, ({ params }) => this.cancel(params.sessionId));
    return a;
  }

  /** The connection closed: settle every pending approval (as cancelled) and stop sending. */
  connectionClosed(): void {
    this.closed = true;
    for (const s of this.open.values()) {
      for (const ac of s.permissions.values()) ac.abort();
      s.session.cancelPendingApprovals();
    }
  }

  // --- handlers

  private initialize(p: acp.InitializeRequest): acp.InitializeResponse {
    this.clientCaps = p.clientCapabilities ?? {};
    return {
      // The highest version both support: agentd speaks v1, the only version there is below it.
      protocolVersion: acp.PROTOCOL_VERSION,
      agentInfo: { name: 'agentd', title: 'agentd', version: this.deps.version },
      agentCapabilities: {
        loadSession: true,
        promptCapabilities: { image: true, audio: false, embeddedContext: true },
        mcpCapabilities: { http: true, sse: false },
        sessionCapabilities: { list: {}, resume: {}, close: {}, delete: {}, additionalDirectories: {} },
      },
      authMethods: this.authMethods(),
    };
  }

  /** The provider's key variable, when the configured provider reads one from the environment. */
  private authMethods(): acp.AuthMethod[] {
    const source = this.deps.config.providerSources?.[this.deps.config.modelProvider];
    const envKey = source?.envKey;
    if (!envKey) return [];
    return [
      {
        id: `env:${envKey}`,
        name: `Set ${envKey}`,
        description: `agentd reads the API key of the \`${this.deps.config.modelProvider}\` provider from the ${envKey} environment variable: set it in the environment the editor starts agentd with.`,
      },
    ];
  }

  private authenticate(p: acp.AuthenticateRequest): acp.AuthenticateResponse {
    const method = this.authMethods().find((m) => m.id === p.methodId);
    if (!method) throw acp.RequestError.invalidParams({ methodId: p.methodId }, `unknown auth method ${p.methodId}`);
    const variable = p.methodId.slice('env:'.length);
    if (!process.env[variable]) {
      throw acp.RequestError.authRequired({ variable }, `${variable} is not set in agentd's environment; set it where the editor starts agentd`);
    }
    return {};
  }

  private newSession(p: acp.NewSessionRequest): acp.NewSessionResponse {
    checkPaths(p.cwd, p.additionalDirectories);
    if (!isDirectory(p.cwd)) throw acp.RequestError.invalidParams({ cwd: p.cwd }, `cwd is not a directory: ${p.cwd}`);
    const dirs = p.additionalDirectories ?? [];
    const { threads } = this.deps;
    const base = threads.resolveSettings({ cwd: p.cwd });
    const mcp = this.mcpLayer(p.mcpServers);
    const { session, record } = threads.start({ cwd: p.cwd, sandboxPolicy: withRoots(base.sandboxPolicy, dirs), ...(mcp ? { config: mcp } : {}) });
    const s = this.attach(session, record, dirs);
    void threads.refreshGitInfo(record.id);
    this.afterReply(() => {
      this.sendCommands(s);
      threads.startMcp(record.id);
    });
    return { sessionId: record.id, modes: modeState(session.settings()), configOptions: configOptions(session.settings(), threads.configOf(record.id)) };
  }

  private async loadSession(p: acp.LoadSessionRequest | acp.ResumeSessionRequest, replay: boolean): Promise<acp.LoadSessionResponse> {
    checkPaths(p.cwd, p.additionalDirectories);
    const { threads } = this.deps;
    // The editor's servers now replace the ones the session had (none: the stored ones go).
    const mcp = this.mcpLayer(p.mcpServers ?? []) ?? { mcp_servers: {} };
    const already = this.open.get(p.sessionId);
    const dirs = p.additionalDirectories ?? [];
    let s: OpenSession;
    if (already) s = already;
    else {
      const { session, record } = await threads.resume(p.sessionId, { cwd: p.cwd, config: mcp, configReplaces: ['mcp_servers'] });
      const settings = session.settings();
      if (dirs.length > 0 && settings.sandboxPolicy.type === 'workspaceWrite') session.updateSettings({ sandboxPolicy: withRoots(settings.sandboxPolicy, dirs) });
      s = this.attach(session, record, dirs);
    }
    if (replay) this.replay(s);
    this.afterReply(() => {
      this.sendCommands(s);
      threads.startMcp(s.id);
    });
    const settings = s.session.settings();
    return { modes: modeState(settings), configOptions: configOptions(settings, threads.configOf(s.id)) };
  }

  private listSessions(p: acp.ListSessionsRequest): acp.ListSessionsResponse {
    const page = this.deps.threads.list({ cursor: p.cursor ?? null, cwd: p.cwd ?? null, limit: 50, archived: false });
    return {
      sessions: page.data.map((m) => ({
        sessionId: m.id,
        cwd: m.cwd,
        title: m.name ?? (m.preview || null),
        updatedAt: new Date(m.updatedAt * 1000).toISOString(),
      })),
      nextCursor: page.nextCursor,
    };
  }

  private async closeSession(sessionId: string): Promise<acp.CloseSessionResponse> {
    const s = this.requireOpen(sessionId);
    this.open.delete(sessionId);
    for (const ac of s.permissions.values()) ac.abort();
    await this.deps.threads.unload(sessionId);
    return {};
  }

  private async deleteSession(sessionId: string): Promise<acp.DeleteSessionResponse> {
    const s = this.open.get(sessionId);
    if (s) {
      this.open.delete(sessionId);
      for (const ac of s.permissions.values()) ac.abort();
    }
    await this.deps.threads.delete(sessionId);
    return {};
  }

  private async prompt(p: acp.PromptRequest, signal: AbortSignal): Promise<acp.PromptResponse> {
    const s = this.requireOpen(p.sessionId);
    if (s.prompt) throw acp.RequestError.invalidRequest({ sessionId: p.sessionId }, 'a prompt is already running in this session');
    s.prompt = { turnId: null, cancelled: false };
    const onAbort = () => void this.cancel(p.sessionId);
    signal.addEventListener('abort', onAbort);
    try {
      const command = slashCommand(p.prompt);
      let turn: TurnInfo;
      if (command) {
        const started = await this.runCommand(s, command.name, command.rest);
        if (!started) return { stopReason: 'end_turn' };
        turn = started;
      } else {
        let input;
        try {
          input = promptInput(p.prompt);
        } catch (err) {
          if (err instanceof PromptContentError) throw acp.RequestError.invalidParams(undefined, err.message);
          throw err;
        }
        turn = await s.session.submit(input);
      }
      s.prompt.turnId = turn.id;
      if (s.prompt.cancelled) void interruptQuietly(s.session, turn.id);
      const done = await s.session.turnEnded(turn.id);
      // Every update of the turn goes out before its answer.
      this.flushChunk(s);
      return { stopReason: stopReason(done, s.prompt.cancelled) };
    } finally {
      signal.removeEventListener('abort', onAbort);
      s.prompt = null;
    }
  }

  /** Runs a slash command; the turn it started, or null when it answered at once. */
  private async runCommand(s: OpenSession, name: string, rest: string): Promise<TurnInfo | null> {
    switch (name) {
      case 'compact':
        return s.session.compact();
      case 'review':
        return s.session.review(rest ? { type: 'custom', instructions: rest } : { type: 'uncommittedChanges' });
      case 'undo': {
        const turns = s.session.turns();
        const last = turns[turns.length - 1];
        if (!last) {
          this.say(s, 'There is no turn to undo.');
          return null;
        }
        await s.session.revert(last.info.id, true);
        this.say(s, 'Reverted the last turn and restored the files it changed.');
        return null;
      }
      default:
        throw acp.RequestError.invalidParams({ command: name }, `unknown command /${name}`);
    }
  }

  private setMode(p: acp.SetSessionModeRequest): acp.SetSessionModeResponse {
    const s = this.requireOpen(p.sessionId);
    this.applyMode(s, p.modeId);
    return {};
  }

  private applyMode(s: OpenSession, modeId: string): void {
    const mode = findMode(modeId);
    if (!mode) throw acp.RequestError.invalidParams({ modeId }, `unknown mode ${modeId}`);
    const policy = withRoots(this.deps.threads.sandboxPolicyFor(mode.sandbox, this.deps.threads.configOf(s.id)), s.additionalDirectories);
    s.session.updateSettings({ approvalPolicy: mode.approvalPolicy, sandboxPolicy: policy });
  }

  private setConfigOption(p: acp.SetSessionConfigOptionRequest): acp.SetSessionConfigOptionResponse {
    const s = this.requireOpen(p.sessionId);
    if (typeof p.value !== 'string') throw acp.RequestError.invalidParams({ configId: p.configId }, `${p.configId} takes a value id`);
    const config = this.deps.threads.configOf(s.id);
    const current = configOptions(s.session.settings(), config).find((o) => o.id === p.configId);
    if (!current || current.type !== 'select') throw acp.RequestError.invalidParams({ configId: p.configId }, `unknown config option ${p.configId}`);
    const values = (current.options as acp.SessionConfigSelectOption[]).map((o) => o.value);
    if (!values.includes(p.value)) throw acp.RequestError.invalidParams({ configId: p.configId, value: p.value }, `${p.value} is not a value of ${p.configId}`);
    if (p.configId === MODE_OPTION) this.applyMode(s, p.value);
    else if (p.configId === MODEL_OPTION) s.session.updateSettings({ model: p.value });
    else if (p.configId === EFFORT_OPTION) s.session.updateSettings({ reasoningEffort: p.value });
    return { configOptions: configOptions(s.session.settings(), config) };
  }

  private async cancel(sessionId: string): Promise<void> {
    const s = this.open.get(sessionId);
    if (!s?.prompt) return;
    s.prompt.cancelled = true;
    for (const ac of s.permissions.values()) ac.abort();
    const turnId = s.prompt.turnId;
    if (turnId) await interruptQuietly(s.session, turnId);
  }

  // --- sessions and events

  private attach(session: Session, record: ThreadRecord, dirs: string[]): OpenSession {
    const settings = session.settings();
    const s: OpenSession = {
      id: record.id,
      session,
      record,
      additionalDirectories: dirs,
      prompt: null,
      streamed: new Map(),
      pendingChunk: null,
      calls: new Map(),
      permissions: new Map(),
      output: new Map(),
      rejected: new Set(),
      reportedMode: currentMode(settings),
      reportedOptions: JSON.stringify(configOptions(settings, this.deps.threads.configOf(record.id))),
      title: record.name ?? (record.preview || null),
    };
    this.open.set(record.id, s);
    session.setEditorFiles(this.editorFiles(record.id));
    return s;
  }

  /** The editor's files through the client, as far as it offers them (`clientCapabilities.fs`). */
  private editorFiles(sessionId: string): EditorFiles | null {
    const fs = this.clientCaps.fs;
    if (!fs?.readTextFile && !fs?.writeTextFile) return null;
    const client = () => {
      if (!this.client || this.closed) throw new Error('the client connection is closed');
      return this.client;
    };
    const files: EditorFiles = {};
    if (fs.readTextFile) files.readText = async (path) => (await client().request(acp.methods.client.fs.readTextFile, { sessionId, path })).content;
    if (fs.writeTextFile) {
      files.writeText = async (path, content) => {
        await client().request(acp.methods.client.fs.writeTextFile, { sessionId, path, content });
      };
    }
    return files;
  }

  private requireOpen(sessionId: string): OpenSession {
    const s = this.open.get(sessionId);
    if (!s) throw acp.RequestError.sessionNotFound(sessionId);
    return s;
  }

  /**
   * The client's MCP servers as the thread's own config (`mcp_servers`, Codex keys), so the core
   * runs them like configured ones: stdio and streamable HTTP. SSE servers are not supported
   * (not offered in `mcpCapabilities`) and are skipped with a warning.
   */
  private mcpLayer(servers: acp.McpServer[]): Record<string, unknown> | null {
    const table: Record<string, Record<string, unknown>> = {};
    for (const m of servers) {
      if ('type' in m && m.type === 'sse') {
        this.deps.logger.warn({ server: m.name }, 'SSE MCP servers are not supported; skipped');
        continue;
      }
      if ('type' in m && m.type === 'http') {
        table[m.name] = { url: m.url, http_headers: Object.fromEntries(m.headers.map((h) => [h.name, h.value])) };
      } else if ('command' in m) {
        table[m.name] = { command: m.command, args: m.args, env: Object.fromEntries(m.env.map((e) => [e.name, e.value])) };
      }
    }
    return Object.keys(table).length > 0 ? { mcp_servers: table } : null;
  }

  private update(s: OpenSession, update: acp.SessionUpdate): void {
    this.flushChunk(s);
    this.send(s, update);
  }

  private send(s: OpenSession, update: acp.SessionUpdate): void {
    if (this.closed || !this.client) return;
    this.client.notify(acp.methods.client.session.update, { sessionId: s.id, update }).catch((err: unknown) => {
      this.deps.logger.debug({ err }, 'session/update not sent');
    });
  }

  private say(s: OpenSession, text: string): void {
    this.update(s, { sessionUpdate: 'agent_message_chunk', content: { type: 'text', text } });
  }

  /** Runs `fn` once the current request has been answered. */
  private afterReply(fn: () => void): void {
    setImmediate(fn);
  }

  private sendCommands(s: OpenSession): void {
    if (this.open.get(s.id) !== s) return;
    this.update(s, { sessionUpdate: 'available_commands_update', availableCommands: AVAILABLE_COMMANDS });
  }

  /** The whole history as updates, each item in its final state (session/load). */
  private replay(s: OpenSession): void {
    for (const turn of s.session.turns()) {
      for (const item of turn.items) {
        switch (item.type) {
          case 'userMessage':
            for (const content of userContent(item.content)) this.update(s, { sessionUpdate: 'user_message_chunk', messageId: item.id, content });
            break;
          case 'agentMessage':
            if (item.text) this.update(s, { sessionUpdate: 'agent_message_chunk', messageId: item.id, content: { type: 'text', text: item.text } });
            break;
          case 'plan':
            if (item.text) this.update(s, { sessionUpdate: 'agent_message_chunk', messageId: item.id, content: { type: 'text', text: item.text } });
            break;
          case 'reasoning': {
            const text = thoughtText(item);
            if (text) this.update(s, { sessionUpdate: 'agent_thought_chunk', messageId: item.id, content: { type: 'text', text } });
            break;
          }
          case 'exitedReviewMode':
            if (item.review) this.update(s, { sessionUpdate: 'agent_message_chunk', messageId: item.id, content: { type: 'text', text: item.review } });
            break;
          default: {
            const call = toolCallOf(item);
            if (call) this.update(s, { sessionUpdate: 'tool_call', ...call });
          }
        }
      }
    }
    const usage = s.session.tokenUsage();
    if (usage?.modelContextWindow) this.update(s, { sessionUpdate: 'usage_update', used: usage.last.totalTokens, size: usage.modelContextWindow });
    if (s.title) this.update(s, { sessionUpdate: 'session_info_update', title: s.title, updatedAt: new Date(s.record.updatedAt * 1000).toISOString() });
  }

  private onSessionEvent(threadId: string, e: SessionEvent): void {
    const s = this.open.get(threadId);
    if (!s) {
      if (e.type === 'approval_requested') this.deps.threads.get(threadId)?.session.resolveApproval(e.requestId, 'cancel', e.turnId);
      return;
    }
    switch (e.type) {
      case 'turn_started':
        s.streamed.clear();
        s.calls.clear();
        return;
      case 'agent_message_delta':
        this.stream(s, e.itemId, 'agent_message_chunk', e.delta);
        return;
      case 'reasoning_summary_part_added':
        if (e.summaryIndex > 0) this.stream(s, e.itemId, 'agent_thought_chunk', '\n\n');
        return;
      case 'reasoning_summary_delta':
        this.stream(s, e.itemId, 'agent_thought_chunk', e.delta);
        return;
      case 'item_started': {
        const call = isToolItem(e.item) ? startedToolCall(e.item) : null;
        if (call) {
          s.calls.set(call.toolCallId, call);
          this.update(s, { sessionUpdate: 'tool_call', ...call });
        }
        return;
      }
      case 'item_completed':
        this.dropOutput(s, e.item.id);
        this.itemCompleted(s, e.item);
        return;
      case 'command_output_delta':
        this.commandOutput(s, e.itemId, e.delta);
        return;
      case 'plan_updated':
        this.update(s, { sessionUpdate: 'plan', entries: planEntries(e.plan) });
        return;
      case 'token_usage':
        if (e.usage.modelContextWindow) this.update(s, { sessionUpdate: 'usage_update', used: e.usage.last.totalTokens, size: e.usage.modelContextWindow });
        return;
      case 'turn_completed': {
        const title = s.record.name ?? (s.record.preview || null);
        if (title && title !== s.title) {
          s.title = title;
          this.update(s, { sessionUpdate: 'session_info_update', title, updatedAt: new Date().toISOString() });
        }
        return;
      }
      case 'name_updated':
        if (e.name && e.name !== s.title) {
          s.title = e.name;
          this.update(s, { sessionUpdate: 'session_info_update', title: e.name });
        }
        return;
      case 'settings_updated':
        this.settingsChanged(s, e.settings);
        return;
      case 'approval_requested':
        void this.askPermission(s, e);
        return;
      case 'approval_resolved':
        s.permissions.get(e.requestId)?.abort();
        return;
      default:
        return;
    }
  }

  /**
   * A running command's output, shown as its tool call's content at most every OUTPUT_EVERY_MS
   * (the tail, as an editor's view of a running command); the completed call shows it whole.
   */
  private commandOutput(s: OpenSession, itemId: string, delta: string): void {
    if (!s.calls.has(itemId)) return;
    let o = s.output.get(itemId);
    if (!o) s.output.set(itemId, (o = { text: '', timer: null }));
    o.text = (o.text + delta).slice(-OUTPUT_TAIL_CHARS);
    if (o.timer) return;
    o.timer = setTimeout(() => {
      const cur = s.output.get(itemId);
      if (!cur) return;
      cur.timer = null;
      this.update(s, { sessionUpdate: 'tool_call_update', toolCallId: itemId, content: [{ type: 'content', content: { type: 'text', text: fence(cur.text) } }] });
    }, OUTPUT_EVERY_MS);
  }

  private dropOutput(s: OpenSession, itemId: string): void {
    const o = s.output.get(itemId);
    if (o?.timer) clearTimeout(o.timer);
    s.output.delete(itemId);
  }

  /**
   * Streams text of a message or thought. Deltas that arrive together (in one read of the model's
   * stream) go out as one chunk, on the next turn of the event loop or before any other update.
   */
  private stream(s: OpenSession, itemId: string, kind: 'agent_message_chunk' | 'agent_thought_chunk', text: string): void {
    s.streamed.set(itemId, (s.streamed.get(itemId) ?? '') + text);
    const p = s.pendingChunk;
    if (p && p.kind === kind && p.itemId === itemId) {
      p.text += text;
      return;
    }
    this.flushChunk(s);
    s.pendingChunk = { kind, itemId, text };
    setImmediate(() => this.flushChunk(s));
  }

  private flushChunk(s: OpenSession): void {
    const p = s.pendingChunk;
    if (!p) return;
    s.pendingChunk = null;
    this.send(s, { sessionUpdate: p.kind, messageId: p.itemId, content: { type: 'text', text: p.text } });
  }

  /** What a completed item adds to what was streamed: the rest of its text, or its final tool call. */
  private itemCompleted(s: OpenSession, item: SessionEventItem): void {
    const rest = (full: string, kind: 'agent_message_chunk' | 'agent_thought_chunk') => {
      const sent = s.streamed.get(item.id) ?? '';
      if (full.startsWith(sent) && full.length > sent.length) this.stream(s, item.id, kind, full.slice(sent.length));
    };
    switch (item.type) {
      case 'agentMessage':
      case 'plan':
        rest(item.text, 'agent_message_chunk');
        return;
      case 'reasoning':
        rest(thoughtText(item), 'agent_thought_chunk');
        return;
      case 'exitedReviewMode':
        rest(item.review, 'agent_message_chunk');
        return;
      case 'userMessage':
        return;
      default: {
        const call = toolCallOf(item);
        if (!call) return;
        // An item that completes without having started (a compaction) is shown whole.
        if (!s.calls.delete(call.toolCallId)) {
          this.update(s, { sessionUpdate: 'tool_call', ...call });
          return;
        }
        const { toolCallId, ...fields } = call;
        this.update(s, { sessionUpdate: 'tool_call_update', toolCallId, ...fields });
      }
    }
  }

  private settingsChanged(s: OpenSession, settings: ThreadSettings): void {
    const mode = currentMode(settings);
    if (mode !== s.reportedMode) {
      s.reportedMode = mode;
      this.update(s, { sessionUpdate: 'current_mode_update', currentModeId: mode });
    }
    const options = configOptions(settings, this.deps.threads.configOf(s.id));
    const key = JSON.stringify(options);
    if (key !== s.reportedOptions) {
      s.reportedOptions = key;
      this.update(s, { sessionUpdate: 'config_option_update', configOptions: options });
    }
  }

  private async askPermission(s: OpenSession, e: Extract<SessionEvent, { type: 'approval_requested' }>): Promise<void> {
    const r = e.request;
    const resolve = (d: ApprovalDecision) => s.session.resolveApproval(e.requestId, d, e.turnId);
    if (r.sessionKeys.length > 0 && r.sessionKeys.every((k) => s.rejected.has(`${r.kind}\u0000${k}`))) {
      resolve('decline');
      return;
    }
    if (s.prompt?.cancelled || !this.client) {
      resolve('cancel');
      return;
    }
    const shown = s.calls.get(r.itemId);
    const toolCall: acp.ToolCallUpdate = shown
      ? { ...shown, status: 'pending' }
      : {
          toolCallId: r.itemId,
          title: r.kind === 'command' ? r.command : r.kind === 'mcpToolCall' ? `${r.server}: ${r.toolTitle || r.tool}` : 'Edit files',
          kind: r.kind === 'command' ? 'execute' : r.kind === 'mcpToolCall' ? 'other' : 'edit',
          status: 'pending',
        };
    // The user approves what runs: a command is asked for by its full text, never by the title its
    // parse gave it ("Read x" can be `sed -n 1p x -i`, "List ." can be `find . -delete`).
    if (r.kind === 'command') Object.assign(toolCall, { title: codeSpan(r.command), kind: 'execute' });
    if (r.reason) toolCall.rawInput = { ...(isRecord(toolCall.rawInput) ? toolCall.rawInput : {}), reason: r.reason };
    const ac = new AbortController();
    s.permissions.set(e.requestId, ac);
    let decision: ApprovalDecision = 'cancel';
    try {
      const answer = await this.client.request(
        acp.methods.client.session.requestPermission,
        { sessionId: s.id, toolCall, options: PERMISSION_OPTIONS },
        { cancellationSignal: ac.signal, stopWaitingOnCancel: true },
      );
      decision = permissionDecision(answer.outcome);
      if (answer.outcome.outcome === 'selected' && answer.outcome.optionId === 'reject_always') {
        for (const k of r.sessionKeys) s.rejected.add(`${r.kind}\u0000${k}`);
      }
    } catch (err) {
      if (!ac.signal.aborted) this.deps.logger.warn({ err, sessionId: s.id }, 'permission request failed; treating as cancelled');
    } finally {
      s.permissions.delete(e.requestId);
    }
    if (s.prompt?.cancelled) decision = 'cancel';
    resolve(decision);
  }
}

type SessionEventItem = Extract<SessionEvent, { type: 'item_completed' }>['item'];

function permissionDecision(outcome: acp.RequestPermissionOutcome): ApprovalDecision {
  if (outcome.outcome !== 'selected') return 'cancel';
  switch (outcome.optionId) {
    case 'allow_once':
      return 'accept';
    case 'allow_always':
      return 'acceptForSession';
    default:
      return 'decline';
  }
}

/**
 * The stop reason of a finished prompt turn: completed is `end_turn`, interrupted (or cancelled by
 * the client) is `cancelled`; a response cut at the output token limit is `max_tokens`, and one the
 * provider's content filter stopped is `refusal` (what was streamed before stays shown); any other
 * failure is a JSON-RPC error with the turn's message.
 */
function stopReason(turn: TurnInfo, cancelled: boolean): acp.StopReason {
  if (cancelled || turn.status === 'interrupted') return 'cancelled';
  if (turn.status === 'completed') return 'end_turn';
  if (turn.error?.kind === 'max_output_tokens') return 'max_tokens';
  if (turn.error?.kind === 'content_filter') return 'refusal';
  const error = turn.error ?? { message: 'the turn failed', kind: 'other' };
  throw new acp.RequestError(-32603, error.message, { kind: error.kind, ...(error.httpStatus ? { httpStatus: error.httpStatus } : {}) });
}

/** `/name rest` at the start of a prompt that is a single text block naming a known command. */
function slashCommand(blocks: acp.ContentBlock[]): { name: string; rest: string } | null {
  if (blocks.length !== 1 || blocks[0]!.type !== 'text') return null;
  const m = /^\/([a-z][a-z0-9_-]*)(?:\s+([\s\S]*))?$/.exec(blocks[0]!.text.trim());
  if (!m || !AVAILABLE_COMMANDS.some((c) => c.name === m[1])) return null;
  return { name: m[1]!, rest: (m[2] ?? '').trim() };
}

/** A sandbox policy with the session's additional directories as writable roots (workspace-write only). */
function withRoots<P extends ThreadSettings['sandboxPolicy']>(policy: P, dirs: string[]): P {
  if (policy.type !== 'workspaceWrite' || dirs.length === 0) return policy;
  return { ...policy, writableRoots: [...new Set([...policy.writableRoots, ...dirs])] };
}

/** Interrupts the turn if it still runs (it may have just ended: then there is nothing to do). */
async function interruptQuietly(session: Session, turnId: string): Promise<void> {
  if (session.activeTurnId() !== turnId) return;
  try {
    await session.interrupt(turnId);
  } catch {
    // It ended meanwhile.
  }
}

/** The spec's rule for a session's paths: cwd and every additional directory are absolute. */
function checkPaths(cwd: string, dirs: string[] | null | undefined): void {
  if (!isAbsolute(cwd)) throw acp.RequestError.invalidParams({ cwd }, `cwd must be an absolute path: ${cwd}`);
  const relative = (dirs ?? []).filter((d) => !isAbsolute(d));
  if (relative.length > 0) throw acp.RequestError.invalidParams({ additionalDirectories: relative }, `additional directories must be absolute paths: ${relative.join(', ')}`);
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Core errors as JSON-RPC errors: unknown sessions -32002, bad input -32602, the rest -32603. */
async function guard<T>(fn: () => T | Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof SessionError) {
      if (err.code === 'thread_not_found') throw new acp.RequestError(-32002, err.message, { code: err.code });
      if (err.code === 'invalid_input' || err.code === 'invalid_cursor') throw acp.RequestError.invalidParams({ code: err.code }, err.message);
      if (err.code === 'storage_error') throw acp.RequestError.internalError({ code: err.code }, err.message);
      throw new acp.RequestError(-32600, err.message, { code: err.code });
    }
    throw err;
  }
}
