/** The benchmark scenarios: each returns one or more named metrics. */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { DaemonClient } from '../../src/client/daemon-client.js';
import { lastUserText } from '../../src/mock/responders.js';
import type { MockTurn, RecordedRequest } from '../../src/mock/types.js';
import { applyPatchToText } from '../../src/tools/apply-patch/bench.js';
import {
  okTurn,
  rssMb,
  sleep,
  spawnBaseline,
  spawnDaemon,
  startThread,
  stopDaemon,
  timedInitialize,
  type DaemonEnv,
} from './daemon.js';
import { FLOOD_DELTAS, FLOOD_TEXT, GIGABYTE_CMD } from './stalled-client.js';
import { median, metric, round, type MetricResult } from './stats.js';

export type Results = Record<string, MetricResult>;

/** Run counts, scaled down by `--quick`. */
export interface Plan {
  startupRuns: number;
  turnRuns: number;
  turnWarmup: number;
  streamRuns: number;
  manyThreadsRuns: number;
  manyThreads: number;
  shellRuns: number;
  patchRuns: number;
  historyRuns: number;
  mcpRuns: number;
}

export const STREAM_DELTAS = 20_000;
export const PATCH_FILE = 'big.txt';

// ---------------------------------------------------------------------------------------------
// The scripted model: the first word of the user's prompt selects the behaviour.

/** Tool outputs in the request after the last user message (the current turn's steps). */
function toolOutputsThisTurn(req: RecordedRequest): number {
  const input = (req.body as { input?: { type?: string; role?: string }[] }).input ?? [];
  let n = 0;
  for (let i = input.length - 1; i >= 0; i--) {
    const it = input[i]!;
    if (it.role === 'user' && (it.type === undefined || it.type === 'message')) break;
    if (it.type === 'function_call_output' || it.type === 'custom_tool_call_output') n++;
  }
  return n;
}

const STREAM_TEXT = 'abcd'.repeat(STREAM_DELTAS);

export function benchResponder(patchText: string) {
  return (req: RecordedRequest): MockTurn => {
    const mode = lastUserText(req).split(' ')[0];
    const steps = toolOutputsThisTurn(req);
    switch (mode) {
      case 'stream':
        return { output: [{ type: 'text', text: STREAM_TEXT, chunks: STREAM_DELTAS }] };
      case 'flood':
        return { output: [{ type: 'text', text: FLOOD_TEXT, chunks: FLOOD_DELTAS }] };
      case 'gigabyte':
        return steps === 0
          ? { output: [{ type: 'function_call', name: 'exec_command', arguments: { cmd: GIGABYTE_CMD, yield_time_ms: 30_000 } }] }
          : { output: [{ type: 'text', text: 'printed it', chunks: 1 }] };
      case 'shell':
      case 'shell-nologin':
        return steps === 0
          ? { output: [{ type: 'function_call', name: 'exec_command', arguments: mode === 'shell' ? { cmd: 'true' } : { cmd: 'true', login: false } }] }
          : { output: [{ type: 'text', text: 'ran it', chunks: 1 }] };
      case 'mcp':
        return steps === 0
          ? { output: [{ type: 'function_call', name: 'mcp__b0__read_note', arguments: { key: 'bench' } }] }
          : { output: [{ type: 'text', text: 'called it', chunks: 1 }] };
      case 'patch':
        return steps === 0
          ? { output: [{ type: 'custom_tool_call', name: 'apply_patch', input: patchText }] }
          : { output: [{ type: 'text', text: 'patched', chunks: 1 }] };
      default:
        return { output: [{ type: 'text', text: 'ok', chunks: 1 }] };
    }
  };
}

// ---------------------------------------------------------------------------------------------
// The 1,000-line file and a 50-hunk patch of it.

export function bigFile(): string {
  const lines: string[] = [];
  for (let i = 0; i < 1000; i++) lines.push(`line ${i}: const value${i} = compute(${i}, "${(i * 2654435761) % 1000003}");`);
  return lines.join('\n') + '\n';
}

export function fiftyHunkPatch(content: string, path: string): string {
  const lines = content.split('\n');
  const out = ['*** Begin Patch', `*** Update File: ${path}`];
  for (let h = 0; h < 50; h++) {
    const at = h * 20 + 10;
    out.push('@@');
    for (let i = at - 3; i < at; i++) out.push(' ' + lines[i]);
    out.push('-' + lines[at], '+' + lines[at]!.replace('compute(', 'recompute('));
    for (let i = at + 1; i <= at + 3; i++) out.push(' ' + lines[i]);
  }
  out.push('*** End Patch');
  return out.join('\n') + '\n';
}

// ---------------------------------------------------------------------------------------------

