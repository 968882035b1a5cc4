import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import type { DaemonClient, WireMessage } from '../../src/client/daemon-client.js';
import type { MockOutput, RecordedRequest } from '../../src/mock/types.js';
import { startTurn, turnCompleted, type Harness } from './harness.js';

/** A short random tag for file names. */
export const rand = (): string => randomBytes(6).toString('hex');

/** A model turn that just answers, to end a tool turn. */
export const DONE_TURN = { output: [{ type: 'text' as const, text: 'done' }] };

/** Config for a daemon that never asks and sandboxes to the workspace. */
export const NEVER_WW = ['approval_policy="never"', 'sandbox_mode="workspace-write"'];

/** A fresh directory under /var/tmp: outside every writable root of a `/tmp` workspace. */
export function outsideDir(prefix = 'agentd-outside-'): string {
  return mkdtempSync(`/var/tmp/${prefix}`);
}

export function rmrf(...paths: string[]): void {
  for (const p of paths) rmSync(p, { recursive: true, force: true });
}

/** An `exec_command` call. */
export function execCall(cmd: string, callId: string, extra: Record<string, unknown> = {}): MockOutput {
  return { type: 'function_call', name: 'exec_command', arguments: { cmd, ...extra }, callId };
}

/** A freeform `apply_patch` call. */
export function patchCall(input: string, callId: string): MockOutput {
  return { type: 'custom_tool_call', name: 'apply_patch', input, callId };
}

/** `*** Begin Patch` … `*** End Patch` around `body` lines. */
export function patchText(...body: string[]): string {
  return ['*** Begin Patch', ...body, '*** End Patch'].join('\n') + '\n';
}

export interface Thread {
  c: DaemonClient;
  threadId: string;
}

/** Spawns a daemon with `config` overrides and starts an ephemeral thread in `cwd`. */
export async function openThread(h: Harness, config: string[] = [], threadParams: Record<string, unknown> = {}): Promise<Thread> {
  const c = await h.start(config);
  const t = await c.request('thread/start', { cwd: h.workspace, ephemeral: true, ...threadParams });
  return { c, threadId: t.thread.id as string };
}

export interface TurnRun {
  turnId: string;
  turn: any; // eslint-disable-line @typescript-eslint/no-explicit-any
  /** Every message the client read during the turn (notifications and server requests). */
  msgs: WireMessage[];
  /** The model requests made during the turn. */
  requests: RecordedRequest[];
}

/** Runs one turn to completion; the mock must already hold its responses. */
export async function runTurn(h: Harness, t: Thread, text = 'go', extra: Record<string, unknown> = {}): Promise<TurnRun> {
  const from = t.c.messages.length;
  const reqFrom = h.mock.requests.length;
  const turnId = await startTurn(t.c, t.threadId, text, extra);
  const turn = await turnCompleted(t.c, turnId);
  return { turnId, turn, msgs: t.c.messages.slice(from), requests: h.mock.requests.slice(reqFrom) };
}

/** Server → client requests among `msgs`. */
export const serverRequests = (msgs: WireMessage[], method?: string): WireMessage[] =>
  msgs.filter((m) => m.method !== undefined && m.id !== undefined && m.id !== null && (!method || m.method === method));

/** Notifications among `msgs`. */
export const notifs = (msgs: WireMessage[], method?: string): WireMessage[] =>
  msgs.filter((m) => m.method !== undefined && m.id === undefined && (!method || m.method === method));

/** The item of the `item/completed` (or started) notification with this id. */
export function itemEvent(msgs: WireMessage[], which: 'started' | 'completed', id: string): any { // eslint-disable-line @typescript-eslint/no-explicit-any
  return notifs(msgs, `item/${which}`).find((m) => m.params.item.id === id)?.params.item;
}

/** The tool outputs (`function_call_output` / `custom_tool_call_output`) a model request carried, by call id. */
export function toolOutputs(req: RecordedRequest): Map<string, { type: string; output: string }> {
  const out = new Map<string, { type: string; output: string }>();
  for (const item of req.body.input as any[]) { // eslint-disable-line @typescript-eslint/no-explicit-any
    if (item.type === 'function_call_output' || item.type === 'custom_tool_call_output') {
      out.set(item.call_id, { type: item.type, output: typeof item.output === 'string' ? item.output : JSON.stringify(item.output) });
    }
  }
  return out;
}

/** The outputs in the order the request lists them (call ids). */
export function toolOutputOrder(req: RecordedRequest): string[] {
  return (req.body.input as any[]) // eslint-disable-line @typescript-eslint/no-explicit-any
    .filter((i) => i.type === 'function_call_output' || i.type === 'custom_tool_call_output')
    .map((i) => i.call_id as string);
}

import { isAlive } from './processes.js';

export { isAlive };

/** Live pids whose argv[0] is `marker` (set with `exec -a`). */
export function pidsWithMarker(marker: string): number[] {
  const out: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const cmd = readFileSync(`/proc/${d}/cmdline`, 'utf8');
      if (cmd.startsWith(`${marker}\0`) && isAlive(Number(d))) out.push(Number(d));
    } catch {
      /* gone */
    }
  }
  return out;
}

/** Live pids whose command line mentions `text` anywhere (e.g. a bwrap bound to a workspace). */
export function pidsMentioning(text: string): number[] {
  const out: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d) || Number(d) === process.pid) continue;
    try {
      if (readFileSync(`/proc/${d}/cmdline`, 'utf8').includes(text) && isAlive(Number(d))) out.push(Number(d));
    } catch {
      /* gone */
    }
  }
  return out;
}

/** The pids of `pid` in each nested pid namespace (`NSpid`), outermost first. */
export function nsPids(pid: number): number[] {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('NSpid:')) ?? '';
  return line.replace('NSpid:', '').trim().split(/\s+/).map(Number);
}

/** Polls `cond` every 20 ms for at most `ms`; returns its last value. */
export async function pollUntil(cond: () => boolean, ms = 3000): Promise<boolean> {
  const end = Date.now() + ms;
  for (;;) {
    if (cond()) return true;
    if (Date.now() > end) return false;
    await new Promise((r) => setTimeout(r, 20));
  }
}

export { existsSync };
