/**
 * Drives `bin/agentd acp` as an editor does, with the ACP SDK's own client side, and checks every
 * line the daemon writes on stdout against the SDK's JSON schema (schema/v1/schema.json): a
 * response by the method it answers, a request or notification by its method.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { PassThrough, Readable, Writable } from 'node:stream';
import * as acp from '@agentclientprotocol/sdk';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import { afterAll, afterEach, beforeAll, expect } from 'vitest';
import { createHarness, mockConfig, type Harness } from './harness.js';

const require = createRequire(import.meta.url);
const BIN = join(import.meta.dirname, '..', '..', 'bin', 'agentd');

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

const schema = require('@agentclientprotocol/sdk/schema/v1/schema.json') as Record<string, Json>;
const ajv = new Ajv2020({ allErrors: true, strict: false, validateFormats: false, logger: false });
const defs = schema.$defs as Record<string, unknown>;
const validators = new Map<string, ValidateFunction>();
function validatorFor(def: string): ValidateFunction {
  let v = validators.get(def);
  if (!v) {
    if (!(def in defs)) throw new Error(`schema has no $defs/${def}`);
    v = ajv.compile({ $ref: `#/$defs/${def}`, $defs: defs });
    validators.set(def, v);
  }
  return v;
}

/** Config presets the ACP tests run under: asks before anything untrusted (sandboxed), or never asks with full access. */
export const UNTRUSTED = ['approval_policy="untrusted"', 'sandbox_mode="workspace-write"'];
export const FULL = ['approval_policy="never"', 'sandbox_mode="danger-full-access"'];

const RESPONSE_DEFS: Record<string, string> = {
  initialize: 'InitializeResponse',
  authenticate: 'AuthenticateResponse',
  'session/new': 'NewSessionResponse',
  'session/load': 'LoadSessionResponse',
  'session/list': 'ListSessionsResponse',
  'session/resume': 'ResumeSessionResponse',
  'session/close': 'CloseSessionResponse',
  'session/delete': 'DeleteSessionResponse',
  'session/prompt': 'PromptResponse',
  'session/set_mode': 'SetSessionModeResponse',
  'session/set_config_option': 'SetSessionConfigOptionResponse',
};

const AGENT_MESSAGE_DEFS: Record<string, string> = {
  'session/update': 'SessionNotification',
  'session/request_permission': 'RequestPermissionRequest',
  'fs/read_text_file': 'ReadTextFileRequest',
  'fs/write_text_file': 'WriteTextFileRequest',
  'terminal/create': 'CreateTerminalRequest',
  'terminal/output': 'TerminalOutputRequest',
  'terminal/release': 'ReleaseTerminalRequest',
  'terminal/wait_for_exit': 'WaitForTerminalExitRequest',
  'terminal/kill': 'KillTerminalRequest',
  '$/cancel_request': 'CancelRequestNotification',
};

export interface AcpProcess {
  child: ChildProcess;
  conn: acp.ClientConnection;
  agent: acp.ClientContext;
  /** Every line the daemon wrote on stdout, parsed (a line that is not JSON fails `problems`). */
  lines: Json[];
  /** Every line the client wrote. */
  sent: Json[];
  /** Every session/update, in order. */
  updates: acp.SessionNotification[];
  /** Schema violations and non-JSON stdout lines found so far. */
  problems: string[];
  stderr: () => string;
  /** How the client answers `session/request_permission` (default: cancelled). */
  onPermission: (req: acp.RequestPermissionRequest) => Promise<acp.RequestPermissionResponse> | acp.RequestPermissionResponse;
  /** Permission requests received, in order. */
  permissions: acp.RequestPermissionRequest[];
  /** The updates of one session. */
  updatesOf(sessionId: string): acp.SessionUpdate[];
  /** Writes a raw line to the daemon's stdin. */
  writeRaw(line: string): void;
  /** Resolves with the first stdout message matching `pred` (already seen or to come). */
  waitForLine(pred: (m: Json) => boolean, timeoutMs?: number): Promise<Json>;
  kill(): Promise<void>;
}

export interface SpawnAcpOptions {
  config?: string[];
  /** The daemon's log level (default: $AGENTD_TEST_LOG or warn); logs go to stderr. */
  logLevel?: string;
  env?: NodeJS.ProcessEnv;
  clientCapabilities?: acp.ClientCapabilities;
  /** Extra client request handlers (fs, terminal). */
  handlers?: (app: acp.ClientApp) => void;
}