/** 1 + 2: spawn → initialize reply vs a bare node baseline; idle RSS after initialize. */
export async function startup(env: DaemonEnv, plan: Plan, r: Results): Promise<void> {
  // Make the home exist (and hold a persisted thread) before timing: "existing home".
  {
    const { client } = await timedInitialize(() => spawnDaemon(env));
    const { threadId } = await startThread(client, { cwd: env.cwd });
    await okTurn(client, threadId, 'text warm');
    await stopDaemon(client);
  }
  const base: number[] = [];
  const daemon: number[] = [];
  const rss: number[] = [];
  const rssAtReply: number[] = [];
  const baseRss: number[] = [];
  const ready: number[] = [];
  const warmup = 2;
  for (let i = 0; i < plan.startupRuns + warmup; i++) {
    const b = await timedInitialize(spawnBaseline);
    const bRss = rssMb(b.client.child.pid!);
    b.client.kill();
    await b.client.exited();
    const d = await timedInitialize(() => spawnDaemon(env));
    const pid = d.client.child.pid!;
    const atReply = rssMb(pid);
    await sleep(250);
    const idle = rssMb(pid);
    await stopDaemon(d.client);
    // Ready: spawn → initialize + thread/start pipelined → the thread/start reply.
    const t0 = performance.now();
    const e = spawnDaemon(env);
    const init = e.request('initialize', { clientInfo: { name: 'agentd-bench', version: '0' } });
    e.notify('initialized');
    await Promise.all([init, e.request('thread/start', { cwd: env.cwd, ephemeral: true })]);
    const readyMs = performance.now() - t0;
    await stopDaemon(e);
    if (i < warmup) continue;
    ready.push(readyMs);
    baseRss.push(bRss);
    base.push(b.ms);
    daemon.push(d.ms);
    rss.push(idle);
    rssAtReply.push(atReply);
  }
  const ratio = median(daemon) / median(base);
  r.startup_initialize = metric(daemon, 'ms', undefined, `baseline ${round(median(base), 1)} ms, ratio ${round(ratio)}x`, {
    baselineMedian: round(median(base)),
    ratio: round(ratio, 3),
  });
  r.startup_baseline = metric(base, 'ms', undefined, 'node -e: read a line, write a JSON line');
  const ratios = daemon.map((d, i) => d / base[i]!);
  r.startup_ratio = { ...metric(ratios, 'x'), target: '<= 1.4 x', pass: ratio <= 1.4, median: round(ratio, 3), note: 'median(daemon)/median(baseline); p90 of per-run ratios' };
  r.idle_rss = metric(rss, 'MB', 60, `250 ms after initialize; at the reply ${round(median(rssAtReply), 1)} MB; baseline process ${round(median(baseRss), 1)} MB`, {
    atReplyMedian: round(median(rssAtReply)),
    baselineProcessMedian: round(median(baseRss)),
  });
  r.startup_ready = metric(ready, 'ms', undefined, 'spawn -> initialize + thread/start pipelined -> thread/start reply');
}

/** 3 + 4: turn/start → turn/completed on one thread, ephemeral and persisted. */
export async function turnLatency(client: DaemonClient, env: DaemonEnv, plan: Plan, r: Results): Promise<void> {
  for (const [name, ephemeral, target] of [
    ['turn_ephemeral', true, 10],
    ['turn_persisted', false, 18],
  ] as const) {
    const { threadId } = await startThread(client, { cwd: env.cwd, ephemeral });
    for (let i = 0; i < plan.turnWarmup; i++) await okTurn(client, threadId, 'text warmup');
    const ms: number[] = [];
    for (let i = 0; i < plan.turnRuns; i++) ms.push((await okTurn(client, threadId, `text turn ${i}`)).ms);
    r[name] = metric(ms, 'ms', target, `${plan.turnWarmup} warm-up turns, short text reply`);
  }
}

/** 5: a turn streaming 20,000 deltas, each delivered as a notification. */
export async function streaming(client: DaemonClient, env: DaemonEnv, plan: Plan, r: Results): Promise<void> {
  const ms: number[] = [];
  let minDeltas = Infinity;
  for (let i = 0; i < plan.streamRuns + 2; i++) {
    const { threadId } = await startThread(client, { cwd: env.cwd, ephemeral: true });
    const t = await okTurn(client, threadId, 'stream please');
    if (t.deltas !== STREAM_DELTAS) throw new Error(`stream: got ${t.deltas} deltas, expected ${STREAM_DELTAS}`);
    minDeltas = Math.min(minDeltas, t.deltas);
    if (i >= 2) ms.push(t.ms);
  }
  r.stream_20k_deltas = metric(ms, 'ms', 400, `${minDeltas} item/agentMessage/delta per turn`);
}

