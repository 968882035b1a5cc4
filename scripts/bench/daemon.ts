/** Spawning daemons against the in-process mock, timing turns, reading RSS. */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { DaemonClient, type WireMessage } from '../../src/client/daemon-client.js';

/** The `-c` overrides that point a daemon at the mock (as in test/support/harness.ts). */
export function mockArgs(url: string): string[] {
  return [
    'model_provider=mock',
    'model=gpt-5-codex',
    `model_providers.mock.base_url="${url}"`,
    'model_providers.mock.wire_api="responses"',
    'model_providers.mock.request_max_retries=0',
    'model_providers.mock.stream_max_retries=0',
    'approval_policy="never"',
  ].flatMap((c) => ['-c', c]);
}

export interface DaemonEnv {
  url: string;
  home: string;
  cwd: string;
}

export function spawnDaemon(env: DaemonEnv): DaemonClient {
  return DaemonClient.spawn({
    args: [...mockArgs(env.url), '--log-level', 'error'],
    env: { ...process.env, AGENTD_HOME: env.home, AGENTD_LOG: 'error' },
    cwd: env.cwd,
  });
}

/** A bare node process that answers one JSON line: the startup baseline. */
export function spawnBaseline(): DaemonClient {
  const code =
    "let b='';process.stdin.setEncoding('utf8');process.stdin.on('data',d=>{b+=d;const i=b.indexOf('\\n');" +
    "if(i>=0){const m=JSON.parse(b.slice(0,i));process.stdout.write(JSON.stringify({jsonrpc:'2.0',id:m.id,result:{}})+'\\n');}});";
  const child = spawn(process.execPath, ['-e', code], { stdio: ['pipe', 'pipe', 'pipe'] });
  child.stderr.setEncoding('utf8');
  const c = new DaemonClient(child);
  child.stderr.on('data', (t: string) => c.stderr.push(t));
  return c;
}

/** Spawns (via `make`), sends `initialize`, returns the client and spawn→reply ms. */
export async function timedInitialize(make: () => DaemonClient): Promise<{ client: DaemonClient; ms: number }> {
  const t0 = performance.now();
  const client = make();
  await client.request('initialize', { clientInfo: { name: 'agentd-bench', version: '0' } });
  const ms = performance.now() - t0;
  client.notify('initialized');
  return { client, ms };
}

/** VmRSS of a process in MB. */
export function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
  if (!m) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(m[1]) / 1024;
}

/** Closes stdin, waits for exit; SIGKILLs after `ms`. */
export async function stopDaemon(c: DaemonClient, ms = 5000): Promise<void> {
  if (c.child.exitCode !== null || c.child.signalCode !== null) return;
  const timer = setTimeout(() => c.child.kill('SIGKILL'), ms);
  try {
    c.child.stdin!.end();
    await c.exited();
  } finally {
    clearTimeout(timer);
  }
}

export async function startThread(c: DaemonClient, params: Record<string, unknown>): Promise<{ threadId: string; ms: number }> {
  const t0 = performance.now();
  const r = await c.request('thread/start', params);
  return { threadId: r.thread.id as string, ms: performance.now() - t0 };
}

export interface TurnResult {
  ms: number;
  status: string;
  deltas: number;
  items: { type: string; [k: string]: unknown }[];
  error?: unknown;
}

/**
 * Sends `turn/start` with one text input and resolves at the thread's `turn/completed`: the
 * time between the two, the agent-message deltas and the completed items seen in between.
 */
export function runTurn(c: DaemonClient, threadId: string, text: string): Promise<TurnResult> {
  return new Promise<TurnResult>((resolve, reject) => {
    let deltas = 0;
    const items: TurnResult['items'] = [];
    let error: unknown;
    const off = c.onMessage((m: WireMessage) => {
      if (m.id !== undefined || m.params?.threadId !== threadId) return;
      switch (m.method) {
        case 'item/agentMessage/delta':
          deltas++;
          break;
        case 'item/completed':
          items.push(m.params.item);
          break;
        case 'error':
          error = m.params.error;
          break;
        case 'turn/completed': {
          const ms = performance.now() - t0;
          off();
          // The client keeps every message; drop them so long runs do not grow the bench process.
          c.messages.length = 0;
          resolve({ ms, status: m.params.turn.status, deltas, items, error: error ?? m.params.turn.error });
        }
      }
    });
    const t0 = performance.now();
    c.request('turn/start', { threadId, input: [{ type: 'text', text }] }).catch((err: unknown) => {
      off();
      reject(err);
    });
  });
}

/** Runs a turn and throws unless it completed. */
export async function okTurn(c: DaemonClient, threadId: string, text: string): Promise<TurnResult> {
  const r = await runTurn(c, threadId, text);
  if (r.status !== 'completed') {
    throw new Error(`turn ${r.status}: ${JSON.stringify(r.error)}; stderr: ${c.stderr.join('').slice(-1000)}`);
  }
  return r;
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