/** Spawns `agentd acp` on the harness's home, pointed at the mock model, and connects the SDK client. */
export function spawnAcp(h: Harness, opts: SpawnAcpOptions = {}): AcpProcess {
  const args = ['acp', ...[...mockConfig(h.mock.url), ...(opts.config ?? [])].flatMap((c) => ['-c', c]), '--log-level', opts.logLevel ?? process.env.AGENTD_TEST_LOG ?? 'warn'];
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd: h.workspace,
    env: { ...process.env, HOME: join(h.home, 'user-home'), AGENTD_HOME: h.home, AGENTD_RETRY_BASE_MS: '5', ...opts.env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const sentMethods = new Map<string, string>();
  const p: AcpProcess = {
    child,
    conn: null as unknown as acp.ClientConnection,
    agent: null as unknown as acp.ClientContext,
    lines: [],
    sent: [],
    updates: [],
    problems: [],
    stderr: () => stderr,
    onPermission: () => ({ outcome: { outcome: 'cancelled' } }),
    permissions: [],
    updatesOf: (id) => p.updates.filter((u) => u.sessionId === id).map((u) => u.update),
    writeRaw: (line) => void toChild.write(`${line}\n`),
    waitForLine(pred, timeoutMs = 15_000) {
      const seen = p.lines.find(pred);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no matching stdout line within ${timeoutMs} ms; stderr: ${stderr.slice(-2000)}`)), timeoutMs);
        waiters.push({ pred, resolve: (m) => (clearTimeout(timer), resolve(m)) });
      });
    },
    async kill() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGKILL');
      await exited;
    },
  };
  const waiters: { pred: (m: Json) => boolean; resolve: (m: Json) => void }[] = [];

  // Tap what the client writes (to know which method each response answers).
  const toChild = new PassThrough();
  toChild.pipe(child.stdin!);
  let sentBuf = '';
  toChild.on('data', (d: Buffer) => {
    sentBuf += d.toString();
    let nl: number;
    while ((nl = sentBuf.indexOf('\n')) >= 0) {
      const line = sentBuf.slice(0, nl);
      sentBuf = sentBuf.slice(nl + 1);
      try {
        const m = JSON.parse(line);
        p.sent.push(m);
        if (m && m.method && m.id !== undefined) sentMethods.set(JSON.stringify(m.id), m.method);
      } catch {
        /* a raw malformed line the test wrote */
      }
    }
  });
  // Tap what the daemon writes: every line must be JSON and fit the schema.
  const fromChild = new PassThrough();
  child.stdout!.pipe(fromChild);
  let outBuf = '';
  child.stdout!.on('data', (d: Buffer) => {
    outBuf += d.toString();
    let nl: number;
    while ((nl = outBuf.indexOf('\n')) >= 0) {
      const line = outBuf.slice(0, nl);
      outBuf = outBuf.slice(nl + 1);
      let m: Json;
      try {
        m = JSON.parse(line);
      } catch {
        p.problems.push(`stdout line is not JSON: ${line.slice(0, 200)}`);
        continue;
      }
      p.lines.push(m);
      check(m);
      for (const w of waiters.splice(0)) {
        if (w.pred(m)) w.resolve(m);
        else waiters.push(w);
      }
    }
  });
  const check = (m: Json) => {
    const problem = (what: string, errors: unknown) => p.problems.push(`${what}: ${JSON.stringify(errors)} in ${JSON.stringify(m).slice(0, 500)}`);
    if (m?.jsonrpc !== '2.0') return problem('not JSON-RPC 2.0', null);
    if (m.method !== undefined) {
      const def = AGENT_MESSAGE_DEFS[m.method];
      if (!def) return problem(`unexpected method ${m.method}`, null);
      const v = validatorFor(def);
      if (!v(m.params)) problem(def, v.errors);
      return;
    }
    if (m.error !== undefined) {
      const v = validatorFor('Error');
      if (!v(m.error)) problem('Error', v.errors);
      return;
    }
    const method = sentMethods.get(JSON.stringify(m.id));
    if (!method) return; // an answer to a request the test wrote raw: checked by the test
    const def = RESPONSE_DEFS[method];
    if (!def) return problem(`response to unknown method ${method}`, null);
    const v = validatorFor(def);
    if (!v(m.result)) problem(def, v.errors);
  };

  const app = acp
    .client({ name: 'agentd-test' })
    .onNotification(acp.methods.client.session.update, ({ params }) => {
      p.updates.push(params);
    })
    .onRequest(acp.methods.client.session.requestPermission, async ({ params }) => {
      p.permissions.push(params);
      return p.onPermission(params);
    });
  opts.handlers?.(app);
  const stream = acp.ndJsonStream(Writable.toWeb(toChild) as WritableStream<Uint8Array>, Readable.toWeb(fromChild) as ReadableStream<Uint8Array>);
  p.conn = app.connect(stream);
  p.agent = p.conn.agent;
  return p;
}

/** Spawns and initializes; returns the process and the initialize response. */
export async function startAcp(h: Harness, opts: SpawnAcpOptions = {}): Promise<AcpProcess> {
  const p = spawnAcp(h, opts);
  await p.agent.request(acp.methods.agent.initialize, { protocolVersion: acp.PROTOCOL_VERSION, clientCapabilities: opts.clientCapabilities ?? {} });
  return p;
}

/**
 * The updates folded into what an editor shows: consecutive chunks of one kind merged, each tool
 * call in its final state (its tool_call and every tool_call_update applied), in first-seen order.
 * Usage and command lists are left out (they describe the session, not the conversation).
 */
export function transcript(updates: acp.SessionUpdate[], opts: { users?: boolean } = {}): Json[] {
  const out: Json[] = [];
  const calls = new Map<string, Json>();
  for (const u of updates) {
    switch (u.sessionUpdate) {
      case 'user_message_chunk':
      case 'agent_message_chunk':
      case 'agent_thought_chunk': {
        if (u.sessionUpdate === 'user_message_chunk' && !opts.users) break;
        const last = out[out.length - 1];
        const text = u.content.type === 'text' ? u.content.text : JSON.stringify(u.content);
        if (last && last.type === u.sessionUpdate && last.messageId === (u.messageId ?? null)) last.text += text;
        else out.push({ type: u.sessionUpdate, messageId: u.messageId ?? null, text });
        break;
      }
      case 'tool_call': {
        const { sessionUpdate: _, ...call } = u;
        const entry = { type: 'tool_call', ...call };
        calls.set(u.toolCallId, entry);
        out.push(entry);
        break;
      }
      case 'tool_call_update': {
        const { sessionUpdate: _, ...fields } = u;
        const entry = calls.get(u.toolCallId);
        if (entry) Object.assign(entry, Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined)));
        else out.push({ type: 'orphan_update', ...fields });
        break;
      }
      default:
        break;
    }
  }
  return out;
}

export interface AcpSuite {
  harness(): Harness;
  /** Spawns and initializes a daemon (killed after the file; its stdout checked after each test). */
  open(opts?: SpawnAcpOptions): Promise<AcpProcess>;
  /** Adds a spawned process to the checks and the teardown. */
  track(p: AcpProcess): AcpProcess;
  newSession(p: AcpProcess, extra?: Partial<acp.NewSessionRequest>): Promise<acp.NewSessionResponse>;
  prompt(p: AcpProcess, sessionId: string, text: string): Promise<acp.PromptResponse>;
}

/**
 * A test file's harness and daemons: every line each daemon wrote must fit the schema (checked
 * after each test), and every daemon is killed at the end.
 */
export function acpSuite(): AcpSuite {
  let h: Harness | null = null;
  const procs: AcpProcess[] = [];
  beforeAll(async () => {
    h = await createHarness();
  });
  afterEach(() => {
    for (const p of procs) expect(p.problems, p.stderr().slice(-2000)).toEqual([]);
  });
  afterAll(async () => {
    await Promise.all(procs.map((p) => p.kill()));
    await h?.cleanup();
  });
  const harness = () => {
    if (!h) throw new Error('the harness starts in beforeAll');
    return h;
  };
  return {
    harness,
    track(p) {
      procs.push(p);
      return p;
    },
    async open(opts = {}) {
      const p = await startAcp(harness(), opts);
      procs.push(p);
      return p;
    },
    newSession: (p, extra = {}) => p.agent.request(acp.methods.agent.session.new, { cwd: harness().workspace, mcpServers: [], ...extra }),
    prompt: (p, sessionId, text) => p.agent.request(acp.methods.agent.session.prompt, { sessionId, prompt: [{ type: 'text', text }] }),
  };
}