/** 6 + 7: RSS after 100 persisted threads with a turn each; thread/start latency. */
export async function manyThreads(env: DaemonEnv, plan: Plan, r: Results): Promise<void> {
  const rss: number[] = [];
  const starts: number[] = [];
  const turns: number[] = [];
  for (let run = 0; run < plan.manyThreadsRuns; run++) {
    const { client } = await timedInitialize(() => spawnDaemon(env));
    try {
      for (let i = 0; i < plan.manyThreads; i++) {
        const { threadId, ms } = await startThread(client, { cwd: env.cwd });
        if (i >= 3) starts.push(ms);
        turns.push((await okTurn(client, threadId, `text thread ${i}`)).ms);
      }
      rss.push(rssMb(client.child.pid!));
    } finally {
      await stopDaemon(client);
    }
  }
  r.rss_100_threads = metric(rss, 'MB', 130, `${plan.manyThreads} persisted threads x 1 turn, fresh daemon per run`);
  r.thread_start = metric(starts, 'ms', 3, `persisted; ${starts.length} samples (first 3 per daemon skipped)`);
  r.first_turn_new_thread = metric(turns, 'ms', undefined, 'first turn of each of those threads');
}

/**
 * 8: exec_command {cmd:'true'} then a text answer, with and without the bubblewrap sandbox. The
 * overhead rows subtract the command's own durationMs (mostly `bash -lc` startup) from the turn.
 */
export async function shell(client: DaemonClient, env: DaemonEnv, plan: Plan, r: Results): Promise<void> {
  for (const [name, sandbox, prompt] of [
    ['full_access', 'danger-full-access', 'shell run true'],
    ['workspace_write', 'workspace-write', 'shell run true'],
    ['full_access_nologin', 'danger-full-access', 'shell-nologin run true'],
  ] as const) {
    const { threadId } = await startThread(client, { cwd: env.cwd, ephemeral: true, approvalPolicy: 'never', sandbox });
    const ms: number[] = [];
    const cmd: number[] = [];
    const overhead: number[] = [];
    for (let i = 0; i < plan.shellRuns + 3; i++) {
      const t = await okTurn(client, threadId, prompt);
      const item = t.items.find((it) => it.type === 'commandExecution');
      if (!item || item.status !== 'completed' || item.exitCode !== 0) throw new Error(`${name}: command item ${JSON.stringify(item)}`);
      if (i < 3) continue;
      ms.push(t.ms);
      cmd.push(Number(item.durationMs));
      overhead.push(t.ms - Number(item.durationMs));
    }
    const what = name.endsWith('nologin') ? 'login:false (bash -c)' : 'bash -lc';
    r[`shell_turn_${name}`] = metric(ms, 'ms', undefined, `${sandbox}, ${what}, 2 model requests; command durationMs median ${median(cmd)}`, {
      commandDurationMedian: median(cmd),
    });
    r[`shell_overhead_${name}`] = metric(overhead, 'ms', undefined, 'turn latency minus the command durationMs');
  }
}

/** 9: applyPatchToText in process, and an end-to-end apply_patch turn on a 1,000-line file. */
export async function patch(client: DaemonClient, env: DaemonEnv, plan: Plan, r: Results): Promise<void> {
  const content = bigFile();
  const patchText = fiftyHunkPatch(content, PATCH_FILE);
  const expected = applyPatchToText(content, patchText, PATCH_FILE);
  if (expected === content || (expected.match(/recompute\(/g) ?? []).length !== 50) throw new Error('patch: in-process apply did not change 50 lines');
  for (let i = 0; i < 20; i++) applyPatchToText(content, patchText, PATCH_FILE);
  const inProc: number[] = [];
  for (let i = 0; i < 50; i++) {
    const t0 = performance.now();
    applyPatchToText(content, patchText, PATCH_FILE);
    inProc.push(performance.now() - t0);
  }
  r.apply_patch_in_process = metric(inProc, 'ms', undefined, '1,000 lines, 50 hunks, applyPatchToText');

  mkdirSync(env.cwd, { recursive: true });
  const file = join(env.cwd, PATCH_FILE);
  const { threadId } = await startThread(client, { cwd: env.cwd, ephemeral: true, approvalPolicy: 'never', sandbox: 'workspace-write' });
  const ms: number[] = [];
  for (let i = 0; i < plan.patchRuns + 2; i++) {
    writeFileSync(file, content);
    const t = await okTurn(client, threadId, 'patch the file');
    const item = t.items.find((it) => it.type === 'fileChange');
    if (!item || item.status !== 'completed') throw new Error(`apply_patch turn: fileChange item ${JSON.stringify(item)}`);
    if (readFileSync(file, 'utf8') !== expected) throw new Error('apply_patch turn: the file does not hold the patched content');
    if (i >= 2) ms.push(t.ms);
  }
  r.apply_patch_turn = metric(ms, 'ms', undefined, '1,000-line file, 50 hunks, 2 model requests');
}
