#!/usr/bin/env node
// End-to-end check: the real ACP adapter codex-acp (npm @agentclientprotocol/codex-acp) drives agentd.
//
//   AGENTD_ROOT=/path/to/agentd node scripts/codex-acp-e2e.mjs
//
// Env:
//   AGENTD_ROOT     agentd checkout with a built dist/ (default: the repo this script lives in)
//   CODEX_ACP_DIR   the codex-acp package dir (default: AGENTD_ROOT's node_modules, a devDependency)
//   ACP_SDK_DIR     the @agentclientprotocol/sdk package dir (default: next to CODEX_ACP_DIR)
//   E2E_OUT         directory for artifacts (trace.jsonl, logs, summary.json); default a fresh /tmp dir
//   E2E_TIMEOUT_MS  overall timeout (default 300000); E2E_STEP_TIMEOUT_MS per step (default 30000)
//   E2E_VERBOSE=1   print app-server traffic of failed steps in full
//
// It starts agentd's mock model server (scripted by the latest user message text), a temp
// AGENTD_HOME with config.toml, a temp git repo as cwd, a CODEX_PATH wrapper that runs
// `$AGENTD_ROOT/bin/agentd "$@"` and records every JSON line in both directions to trace.jsonl,
// then spawns codex-acp and drives it over ACP like an editor. Prints a table of steps; exits 1
// when a step that is not marked "expected to fail" fails, 2 on the overall timeout.
import { spawn, execFileSync } from 'node:child_process';
import { appendFileSync, chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { fileURLToPath, pathToFileURL } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
const AGENTD_ROOT = resolve(process.env.AGENTD_ROOT ?? join(HERE, '..'));
const CODEX_ACP_DIR = resolve(process.env.CODEX_ACP_DIR ?? join(AGENTD_ROOT, 'node_modules/@agentclientprotocol/codex-acp'));
const ACP_SDK_DIR = resolve(process.env.ACP_SDK_DIR ?? join(CODEX_ACP_DIR, '..', 'sdk'));
const TIMEOUT_MS = Number(process.env.E2E_TIMEOUT_MS ?? 300_000);
const STEP_TIMEOUT_MS = Number(process.env.E2E_STEP_TIMEOUT_MS ?? 30_000);
const VERBOSE = process.env.E2E_VERBOSE === '1';
// E2E_SHIM=1: the tee answers app-server methods agentd does not implement (-32601) with minimal
// Codex-shaped results, so the run gets past them and shows what breaks next. Off by default.
const SHIMS = {
  'account/read': { account: null, requiresOpenaiAuth: false },
  'account/rateLimits/read': { rateLimits: null, rateLimitsByLimitId: null },
  'skills/list': { data: [] },
  'mcpServerStatus/list': { data: [], nextCursor: null },
  'model/list': { data: [], nextCursor: null },
  'permissionProfile/list': { data: [], nextCursor: null },
  'hooks/list': { data: [] },
  'thread/settings/update': {},
  'skills/extraRoots/set': {},
  'thread/backgroundTerminals/list': { data: [], nextCursor: null },
  'thread/turns/list': { data: [], nextCursor: null, backwardsCursor: null },
};
const SHIM_JSON = process.env.E2E_SHIM === '1' ? JSON.stringify(SHIMS) : process.env.E2E_SHIM || '';

for (const [what, p] of [
  ['agentd dist (run npm run build in AGENTD_ROOT)', join(AGENTD_ROOT, 'dist/src/mock/index.js')],
  ['agentd bin', join(AGENTD_ROOT, 'bin/agentd')],
  ['codex-acp (npm install @agentclientprotocol/codex-acp)', join(CODEX_ACP_DIR, 'dist/index.js')],
  ['@agentclientprotocol/sdk', join(ACP_SDK_DIR, 'dist/v1/stable/acp.js')],
]) {
  if (!existsSync(p)) {
    console.error(`missing ${what}: ${p}`);
    process.exit(2);
  }
}

const { startMockModelServer, lastUserText } = await import(pathToFileURL(join(AGENTD_ROOT, 'dist/src/mock/index.js')).href);
const acp = await import(pathToFileURL(join(ACP_SDK_DIR, 'dist/v1/stable/acp.js')).href);

// ---------------------------------------------------------------------------------------------
// Scratch space
const OUT = process.env.E2E_OUT ? resolve(process.env.E2E_OUT) : mkdtempSync(join(tmpdir(), 'codex-acp-e2e-'));
rmSync(OUT, { recursive: true, force: true });
mkdirSync(OUT, { recursive: true });
const HOME = join(OUT, 'agentd-home');
const USER_HOME = join(OUT, 'user-home');
const WS = join(OUT, 'workspace');
const EXTRA_DIR = join(OUT, 'extra-dir');
const TRACE = join(OUT, 'trace.jsonl');
// The MCP server an editor passes to session/new: the test suite's SDK-built stdio server.
const MCP_TEST_SERVER = join(AGENTD_ROOT, 'test/support/mcp-test-server.mjs');
const MCP_MARKS = join(OUT, 'mcp-marks');
mkdirSync(MCP_MARKS, { recursive: true });
for (const d of [HOME, USER_HOME, WS, EXTRA_DIR]) mkdirSync(d, { recursive: true });
writeFileSync(join(WS, 'hello.txt'), 'Hello from agentd!\n');
writeFileSync(join(WS, 'README.md'), '# demo workspace\n');
const git = (...args) => execFileSync('git', args, { cwd: WS, stdio: 'pipe', env: { ...process.env, HOME: USER_HOME } });
git('init', '-q', '-b', 'main');
git('-c', 'user.name=e2e', '-c', 'user.email=e2e@example.invalid', 'add', '.');
git('-c', 'user.name=e2e', '-c', 'user.email=e2e@example.invalid', 'commit', '-q', '-m', 'initial');
writeFileSync(TRACE, '');

// ---------------------------------------------------------------------------------------------
// The scripted model: picks its action from the latest user message text.
const PATCH = [
  '*** Begin Patch',
  '*** Add File: notes/NOTES.md',
  '+# Notes',
  '+',
  '+Written by the codex-acp e2e.',
  '*** Update File: hello.txt',
  '@@',
  ' Hello from agentd!',
  '+Have a wonderful day.',
  '*** End Patch',
].join('\n');
const NOTES_CONTENT = '# Notes\n\nWritten by the codex-acp e2e.\n';
const HELLO_AFTER = 'Hello from agentd!\nHave a wonderful day.\n';

/** Tool outputs after the last user message (how far the scripted tool turn got). */
function toolOutputsSinceUser(req) {
  const input = Array.isArray(req.body?.input) ? req.body.input : [];
  let n = 0;
  for (let i = input.length - 1; i >= 0; i--) {
    const it = input[i];
    if (it?.role === 'user' && (it.type === undefined || it.type === 'message')) break;
    if (it?.type === 'function_call_output' || it?.type === 'custom_tool_call_output') n++;
  }
  return n;
}

let callSeq = 0;
function responder(req) {
  const text = lastUserText(req).toLowerCase();
  const done = toolOutputsSinceUser(req);
  const usage = { inputTokens: 1000, cachedInputTokens: 100, outputTokens: 50, reasoningOutputTokens: 0, totalTokens: 1050 };
  const say = (t) => ({ usage, output: [{ type: 'text', text: t, chunks: 3 }] });
  // A review (agentd's review instructions): look at the changes with git, then answer the JSON asked for.
  if (String(req.body?.instructions ?? '').includes('You are reviewing a code change')) {
    if (done === 0) {
      return { usage, output: [{ type: 'function_call', name: 'exec_command', callId: `call_review_${++callSeq}`, arguments: { cmd: 'git status --short && git log --oneline -3' } }] };
    }
    const findings = {
      findings: [
        {
          title: '[P2] hello.txt lost its trailing greeting',
          body: 'The edit drops the second line of hello.txt; callers that read it expect two lines.',
          confidence_score: 0.7,
          priority: 2,
          code_location: { absolute_file_path: join(WS, 'hello.txt'), line_range: { start: 1, end: 2 } },
        },
      ],
      overall_correctness: 'patch is correct',
      overall_explanation: 'The change is small and mostly right.',
    };
    return say(JSON.stringify(findings));
  }
  if (text.includes('e2e:run ls')) {
    if (done > 0) return say('The listing is above.');
    return {
      usage,
      output: [
        { type: 'text', text: 'Listing the workspace.', chunks: 2 },
        {
          type: 'function_call',
          name: 'exec_command',
          callId: `call_ls_${++callSeq}`,
          arguments: { cmd: 'ls', sandbox_permissions: 'require_escalated', justification: 'List the workspace outside the sandbox.' },
        },
      ],
    };
  }
  if (text.includes('e2e:patch')) {
    if (done > 0) return say('Patched hello.txt and added notes/NOTES.md.');
    return { usage, output: [{ type: 'custom_tool_call', name: 'apply_patch', callId: `call_patch_${++callSeq}`, input: PATCH }] };
  }
  if (text.includes('e2e:sleep')) {
    if (done > 0) return say('Slept.');
    return {
      usage,
      output: [{ type: 'function_call', name: 'exec_command', callId: `call_sleep_${++callSeq}`, arguments: { cmd: 'sleep 59.871', yield_time_ms: 120000 } }],
    };
  }
  if (text.includes('e2e:hang')) {
    return { usage, output: [{ type: 'text', text: 'Thinking very hard about this...', chunks: 3 }], fault: { hang: true } };
  }
  if (text.includes('e2e:mcp')) {
    if (done > 0) return say('The note is written.');
    return { usage, output: [{ type: 'function_call', name: 'mcp__e2e-notes__write_note', callId: `call_mcp_${++callSeq}`, arguments: { key: 'e2e', text: 'from codex-acp' } }] };
  }
  if (text.includes('e2e:hello')) return say('Hello! I am the mock model.');
  return say(`Echo: ${lastUserText(req).slice(0, 200)}`);
}

const mock = await startMockModelServer({ defaultResponder: responder });
writeFileSync(
  join(HOME, 'config.toml'),
  [
    'model = "gpt-5-codex"',
    'model_provider = "mock"',
    'approval_policy = "on-request"',
    'sandbox_mode = "workspace-write"',
    '',
    '[model_providers.mock]',
    'name = "Mock model"',
    `base_url = "${mock.url}"`,
    'wire_api = "responses"',
    'request_max_retries = 1',
    'stream_max_retries = 1',
    '',
  ].join('\n'),
);

// ---------------------------------------------------------------------------------------------
// CODEX_PATH: a shell script that execs a node tee around bin/agentd.
const WRAPPER_JS = join(OUT, 'agentd-tee.mjs');
writeFileSync(
  WRAPPER_JS,
  `import { spawn } from 'node:child_process';
import { appendFileSync } from 'node:fs';
const trace = process.env.E2E_TRACE;
const proc = process.env.E2E_PROC ?? 'agentd';
const child = spawn(process.execPath, [process.env.E2E_AGENTD_BIN, ...process.argv.slice(2)], { stdio: ['pipe', 'pipe', 'pipe'], env: process.env });
const log = (dir, line) => {
  let msg;
  try { msg = JSON.parse(line); } catch { msg = { raw: line }; }
  appendFileSync(trace, JSON.stringify({ t: Date.now(), pid: child.pid, dir, msg }) + '\\n');
};
appendFileSync(trace, JSON.stringify({ t: Date.now(), pid: child.pid, dir: 'spawn', msg: { argv: process.argv.slice(2), teePid: process.pid } }) + '\\n');
// Forwards whole lines (a line is written once complete), logging each; rewrite may replace a line.
function tee(from, to, dir, onEnd, rewrite) {
  let buf = '';
  const one = (l) => {
    if (!l.trim()) { to.write(l + '\\n'); return; }
    log(dir, l);
    let msg = null;
    try { msg = JSON.parse(l); } catch {}
    const out = rewrite ? (rewrite(msg, l) ?? l) : l;
    to.write(out + '\\n');
  };
  from.setEncoding('utf8'); // a character split between chunks stays whole
  from.on('data', (d) => {
    buf += d;
    let i;
    while ((i = buf.indexOf('\\n')) >= 0) { const l = buf.slice(0, i); buf = buf.slice(i + 1); one(l); }
  });
  from.on('end', () => { if (buf.length) { log(dir, buf); to.write(buf); } onEnd?.(); });
}
// E2E_SHIM: answer methods agentd lacks (-32601) with a minimal Codex-shaped result, to see what breaks next.
const SHIM = process.env.E2E_SHIM ? JSON.parse(process.env.E2E_SHIM) : null;
const pending = new Map();
tee(process.stdin, child.stdin, 'c2s', () => child.stdin.end(), (msg) => {
  if (SHIM && msg && msg.method && msg.id !== undefined) pending.set(JSON.stringify(msg.id), msg.method);
});
tee(child.stdout, process.stdout, 's2c', undefined, (msg, line) => {
  if (!SHIM || !msg || msg.id === undefined || msg.method) return line;
  const method = pending.get(JSON.stringify(msg.id));
  pending.delete(JSON.stringify(msg.id));
  if (msg.error && msg.error.code === -32601 && method in SHIM) {
    const out = JSON.stringify({ jsonrpc: '2.0', id: msg.id, result: SHIM[method] });
    appendFileSync(trace, JSON.stringify({ t: Date.now(), pid: child.pid, dir: 'shim', msg: JSON.parse(out), method }) + '\\n');
    return out;
  }
  return line;
});
child.stderr.on('data', (d) => { process.stderr.write(d); appendFileSync(process.env.E2E_AGENTD_STDERR, d); });
child.stdin.on('error', () => {});
process.stdout.on('error', () => {});
for (const s of ['SIGTERM', 'SIGINT', 'SIGHUP']) process.on(s, () => { child.kill(s); });
child.on('exit', (code, signal) => {
  appendFileSync(trace, JSON.stringify({ t: Date.now(), pid: child.pid, dir: 'exit', msg: { code, signal } }) + '\\n');
  process.exit(code ?? 1);
});
`,
);
const CODEX_PATH = join(OUT, 'codex');
writeFileSync(
  CODEX_PATH,
  `#!/bin/sh
export AGENTD_HOME='${HOME}'
export HOME='${USER_HOME}'
export AGENTD_LOG="\${AGENTD_LOG:-warn}"
export E2E_TRACE='${TRACE}'
export E2E_AGENTD_BIN='${join(AGENTD_ROOT, 'bin/agentd')}'
export E2E_AGENTD_STDERR='${join(OUT, 'agentd-stderr.log')}'
${SHIM_JSON ? `export E2E_SHIM='${SHIM_JSON.replace(/'/g, "'\\''")}'` : ''}
exec '${process.execPath}' '${WRAPPER_JS}' "$@"
`,
);
chmodSync(CODEX_PATH, 0o755);

// ---------------------------------------------------------------------------------------------
// Trace helpers
function traceLines() {
  // The tee processes append while we read: a last line still being written is not there yet.
  const out = [];
  for (const l of readFileSync(TRACE, 'utf8').split('\n')) {
    if (!l) continue;
    try {
      out.push(JSON.parse(l));
    } catch {
      // a torn tail
    }
  }
  return out;
}
/** App-server requests in trace[from..] that got an error answer, paired with the answer. */
function appServerErrors(from) {
  const lines = traceLines().slice(from);
  const reqs = new Map();
  const out = [];
  for (const l of lines) {
    const m = l.msg;
    if (l.dir === 'c2s' && m.method && m.id !== undefined) reqs.set(`${l.pid}:${m.id}`, m);
    if (l.dir === 's2c' && m.id !== undefined && m.error) out.push({ request: reqs.get(`${l.pid}:${m.id}`) ?? null, error: m.error });
    if (l.dir === 'shim' && out.length) out.at(-1).shimmed = l.msg.result;
    if (l.dir === 'c2s' && m.id !== undefined && m.error) out.push({ request: { note: 'client answered a server request with an error', id: m.id }, error: m.error });
  }
  return out;
}
function appServerMethods(from) {
  return traceLines()
    .slice(from)
    .filter((l) => l.dir === 'c2s' && l.msg.method)
    .map((l) => l.msg.method);
}

// ---------------------------------------------------------------------------------------------
// codex-acp process + ACP client
const children = new Set();
function startCodexAcp(tag) {
  const child = spawn(process.execPath, [join(CODEX_ACP_DIR, 'dist/index.js')], {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: {
      PATH: process.env.PATH,
      HOME: USER_HOME,
      CODEX_PATH,
      APP_SERVER_LOGS: join(OUT, `codex-acp-logs-${tag}`),
      TMPDIR: process.env.TMPDIR ?? '/tmp',
    },
  });
  children.add(child);
  child.on('exit', () => children.delete(child));
  let stderr = '';
  child.stderr.on('data', (d) => {
    stderr += d;
    writeFileSync(join(OUT, `codex-acp-stderr-${tag}.log`), stderr);
  });
  const updates = [];
  const permissionRequests = [];
  const permissionAnswers = []; // queue of option kinds to pick: allow_once, allow_always, reject_once, ...
  const listeners = new Set();
  const app = acp
    .client({ name: 'agentd-e2e-editor' })
    .onRequest('session/request_permission', (ctx) => {
      const p = ctx.params;
      const kind = permissionAnswers.shift() ?? 'allow_once';
      permissionRequests.push({ params: p, answered: kind });
      appendFileSync(join(OUT, `acp-permissions-${tag}.jsonl`), JSON.stringify({ params: p, answered: kind }) + '\n');
      const opt = p.options.find((o) => o.kind === kind) ?? p.options.find((o) => o.kind.startsWith('allow'));
      for (const l of listeners) l({ type: 'permission', params: p });
      return { outcome: opt ? { outcome: 'selected', optionId: opt.optionId } : { outcome: 'cancelled' } };
    })
    .onNotification('session/update', (ctx) => {
      updates.push(ctx.params);
      appendFileSync(join(OUT, `acp-updates-${tag}.jsonl`), JSON.stringify(ctx.params) + '\n');
      for (const l of listeners) l({ type: 'update', params: ctx.params });
    });
  const conn = app.connect(acp.ndJsonStream(Writable.toWeb(child.stdin), Readable.toWeb(child.stdout)));
  return {
    tag,
    child,
    conn,
    agent: conn.agent,
    updates,
    permissionRequests,
    permissionAnswers,
    stderr: () => stderr,
    /** Resolves with the first event for which pred is true (or rejects after ms). */
    waitFor(pred, ms = STEP_TIMEOUT_MS) {
      return new Promise((res, rej) => {
        const timer = setTimeout(() => {
          listeners.delete(l);
          rej(new Error(`timed out after ${ms} ms waiting for an ACP event`));
        }, ms);
        const l = (ev) => {
          if (pred(ev)) {
            clearTimeout(timer);
            listeners.delete(l);
            res(ev);
          }
        };
        listeners.add(l);
      });
    },
    async stop() {
      try {
        conn.close();
      } catch {}
      child.stdin.end();
      await waitExit(child, 3000);
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL');
        await waitExit(child, 2000);
      }
    },
  };
}
function waitExit(child, ms) {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((r) => {
    const t = setTimeout(r, ms);
    child.once('exit', () => {
      clearTimeout(t);
      r();
    });
  });
}
const withTimeout = (p, ms = STEP_TIMEOUT_MS, what = 'request') =>
  Promise.race([p, new Promise((_, rej) => setTimeout(() => rej(new Error(`${what} timed out after ${ms} ms`)), ms))]);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
/** Resolves once `check()` is true (checked every 50 ms), rejects after `ms`. */
async function pollUntil(check, ms, what) {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

// ---------------------------------------------------------------------------------------------
// Steps
const results = [];
let blocked = null;
async function step(name, fn, { expectFail = false, critical = false } = {}) {
  if (blocked) {
    results.push({ name, status: 'SKIP', detail: `blocked by: ${blocked}`, appServerMethods: [], appServerErrors: [] });
    console.log(`- SKIP  ${name} (blocked by: ${blocked})`);
    return;
  }
  const from = traceLines().length;
  const t0 = Date.now();
  let status = 'PASS';
  let detail = '';
  try {
    const r = await withTimeout(Promise.resolve().then(fn), STEP_TIMEOUT_MS + 5000, `step ${name}`);
    detail = typeof r === 'string' ? r : r === undefined ? '' : JSON.stringify(r);
  } catch (e) {
    status = expectFail ? 'XFAIL' : 'FAIL';
    detail = e?.message ?? String(e);
    if (e?.data !== undefined) detail += ` data=${JSON.stringify(e.data)}`;
  }
  if (status === 'PASS' && expectFail) status = 'XPASS';
  if (status === 'FAIL' && critical) blocked = name;
  await sleep(50);
  const errors = appServerErrors(from);
  const methods = [...new Set(appServerMethods(from))];
  const res = { name, status, ms: Date.now() - t0, detail, appServerMethods: methods, appServerErrors: errors };
  results.push(res);
  const mark = status === 'FAIL' ? '✗' : status === 'XFAIL' ? '~' : '✓';
  console.log(`${mark} ${status.padEnd(5)} ${name}${detail ? ` — ${detail.slice(0, 300)}` : ''}`);
  for (const e of errors) {
    const req = e.request ? JSON.stringify(e.request) : '(unknown request)';
    console.log(`      app-server error: ${VERBOSE ? req : req.slice(0, 400)}\n        → ${JSON.stringify(e.error).slice(0, VERBOSE ? 4000 : 400)}${e.shimmed ? `\n        (E2E_SHIM replaced it with ${JSON.stringify(e.shimmed)})` : ''}`);
  }
  return res;
}
function assert(cond, msg) {
  if (!cond) throw new Error(msg);
}
const textOf = (updates, kind = 'agent_message_chunk') =>
  updates
    .filter((u) => u.update?.sessionUpdate === kind && u.update.content?.type === 'text')
    .map((u) => u.update.content.text)
    .join('');
const updatesFor = (a, sessionId, from = 0) => a.updates.slice(from).filter((u) => u.sessionId === sessionId);

async function prompt(a, sessionId, text, opts = {}) {
  const from = a.updates.length;
  const p = a.agent.request('session/prompt', { sessionId, prompt: [{ type: 'text', text }] });
  let res;
  try {
    res = await withTimeout(p, opts.timeout ?? STEP_TIMEOUT_MS - 5000, `session/prompt "${text}"`);
  } catch (e) {
    // Unstick codex-acp (it queues a session's prompts) so the next steps are not blocked behind this one.
    if (/timed out/.test(e.message)) {
      await a.agent.notify('session/cancel', { sessionId }).catch(() => {});
      const after = await withTimeout(p, 5000, 'cancel').then((r) => `cancel → stopReason ${r.stopReason}`, (e2) => `cancel → ${e2.message}`);
      e.message += ` (then ${after})`;
    }
    throw e;
  }
  await sleep(100); // trailing updates
  const ups = updatesFor(a, sessionId, from);
  return { res, ups, text: textOf(ups) };
}

// ---------------------------------------------------------------------------------------------
let overallTimer;
let exitCode = 0;
const overall = new Promise((_, rej) => {
  overallTimer = setTimeout(() => rej(new Error(`overall timeout ${TIMEOUT_MS} ms`)), TIMEOUT_MS);
});

async function main() {
  console.log(`agentd: ${AGENTD_ROOT}\ncodex-acp: ${CODEX_ACP_DIR} (${JSON.parse(readFileSync(join(CODEX_ACP_DIR, 'package.json'), 'utf8')).version})\nartifacts: ${OUT}\nmock model: ${mock.url}\n`);
  const A = startCodexAcp('a');
  let S1 = null;
  let S2 = null;
  let available = null;

  const critical = { critical: true };
  await step('initialize', async () => {
    const r = await withTimeout(
      A.agent.request('initialize', {
        protocolVersion: 1,
        clientCapabilities: { fs: { readTextFile: false, writeTextFile: false }, terminal: false },
        clientInfo: { name: 'agentd-e2e-editor', version: '1.0.0' },
      }),
    );
    assert(r.protocolVersion === 1, `protocolVersion ${r.protocolVersion}`);
    writeFileSync(join(OUT, 'initialize-result.json'), JSON.stringify(r, null, 2));
    return `agentCapabilities=${JSON.stringify(r.agentCapabilities)} authMethods=${(r.authMethods ?? []).map((m) => m.id).join(',')}`;
  }, critical);

  await step('session/new (cwd)', async () => {
    const r = await withTimeout(A.agent.request('session/new', { cwd: WS, mcpServers: [] }));
    S1 = r.sessionId;
    writeFileSync(join(OUT, 'session-new-result.json'), JSON.stringify(r, null, 2));
    assert(typeof S1 === 'string' && S1.length > 0, 'no sessionId');
    return `sessionId=${S1} modes=${(r.modes?.availableModes ?? []).map((m) => m.id).join(',')} current=${r.modes?.currentModeId} configOptions=${(r.configOptions ?? []).map((o) => o.id).join(',')}`;
  }, critical);

  await step('available_commands_update received', async () => {
    const has = () => A.updates.find((u) => u.sessionId === S1 && u.update.sessionUpdate === 'available_commands_update');
    if (!has()) await A.waitFor((ev) => ev.type === 'update' && ev.params.sessionId === S1 && ev.params.update.sessionUpdate === 'available_commands_update', 5000);
    available = has().update.availableCommands.map((c) => c.name);
    return available.join(' ');
  });

  await step('session/new (additionalDirectories)', async () => {
    const r = await withTimeout(A.agent.request('session/new', { cwd: WS, additionalDirectories: [EXTRA_DIR], mcpServers: [] }));
    S2 = r.sessionId;
    const ts = traceLines().filter((l) => l.dir === 'c2s' && l.msg.method === 'thread/start').at(-1);
    const sent = JSON.stringify(ts?.msg.params ?? {});
    assert(sent.includes(EXTRA_DIR), `thread/start params do not carry the additional directory: ${sent.slice(0, 300)}`);
    return `sessionId=${S2}`;
  });

  let S3 = null;
  await step('session/new with a stdio MCP server (passed on in thread/start config; the server starts)', async () => {
    const server = {
      name: 'e2e-notes',
      command: process.execPath,
      args: [MCP_TEST_SERVER],
      env: [
        { name: 'MCP_MARK_DIR', value: MCP_MARKS },
        { name: 'MCP_NAME', value: 'e2e-notes' },
      ],
    };
    const from = traceLines().length;
    const r = await withTimeout(A.agent.request('session/new', { cwd: WS, mcpServers: [server] }));
    assert(typeof r.sessionId === 'string', 'no sessionId');
    S3 = r.sessionId;
    const ts = traceLines().filter((l) => l.dir === 'c2s' && l.msg.method === 'thread/start').at(-1);
    const servers = ts?.msg.params?.config?.mcp_servers ?? {};
    assert(servers['e2e-notes'], `thread/start config lacks the server: ${JSON.stringify(ts?.msg.params?.config ?? {}).slice(0, 300)}`);
    const ready = () =>
      traceLines()
        .slice(from)
        .find((l) => l.dir === 's2c' && l.msg.method === 'mcpServer/startupStatus/updated' && l.msg.params?.name === 'e2e-notes' && l.msg.params?.status !== 'starting');
    const deadline = Date.now() + 10_000;
    while (!ready() && Date.now() < deadline) await new Promise((res) => setTimeout(res, 50));
    const st = ready();
    assert(st?.msg.params.status === 'ready', `server status: ${JSON.stringify(st?.msg.params ?? 'none')}`);
    return `sessionId=${r.sessionId} mcp e2e-notes ready`;
  });

  await step('prompt: MCP tool call with approval (allow_once), shown as a tool call', async () => {
    assert(S3, 'no MCP session');
    const permFrom = A.permissionRequests.length;
    A.permissionAnswers.push('allow_once');
    const { res, ups, text } = await prompt(A, S3, 'e2e:mcp write a note');
    assert(res.stopReason === 'end_turn', `stopReason ${res.stopReason}`);
    const perms = A.permissionRequests.slice(permFrom);
    assert(perms.length === 1, `expected 1 permission request, got ${perms.length}`);
    assert(perms[0].params._meta?.is_mcp_tool_approval === true, `not an MCP tool approval: ${JSON.stringify(perms[0].params).slice(0, 300)}`);
    const first = ups.find((u) => u.update.sessionUpdate === 'tool_call' && u.update._meta?.is_mcp_tool_call);
    assert(first, 'no MCP tool_call');
    const tcs = ups.filter((u) => (u.update.sessionUpdate === 'tool_call' || u.update.sessionUpdate === 'tool_call_update') && u.update.toolCallId === first.update.toolCallId);
    // codex-acp marks the call in_progress after the user's answer, racing the call's own completion
    // (a fast tool completes first), so the completed update need not be the last one.
    assert(tcs.some((u) => u.update.status === 'completed'), `no completed MCP tool_call update: ${tcs.map((u) => u.update.status).join(',')}`);
    const written = existsSync(join(MCP_MARKS, 'writes')) ? readFileSync(join(MCP_MARKS, 'writes'), 'utf8') : '';
    assert(written.includes('e2e=from codex-acp'), `the MCP server did not write: ${JSON.stringify(written)}`);
    assert(text.includes('The note is written.'), `final text ${JSON.stringify(text)}`);
    return `permission options=${perms[0].params.options.map((o) => o.optionId).join(',')}; title=${JSON.stringify(tcs[0].update.title)}`;
  });

  await step('session/set_mode workspace-write (approvals go to the user, not auto_review)', async () => {
    await withTimeout(A.agent.request('session/set_mode', { sessionId: S1, modeId: 'workspace-write' }));
  });

  await step('prompt: plain text answer', async () => {
    const { res, text } = await prompt(A, S1, 'e2e:hello how are you?');
    assert(res.stopReason === 'end_turn', `stopReason ${res.stopReason}`);
    assert(text.includes('Hello! I am the mock model.'), `agent text was ${JSON.stringify(text)}`);
    return `stopReason=${res.stopReason} text=${JSON.stringify(text)}`;
  });

  await step('prompt: shell command with approval (allow_once)', async () => {
    const permFrom = A.permissionRequests.length;
    A.permissionAnswers.push('allow_once');
    const { res, ups, text } = await prompt(A, S1, 'e2e:run ls please');
    assert(res.stopReason === 'end_turn', `stopReason ${res.stopReason}`);
    const perms = A.permissionRequests.slice(permFrom);
    assert(perms.length === 1, `expected 1 permission request, got ${perms.length}`);
    const tcs = ups.filter((u) => u.update.sessionUpdate === 'tool_call' || u.update.sessionUpdate === 'tool_call_update');
    const exec = tcs.filter((u) => u.update.kind === 'execute' || JSON.stringify(u.update).includes('"ls'));
    assert(tcs.length > 0, 'no tool_call updates');
    const final = tcs.at(-1).update;
    assert(final.status === 'completed', `last tool_call status ${final.status}`);
    const out = JSON.stringify(tcs.map((u) => u.update));
    assert(out.includes('hello.txt'), `command output (README.md hello.txt) not in any tool_call/tool_call_update (content, rawOutput, _meta): ${out.slice(0, 600)}`);
    assert(text.includes('The listing is above.'), `final text ${JSON.stringify(text)}`);
    return `permission options=${perms[0].params.options.map((o) => o.kind).join(',')} title=${JSON.stringify(perms[0].params.toolCall?.title)}; tool updates=${tcs.length} (execute ${exec.length})`;
  });

  await step('session/set_mode read-only (so the patch is asked)', async () => {
    await withTimeout(A.agent.request('session/set_mode', { sessionId: S1, modeId: 'read-only' }));
  });

  let patchUps = [];
  let patchPerms = [];
  await step('prompt: apply_patch add + update with approval (allow_always)', async () => {
    const permFrom = A.permissionRequests.length;
    A.permissionAnswers.push('allow_always');
    const { res, ups, text } = await prompt(A, S1, 'e2e:patch the files');
    patchUps = ups;
    patchPerms = A.permissionRequests.slice(permFrom);
    assert(res.stopReason === 'end_turn', `stopReason ${res.stopReason}`);
    assert(patchPerms.length === 1, `expected 1 permission request, got ${patchPerms.length}`);
    const notes = existsSync(join(WS, 'notes/NOTES.md')) ? readFileSync(join(WS, 'notes/NOTES.md'), 'utf8') : null;
    const hello = readFileSync(join(WS, 'hello.txt'), 'utf8');
    assert(notes === NOTES_CONTENT, `notes/NOTES.md on disk: ${JSON.stringify(notes)}`);
    assert(hello === HELLO_AFTER, `hello.txt on disk: ${JSON.stringify(hello)}`);
    assert(text.includes('Patched hello.txt'), `final text ${JSON.stringify(text)}`);
    return `permission options=${patchPerms[0].params.options.map((o) => o.kind).join(',')}`;
  });

  await step('apply_patch: editor diff content (add = whole file, update = old/new)', async () => {
    const diffs = [];
    for (const u of [...patchPerms.map((p) => ({ update: p.params.toolCall })), ...patchUps]) {
      const content = u.update?.content;
      for (const c of Array.isArray(content) ? content : []) if (c?.type === 'diff') diffs.push(c);
    }
    assert(diffs.length > 0, 'no diff content in tool_call / tool_call_update / permission request');
    const add = diffs.filter((d) => d.path.endsWith('notes/NOTES.md'));
    const upd = diffs.filter((d) => d.path.endsWith('hello.txt'));
    assert(add.length > 0, `no diff for notes/NOTES.md (paths: ${diffs.map((d) => d.path).join(', ')})`);
    assert(upd.length > 0, `no diff for hello.txt (paths: ${diffs.map((d) => d.path).join(', ')})`);
    const bad = [];
    for (const d of add) if (d.newText !== NOTES_CONTENT || (d.oldText ?? null) !== null) bad.push(`add: oldText=${JSON.stringify(d.oldText)} newText=${JSON.stringify(d.newText)}`);
    for (const d of upd) {
      if (!String(d.newText).includes('Have a wonderful day.')) bad.push(`update: newText=${JSON.stringify(d.newText)}`);
      if (d.oldText !== null && d.oldText !== undefined && !String(d.oldText).includes('Hello from agentd!')) bad.push(`update: oldText=${JSON.stringify(d.oldText)}`);
    }
    writeFileSync(join(OUT, 'patch-diffs.json'), JSON.stringify(diffs, null, 2));
    assert(bad.length === 0, bad.join('; '));
    return `${diffs.length} diff blocks, e.g. update newText=${JSON.stringify(upd.at(-1).newText)} oldText=${JSON.stringify(upd.at(-1).oldText)}`;
  });

  await step('session/set_mode workspace-write (again)', async () => {
    await withTimeout(A.agent.request('session/set_mode', { sessionId: S1, modeId: 'workspace-write' }));
  });

  await step('cancel during a streaming model response → cancelled', async () => {
    const from = A.updates.length;
    const p = A.agent.request('session/prompt', { sessionId: S1, prompt: [{ type: 'text', text: 'e2e:hang think forever' }] });
    p.catch(() => {});
    await A.waitFor((ev) => ev.type === 'update' && ev.params.sessionId === S1 && ev.params.update.sessionUpdate === 'agent_message_chunk', 15000);
    await A.agent.notify('session/cancel', { sessionId: S1 });
    const res = await withTimeout(p, 15000, 'prompt after cancel');
    assert(res.stopReason === 'cancelled', `stopReason ${res.stopReason}`);
    return `stopReason=${res.stopReason} after ${A.updates.length - from} updates`;
  });

  await step('cancel during a long-running command → cancelled', async () => {
    const p = A.agent.request('session/prompt', { sessionId: S1, prompt: [{ type: 'text', text: 'e2e:sleep a while' }] });
    p.catch(() => {});
    await A.waitFor((ev) => ev.type === 'update' && ev.params.sessionId === S1 && /tool_call/.test(ev.params.update.sessionUpdate), 15000);
    // The command's own marker (no other test runs it): cancel once it runs, then it must go.
    const sleepers = () => execFileSync('sh', ['-c', "pgrep -f '^sleep 59[.]871$' || true"]).toString().trim();
    await pollUntil(() => sleepers() !== '', 15000, 'the command to start');
    await A.agent.notify('session/cancel', { sessionId: S1 });
    const res = await withTimeout(p, 15000, 'prompt after cancel');
    assert(res.stopReason === 'cancelled', `stopReason ${res.stopReason}`);
    // Killing the process group may land just after the answer: wait for it, bounded.
    const gone = await pollUntil(() => sleepers() === '', 10000, 'the command to be killed').then(() => true, () => false);
    assert(gone, `sleep 59.871 still running: pids ${sleepers()}`);
    return `stopReason=${res.stopReason}`;
  });

  await step('prompt after cancel works', async () => {
    const { res, text } = await prompt(A, S1, 'e2e:hello again');
    assert(res.stopReason === 'end_turn' && text.includes('Hello!'), `stopReason ${res.stopReason} text ${JSON.stringify(text)}`);
  });

  // Slash commands (the ones codex-acp advertises).
  const cmds = [
    ['/status', {}],
    ['/mcp', {}],
    ['/skills', {}],
    ['/plan', {}, 'toggles plan mode on'],
    ['/plan', {}, 'toggles it off again'],
    ['/goal ship the e2e', {}],
    ['/goal', {}, 'no argument: usage'],
    ['/goal pause', {}],
    ['/goal resume', {}],
    ['/goal clear', {}],
    ['/rename E2E session', {}],
    ['/compact', {}],
    ['/review', {}],
    ['/review-branch main', {}],
    ['/review-commit HEAD', {}],
  ];
  for (const [cmd, opts, note] of cmds) {
    const name = cmd.slice(1).split(' ')[0];
    if (available && !available.includes(name)) {
      results.push({ name: `command ${cmd}`, status: 'SKIP', detail: 'not advertised', appServerMethods: [], appServerErrors: [] });
      continue;
    }
    await step(
      `command ${cmd}${note ? ` (${note})` : ''}`,
      async () => {
        const { res, ups, text } = await prompt(A, S1, cmd);
        const errs = ups.filter((u) => JSON.stringify(u).toLowerCase().includes('error'));
        assert(res.stopReason === 'end_turn', `stopReason ${res.stopReason}`);
        const kinds = [...new Set(ups.map((u) => u.update.sessionUpdate))].join(',');
        const summary = `stopReason=${res.stopReason} updates=[${kinds}] text=${JSON.stringify(text.slice(0, 160))}`;
        assert(!/failed|error|not supported|unknown method/i.test(text), `agent text reports a failure: ${summary}`);
        if (errs.length && /compact|review/.test(cmd)) throw new Error(`error in updates: ${JSON.stringify(errs[0]).slice(0, 300)}`);
        return summary;
      },
      opts,
    );
  }
  await step('/goal: every thread/goal/* request got a result', async () => {
    const lines = traceLines();
    const used = lines.filter((l) => l.dir === 'c2s' && /^thread\/goal\//.test(l.msg.method ?? ''));
    assert(used.length > 0, 'codex-acp sent no thread/goal/* request');
    const bad = used.filter((u) => !lines.some((l) => l.dir === 's2c' && l.pid === u.pid && l.msg.id === u.msg.id && 'result' in l.msg));
    assert(bad.length === 0, `unanswered or failed: ${bad.map((b) => b.msg.method).join(' ')}`);
    return [...new Set(used.map((l) => l.msg.method))].join(' ');
  });

  await step('session/list (cwd)', async () => {
    const r = await withTimeout(A.agent.request('session/list', { cwd: WS }));
    const ids = (r.sessions ?? []).map((s) => s.sessionId);
    assert(ids.includes(S1), `S1 not listed: ${JSON.stringify(r).slice(0, 400)}`);
    const s1 = r.sessions.find((s) => s.sessionId === S1);
    return `${ids.length} sessions; S1 title=${JSON.stringify(s1.title)} updatedAt=${s1.updatedAt}`;
  });

  await step('session/close (S2)', async () => {
    assert(S2, 'no S2 (session/new with additionalDirectories failed)');
    const r = await withTimeout(A.agent.request('session/close', { sessionId: S2 }));
    return JSON.stringify(r);
  });

  await step('session/close (S1)', async () => {
    const r = await withTimeout(A.agent.request('session/close', { sessionId: S1 }));
    return JSON.stringify(r);
  });

  await A.stop();
  if (blocked && S1) blocked = null;

  // A new codex-acp process (and so a fresh agentd) loads S1 and replays its history.
  const B = startCodexAcp('b');
  await step('new process: initialize', async () => {
    await withTimeout(
      B.agent.request('initialize', {
        protocolVersion: 1,
        clientCapabilities: { fs: { readTextFile: false, writeTextFile: false }, terminal: false },
        clientInfo: { name: 'agentd-e2e-editor', version: '1.0.0' },
      }),
    );
  });
  await step('new process: session/list sees S1', async () => {
    const r = await withTimeout(B.agent.request('session/list', { cwd: WS }));
    const ids = (r.sessions ?? []).map((s) => s.sessionId);
    assert(ids.includes(S1), `S1 not listed: ${JSON.stringify(r).slice(0, 400)}`);
    return `${ids.length} sessions`;
  });
  await step('new process: session/load S1 replays history', async () => {
    const from = B.updates.length;
    const r = await withTimeout(B.agent.request('session/load', { sessionId: S1, cwd: WS, mcpServers: [] }));
    await sleep(300);
    const ups = updatesFor(B, S1, from);
    writeFileSync(join(OUT, 'load-replay.json'), JSON.stringify(ups, null, 2));
    const kinds = {};
    for (const u of ups) kinds[u.update.sessionUpdate] = (kinds[u.update.sessionUpdate] ?? 0) + 1;
    const user = textOf(ups, 'user_message_chunk');
    const agentText = textOf(ups);
    const problems = [];
    if (!user.includes('e2e:hello how are you?')) problems.push('first user message missing');
    if (!user.includes('e2e:patch the files')) problems.push('patch user message missing');
    if (!agentText.includes('Hello! I am the mock model.')) problems.push('first agent answer missing');
    if (!agentText.includes('Patched hello.txt')) problems.push('patch agent answer missing');
    const tools = ups.filter((u) => u.update.sessionUpdate === 'tool_call');
    if (!tools.some((u) => JSON.stringify(u.update).includes('ls'))) problems.push('ls tool call missing');
    if (!tools.some((u) => JSON.stringify(u.update).includes('NOTES.md'))) problems.push('patch tool call missing');
    assert(problems.length === 0, `${problems.join('; ')}; replay kinds=${JSON.stringify(kinds)}`);
    return `replay kinds=${JSON.stringify(kinds)} modes=${r.modes?.currentModeId}`;
  });
  await step('new process: prompt on the loaded session', async () => {
    const { res, text } = await prompt(B, S1, 'e2e:hello after load');
    assert(res.stopReason === 'end_turn' && text.includes('Hello!'), `stopReason ${res.stopReason} text ${JSON.stringify(text)}`);
    const req = mock.requests.at(-1);
    const hist = JSON.stringify(req.body.input);
    assert(hist.includes('e2e:hello how are you?'), 'the model request after load lacks the earlier history');
  });
  await B.stop();
}

function printTable() {
  const w = Math.max(...results.map((r) => r.name.length), 10);
  console.log(`\n${'step'.padEnd(w)}  result  ms`);
  console.log(`${'-'.repeat(w)}  ------  -----`);
  for (const r of results) console.log(`${r.name.padEnd(w)}  ${r.status.padEnd(6)}  ${String(r.ms ?? '').padStart(5)}`);
  const fails = results.filter((r) => r.status === 'FAIL');
  console.log(`\n${results.filter((r) => r.status === 'PASS').length} pass, ${fails.length} fail, ${results.filter((r) => r.status === 'XFAIL').length} expected fail, ${results.filter((r) => r.status === 'XPASS').length} unexpectedly pass, ${results.filter((r) => r.status === 'SKIP').length} skipped`);
  // Every app-server method codex-acp called, with counts.
  const counts = {};
  for (const l of traceLines()) if (l.dir === 'c2s' && l.msg.method) counts[l.msg.method] = (counts[l.msg.method] ?? 0) + 1;
  console.log(`app-server methods codex-acp sent: ${Object.entries(counts).map(([m, n]) => `${m}×${n}`).join(' ')}`);
  console.log(`artifacts (trace.jsonl, summary.json, logs): ${OUT}`);
  writeFileSync(join(OUT, 'summary.json'), JSON.stringify({ results, methodCounts: counts }, null, 2));
  return fails.length;
}

async function shutdown() {
  for (const c of [...children]) {
    try {
      c.kill('SIGTERM');
    } catch {}
  }
  await Promise.all([...children].map((c) => waitExit(c, 3000)));
  for (const c of [...children]) {
    try {
      c.kill('SIGKILL');
    } catch {}
  }
  // agentd (and its tee) processes the trace recorded, in case a codex-acp died without closing them.
  for (const l of traceLines().filter((l) => l.dir === 'spawn')) {
    for (const pid of [l.pid, l.msg.teePid]) {
      try {
        if (pid) process.kill(pid, 'SIGKILL');
      } catch {}
    }
  }
  await mock.close();
}

try {
  await Promise.race([main(), overall]);
  exitCode = printTable() > 0 ? 1 : 0;
} catch (e) {
  console.error(`aborted: ${e?.stack ?? e}`);
  printTable();
  exitCode = 2;
} finally {
  clearTimeout(overallTimer);
  await shutdown();
}
process.exit(exitCode);
