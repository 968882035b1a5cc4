import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { AgentdClient, type RequestParams } from '../client/index.js';
import { startMockModelServer } from '../mock/mock-model-server.js';
import type { MockModelServer, MockOutput, MockTurn, RecordedRequest } from '../mock/types.js';
import type { SchemaChecker } from './schema-check.js';

/** A failed expectation of a scenario. */
export class ScenarioFailure extends Error {}

/** The environment variable a server reads its home (and config.toml) from. */
export type HomeVar = 'CODEX_HOME' | 'AGENTD_HOME';

export const MOCK_KEY_VAR = 'AGENTD_CONFORMANCE_API_KEY';

/** A model Codex 0.169 knows (an unknown one gets fallback metadata without the apply_patch tool); agentd serves any. */
export const CONFORMANCE_MODEL = 'gpt-5.5';

/**
 * Where scenario homes go: not under the system temp directory, where Codex refuses to install
 * its sandbox helper (`codex-linux-sandbox`) and then runs no sandboxed command at all.
 */
function homesRoot(): string {
  const base = process.env.XDG_CACHE_HOME || (homedir() ? join(homedir(), '.cache') : tmpdir());
  const dir = join(base, 'agentd-conformance');
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    return dir;
  } catch {
    return tmpdir(); // an unwritable home: agentd does not mind; Codex then runs no sandboxed command
  }
}

/**
 * A config.toml both agentd and Codex read: the mock as the model provider (Responses wire, a
 * key from `env_key`), no retries (faults are final), and a model both know.
 */
export function mockConfigToml(url: string, model = CONFORMANCE_MODEL): string {
  return [
    `model = ${JSON.stringify(model)}`,
    'model_provider = "mock"',
    'approval_policy = "never"',
    'sandbox_mode = "workspace-write"',
    '',
    '[model_providers.mock]',
    'name = "Conformance mock"',
    `base_url = ${JSON.stringify(url)}`,
    'wire_api = "responses"',
    `env_key = "${MOCK_KEY_VAR}"`,
    'request_max_retries = 0',
    'stream_max_retries = 0',
    '',
  ].join('\n');
}

export interface ContextOptions {
  server: string;
  homeVars: HomeVar[];
  checker: SchemaChecker;
  env?: NodeJS.ProcessEnv;
  onStderr?: (text: string) => void;
}

/** What a scenario works with: a fresh home, workspace and mock model, and the server command. */
export class ScenarioContext {
  readonly notes: string[] = [];
  /** The end of the servers' stderr (shown when a scenario fails). */
  stderrTail = '';
  private readonly clients: AgentdClient[] = [];
  private responder: (req: RecordedRequest) => MockTurn = (req) => ({ output: [{ type: 'text', text: `Echo: ${lastUser(req)}` }] });

  private constructor(
    private readonly opts: ContextOptions,
    readonly mock: MockModelServer,
    readonly home: string,
    readonly workspace: string,
    private readonly userHome: string,
  ) {}

  static async create(opts: ContextOptions): Promise<ScenarioContext> {
    let self: ScenarioContext | null = null;
    const mock = await startMockModelServer({ defaultResponder: (req) => self!.responder(req) });
    const home = realpathSync(mkdtempSync(join(homesRoot(), 'home-')));
    const workspace = realpathSync(mkdtempSync(join(tmpdir(), 'agentd-conformance-ws-')));
    const userHome = join(home, 'user-home');
    mkdirSync(userHome);
    writeFileSync(join(home, 'config.toml'), mockConfigToml(mock.url));
    self = new ScenarioContext(opts, mock, home, workspace, userHome);
    return self;
  }

  /** Sets how the mock model answers (default: echo the last user text). */
  respond(fn: (req: RecordedRequest) => MockTurn): void {
    this.responder = fn;
  }

  /** Spawns the server on this home (not initialized); every message it writes is schema-checked. */
  spawn(): AgentdClient {
    const homes = Object.fromEntries(this.opts.homeVars.map((v) => [v, this.home]));
    const c = AgentdClient.spawn({
      command: this.opts.server,
      // kill -9 reaches the whole server (the `codex` launcher and its native binary).
      processGroup: true,
      // The command is read as the user typed it (relative paths from where they run it); every
      // thread names its cwd (the workspace) explicitly.
      cwd: process.cwd(),
      env: { ...process.env, ...this.opts.env, HOME: this.userHome, ...homes, [MOCK_KEY_VAR]: 'conformance-key', AGENTD_RETRY_BASE_MS: '5' },
      onStderr: (t) => {
        this.stderrTail = (this.stderrTail + t).slice(-1500);
        this.opts.onStderr?.(t);
      },
    });
    const methods = new Map<string | number, string>();
    c.onSent((m) => {
      const msg = m as { id?: string | number; method?: string };
      if (msg.id !== undefined && msg.method !== undefined) methods.set(msg.id, msg.method);
    });
    c.onRaw((m, text) => this.opts.checker.check(m, text, (id) => methods.get(id)));
    this.clients.push(c);
    return c;
  }

