import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { modelInfo } from '../../../src/config/models.js';
import type { Config } from '../../../src/config/types.js';
import type { SessionEvent } from '../../../src/core/events.js';
import { createSessionServices, type RolloutSink, type SessionServices } from '../../../src/core/services.js';
import { ProcessSessionManager } from '../../../src/tools/shell/process-sessions.js';
import { ALWAYS_READY } from '../../../src/util/flow.js';
import { Session } from '../../../src/core/session.js';
import type { ThreadSettings } from '../../../src/core/settings.js';
import { startMockModelServer, type MockModelServer } from '../../../src/mock/index.js';
import { createModelClient } from '../../../src/model/client-factory.js';
import type { HistoryItem, ModelClient, ProviderSettings } from '../../../src/model/types.js';
import { StorageError } from '../../../src/store/errors.js';
import type { RolloutLine } from '../../../src/store/types.js';
import { TurnDiffTrackerImpl } from '../../../src/tools/diff/turn-diff-tracker.js';
import { ToolRegistry } from '../../../src/tools/registry.js';
import { TurnAbortedError, type ToolCall, type ToolContext, type ToolHandler, type ToolOutput } from '../../../src/tools/types.js';
import { silentLogger } from '../../../src/util/logger.js';

/** Provider settings pointing at the mock model server, with small retry budgets. */
export function mockProvider(mock: MockModelServer, over: Partial<ProviderSettings> = {}): ProviderSettings {
  return {
    id: 'mock',
    name: 'Mock',
    baseUrl: mock.url,
    wireApi: 'responses',
    httpHeaders: {},
    requestMaxRetries: 1,
    streamMaxRetries: 1,
    streamIdleTimeoutMs: 5_000,
    ...over,
  };
}

/** A real Responses client talking to the mock, with a 1 ms backoff base. */
export function mockClient(mock: MockModelServer, over: Partial<ProviderSettings> = {}): ModelClient {
  return createModelClient(mockProvider(mock, over), silentLogger(), { backoffBaseMs: 1 });
}

/** What the `probe` tool is asked to do: `{ key, ask?, fail? }`. */
interface ProbeArgs {
  key: string;
  ask?: boolean;
  fail?: boolean;
}

/**
 * A small tool that records its calls. With `ask` it requests approval the way the shell tool
 * does: `cancel` throws TurnAbortedError, `decline` answers the model with "declined".
 */
export class ProbeTool implements ToolHandler {
  readonly name = 'probe';
  readonly parallelSafe = false;
  readonly calls: { call: ToolCall; args: ProbeArgs }[] = [];

  async handle(call: ToolCall, ctx: ToolContext): Promise<ToolOutput> {
    const args = JSON.parse(call.input) as ProbeArgs;
    this.calls.push({ call, args });
    const base = { type: 'commandExecution' as const, id: call.callId, command: args.key, cwd: ctx.cwd, commandActions: [] };
    ctx.itemStarted({ ...base, status: 'inProgress' });
    if (args.fail) throw new Error(`probe ${args.key} broke`);
    if (args.ask) {
      const decision = await ctx.requestApproval({
        kind: 'command',
        itemId: call.callId,
        command: args.key,
        cwd: ctx.cwd,
        commandActions: [],
        sessionKeys: [args.key],
      });
      if (decision === 'cancel' || decision === 'decline') {
        ctx.itemCompleted({ ...base, status: 'declined' });
        if (decision === 'cancel') throw new TurnAbortedError();
        return { success: false, content: `declined ${args.key}` };
      }
    }
    ctx.itemCompleted({ ...base, status: 'completed', aggregatedOutput: `ran ${args.key}` });
    return { success: true, content: `ran ${args.key}` };
  }
}

/** A registry offering the probe tool to both tool styles. */
export function probeRegistry(probe: ProbeTool): ToolRegistry {
  const spec = {
    type: 'function' as const,
    name: 'probe',
    description: 'Probes something.',
    parameters: { type: 'object', properties: { key: { type: 'string' }, ask: { type: 'boolean' } }, required: ['key'] },
  };
  return new ToolRegistry([{ handler: probe, codex: [spec], classic: [spec] }]);
}

/** One shared, ordered journal of what the sink persisted and what the session emitted. */
export type Journal = string[];

/** An in-memory rollout sink; writes `persist:<type>` and `sync` into the journal. */
export class MemorySink implements RolloutSink {
  readonly lines: RolloutLine[] = [];
  closed = false;
  /** Called after each append (lets a test react to a line the moment it is written). */
  onAppend: ((line: RolloutLine) => void) | null = null;
  /** While this returns true for a line, appending it fails like a full disk (ENOSPC). */
  failWhen: ((line: RolloutLine) => boolean) | null = null;

  constructor(private readonly journal: Journal = []) {}

  append(line: RolloutLine): void {
    if (this.failWhen?.(line)) {
      this.journal.push(`fail:${line.type}`);
      throw new StorageError('cannot write the rollout file', Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' }));
    }
    this.lines.push(line);
    this.journal.push(`persist:${line.type}`);
    this.onAppend?.(line);
  }

  async sync(): Promise<void> {
    this.journal.push('sync');
  }

  close(): void {
    this.closed = true;
  }
}

/** Settings for a session in `cwd` talking to the mock provider. */
export function testSettings(cwd: string, over: Partial<ThreadSettings> = {}): ThreadSettings {
  return {
    model: 'mock-model',
    modelProvider: 'mock',
    cwd,
    approvalPolicy: 'on-request',
    sandboxPolicy: { type: 'readOnly', networkAccess: false },
    reasoningEffort: null,
    reasoningSummary: null,
    baseInstructions: 'You are a test.',
    developerInstructions: null,
    ...over,
  };
}

/** A Session over real services, plus everything it reported. */
export interface TestSession {
  session: Session;
  sink: MemorySink;
  events: SessionEvent[];
  journal: Journal;
  probe: ProbeTool;
}

/** The mock server, a workspace and a way to build sessions against them. */
export interface CoreHarness {
  mock: MockModelServer;
  client: ModelClient;
  workspace: string;
  newSession(opts?: { settings?: Partial<ThreadSettings>; history?: HistoryItem[]; client?: ModelClient }): TestSession;
  cleanup(): Promise<void>;
}

let sessionCount = 0;

export async function startCoreHarness(): Promise<CoreHarness> {
  const mock = await startMockModelServer({ host: '127.0.0.1' });
  const workspace = mkdtempSync(join(tmpdir(), 'agentd-core-'));
  const client = mockClient(mock);
  const sessions: Session[] = [];
  return {
    mock,
    client,
    workspace,
    newSession(opts = {}) {
      const journal: Journal = [];
      const sink = new MemorySink(journal);
      const probe = new ProbeTool();
      const events: SessionEvent[] = [];
      const c = opts.client ?? client;
      const services: SessionServices = createSessionServices({
        modelClientFor: () => c,
        modelInfo: (m) => modelInfo(m),
        tools: probeRegistry(probe),
        recorder: sink,
        updateMeta: null,
        createDiffTracker: (cwd) => new TurnDiffTrackerImpl(cwd),
        logger: silentLogger(),
        now: Date.now,
        processes: new ProcessSessionManager(),
        flow: ALWAYS_READY,
      });
      const session = new Session({
        threadId: `thread-${++sessionCount}`,
        settings: testSettings(workspace, opts.settings),
        services,
        ...(opts.history ? { history: opts.history } : {}),
      });
      session.onEvent((e) => {
        events.push(e);
        journal.push(`event:${e.type}`);
      });
      sessions.push(session);
      return { session, sink, events, journal, probe };
    },
    async cleanup() {
      await Promise.all(sessions.map((s) => s.shutdown()));
      await mock.close();
      rmSync(workspace, { recursive: true, force: true });
    },
  };
}

/** Resolves with the first event of `type` (matching `where`) the session emits from now on. */
export function nextEvent<T extends SessionEvent['type']>(
  session: Session,
  type: T,
  where: (e: Extract<SessionEvent, { type: T }>) => boolean = () => true,
): Promise<Extract<SessionEvent, { type: T }>> {
  return new Promise((resolve) => {
    const off = session.onEvent((e) => {
      if (e.type === type && where(e as Extract<SessionEvent, { type: T }>)) {
        off();
        resolve(e as Extract<SessionEvent, { type: T }>);
      }
    });
  });
}

/** Submits text and resolves with the completed turn. */
export async function runTurn(session: Session, text: string, overrides: Partial<ThreadSettings> = {}) {
  const done = nextEvent(session, 'turn_completed');
  const started = await session.submit([{ type: 'text', text }], overrides);
  const completed = await done;
  return { started, completed: completed.turn };
}

/** Every call id in history that has no output item. */
export function unansweredCalls(history: HistoryItem[]): string[] {
  const answered = new Set(
    history.filter((h) => h.type === 'function_call_output' || h.type === 'custom_tool_call_output').map((h) => h.call_id),
  );
  return history
    .filter((h) => (h.type === 'function_call' || h.type === 'custom_tool_call') && !answered.has(h.call_id))
    .map((h) => (h as { call_id: string }).call_id);
}

/** A mock turn calling the probe tool once. */
export function probeCall(key: string, opts: { ask?: boolean; fail?: boolean; callId?: string } = {}) {
  const args: ProbeArgs = { key };
  if (opts.ask) args.ask = true;
  if (opts.fail) args.fail = true;
  return { type: 'function_call' as const, name: 'probe', arguments: args, callId: opts.callId ?? `call-${key}-${Math.random().toString(36).slice(2, 8)}` };
}

/** Text of a Responses input item list, for asserting what the model was sent. */
export function userTexts(input: unknown[]): string[] {
  return (input as { type?: string; role?: string; content?: { type: string; text?: string }[] }[])
    .filter((i) => i.role === 'user' && (i.type === undefined || i.type === 'message'))
    .map((i) => (i.content ?? []).map((c) => c.text ?? '').join(''))
    .filter((t) => !t.startsWith('<environment_context>'));
}

/** A Config for ThreadManager tests: one provider, the mock. */
export function testConfig(home: string, mock: MockModelServer): Config {
  return {
    home,
    model: 'mock-model',
    modelProvider: 'mock',
    providers: { mock: mockProvider(mock) },
    approvalPolicy: 'on-request',
    sandboxMode: 'read-only',
    sandboxWorkspaceWrite: { writableRoots: [], networkAccess: false, excludeTmpdirEnvVar: false, excludeSlashTmp: false },
    modelContextWindow: null,
    modelAutoCompactTokenLimit: null,
    modelReasoningEffort: null,
    modelReasoningSummary: null,
    baseInstructions: 'You are a test.',
    developerInstructions: null,
    toolStyle: 'auto',
    mcpServers: {},
    raw: {},
  };
}