  /** Spawns and initializes. */
  async start(): Promise<AgentdClient> {
    const c = this.spawn();
    await c.initialize({ name: 'agentd-conformance', version: '1' });
    return c;
  }

  /** thread/start in the workspace (approval `never`, workspace-write sandbox unless overridden). */
  async thread(c: AgentdClient, extra: Partial<RequestParams<'thread/start'>> = {}): Promise<string> {
    const r = await c.request('thread/start', { cwd: this.workspace, approvalPolicy: 'never', sandbox: 'workspace-write', ...extra });
    return r.thread.id;
  }

  expect(cond: unknown, message: string): asserts cond {
    if (!cond) throw new ScenarioFailure(message);
  }

  /** Records where this server differs from agentd in an accepted way. */
  note(text: string): void {
    if (!this.notes.includes(text)) this.notes.push(text);
  }

  async dispose(): Promise<void> {
    await Promise.all(this.clients.map((c) => c.close(2000).catch(() => undefined)));
    await this.mock.close();
    rmSync(this.home, { recursive: true, force: true });
    rmSync(this.workspace, { recursive: true, force: true });
  }
}

function lastUser(req: RecordedRequest): string {
  const input = (req.body as { input?: unknown }).input;
  if (!Array.isArray(input)) return '';
  for (let i = input.length - 1; i >= 0; i--) {
    const m = input[i] as { role?: string; content?: { text?: string }[] };
    if (m.role === 'user' && Array.isArray(m.content)) return m.content.map((p) => p.text ?? '').join('');
  }
  return '';
}

export { lastUser };

/** The names (and kinds) of the tools a model request offered. */
export function offeredTools(req: RecordedRequest): Map<string, string> {
  const tools = ((req.body as { tools?: unknown }).tools ?? []) as { type?: string; name?: string; function?: { name?: string } }[];
  return new Map(tools.map((t) => [t.name ?? t.function?.name ?? '', t.type ?? 'function']));
}

/** True when the request's last input item is a tool output: the model is answering a tool call of this turn. */
export function answersToolCall(req: RecordedRequest): boolean {
  const input = (req.body as { input?: unknown }).input;
  if (!Array.isArray(input) || input.length === 0) return false;
  const last = input.at(-1) as { type?: string };
  return last.type === 'function_call_output' || last.type === 'custom_tool_call_output';
}

/** The output (text) of the tool call `callId` in a request, if it carries it. */
export function toolOutput(req: RecordedRequest, callId: string): string | undefined {
  const input = (req.body as { input?: unknown }).input;
  if (!Array.isArray(input)) return undefined;
  const item = input.find((i: { call_id?: string; type?: string }) => i.call_id === callId && String(i.type).endsWith('_output')) as { output?: unknown } | undefined;
  if (!item) return undefined;
  return typeof item.output === 'string' ? item.output : JSON.stringify(item.output);
}

/**
 * A call of whichever shell tool the server offers: `exec_command` (agentd, unified exec),
 * `shell_command` (a command string) or `shell` (an argv).
 */
export function shellCall(req: RecordedRequest, command: string, callId: string): MockOutput {
  const tools = offeredTools(req);
  if (tools.has('exec_command')) return { type: 'function_call', name: 'exec_command', arguments: { cmd: command }, callId };
  if (tools.has('shell_command')) return { type: 'function_call', name: 'shell_command', arguments: { command }, callId };
  if (tools.has('shell')) return { type: 'function_call', name: 'shell', arguments: { command: ['bash', '-lc', command] }, callId };
  throw new ScenarioFailure(`the server offers no shell tool (tools: ${[...tools.keys()].join(', ')})`);
}

/** An `apply_patch` call: freeform when the server offers it as a custom tool, else a function. */
export function patchCall(req: RecordedRequest, patch: string, callId: string): MockOutput {
  const kind = offeredTools(req).get('apply_patch');
  if (kind === undefined) throw new ScenarioFailure('the server offers no apply_patch tool');
  if (kind === 'custom') return { type: 'custom_tool_call', name: 'apply_patch', input: patch, callId };
  return { type: 'function_call', name: 'apply_patch', arguments: { input: patch }, callId };
}
