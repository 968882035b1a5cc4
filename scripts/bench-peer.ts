/**
 * `npm run bench:peer`: the same measurements against agentd and the Codex app-server (0.169.0),
 * interleaved (agentd, Codex, Codex, agentd, …) so drift in machine load hits both alike, with
 * the bundled mock model on 127.0.0.1. Prints each figure (median and p90) for both and the
 * ratio agentd / Codex (below 1: agentd is faster / smaller).
 *
 * Codex is installed on demand into a cache directory (`~/.cache/agentd-bench-peer`, or
 * `$AGENTD_BENCH_PEER_DIR`) with npm; it is not a dependency of this package. `--codex "<cmd>"`
 * uses another command instead.
 *
 * Usage: npm run bench:peer [-- --rounds N] [-- --codex "<command>"]
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { AgentdClient, agentdBin } from '../src/client/index.js';
import { answersToolCall, lastUser, MOCK_KEY_VAR, mockConfigToml, patchCall, shellCall } from '../src/conformance/context.js';
import { startMockModelServer } from '../src/mock/mock-model-server.js';
import type { MockTurn, RecordedRequest } from '../src/mock/types.js';
import { median, p90, round } from './bench/stats.js';

const CODEX_VERSION = '0.169.0';
const argv = process.argv.slice(2);
const arg = (name: string): string | undefined => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
};
const rounds = Number(arg('--rounds') ?? 6);
const TURNS_PER_ROUND = 5;
const log = (s: string) => process.stderr.write(s + '\n');

/** The Codex command: installed into the cache directory on first use. */
function codexCommand(): string {
  const given = arg('--codex');
  if (given) return given;
  const dir = process.env.AGENTD_BENCH_PEER_DIR || join(homedir(), '.cache', 'agentd-bench-peer');
  const bin = join(dir, 'node_modules', '.bin', 'codex');
  const installed = (() => {
    try {
      return (JSON.parse(readFileSync(join(dir, 'node_modules', '@openai', 'codex', 'package.json'), 'utf8')) as { version: string }).version;
    } catch {
      return null;
    }
  })();
  if (installed !== CODEX_VERSION || !existsSync(bin)) {
    log(`bench:peer: installing @openai/codex@${CODEX_VERSION} into ${dir} (once)…`);
    mkdirSync(dir, { recursive: true });
    if (!existsSync(join(dir, 'package.json'))) writeFileSync(join(dir, 'package.json'), '{"name":"agentd-bench-peer","private":true}\n');
    const npm = process.env.npm_execpath ? [process.execPath, process.env.npm_execpath] : ['npm'];
    execFileSync(npm[0]!, [...npm.slice(1), 'install', '--no-audit', '--no-fund', '--prefix', dir, `@openai/codex@${CODEX_VERSION}`], { stdio: ['ignore', 'inherit', 'inherit'] });
  }
  return `${bin} app-server`;
}

/** Resident memory of a process and its descendants (the Codex launcher runs the native binary as a child), in MB. */
function treeRssMb(root: number): number {
  const parent = new Map<number, number>();
  const rss = new Map<number, number>();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const status = readFileSync(`/proc/${d}/status`, 'utf8');
      parent.set(Number(d), Number(/PPid:\s+(\d+)/.exec(status)?.[1] ?? 0));
      rss.set(Number(d), Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0));
    } catch {
      /* gone */
    }
  }
  let kb = 0;
  const within = (pid: number): boolean => {
    for (let p = pid, i = 0; p > 1 && i < 64; p = parent.get(p) ?? 0, i++) if (p === root) return true;
    return false;
  };
  for (const [pid, v] of rss) if (within(pid)) kb += v;
  return kb / 1024;
}

/** The scripted model: a short answer, a long stream, a shell call or a patch, by the user text. */
function responder(req: RecordedRequest): MockTurn {
  if (answersToolCall(req)) return { output: [{ type: 'text', text: 'done' }] };
  const text = lastUser(req);
  if (text.startsWith('stream')) return { output: [{ type: 'text', text: 'word '.repeat(400).trim(), chunks: 200 }] };
  if (text.startsWith('shell')) return { output: [shellCall(req, 'echo bench', `sh-${text}`)] };
  if (text.startsWith('patch')) {
    const name = text.replace(/\W+/g, '-');
    const patch = ['*** Begin Patch', `*** Add File: ${name}.txt`, '+bench line', '*** End Patch', ''].join('\n');
    return { output: [patchCall(req, patch, `pa-${name}`)] };
  }
  return { output: [{ type: 'text', text: 'ok' }] };
}

type Samples = Record<string, number[]>;
const METRICS: [string, string][] = [
  ['startup (spawn → initialize answered)', 'ms'],
  ['idle memory after initialize', 'MB'],
  ['thread/start (the first: agentd loads its server here)', 'ms'],
  ['spawn → first thread started', 'ms'],
  ['text turn (turn/start → turn/completed)', 'ms'],
  ['200-delta stream (turn/start → turn/completed)', 'ms'],
  ['shell round trip (turn with one command)', 'ms'],
  ['apply_patch round trip (turn with one patch)', 'ms'],
  ['memory after the turns', 'MB'],
];

async function measure(name: string, command: string, url: string, root: string, round_: number, into: Samples): Promise<void> {
  const home = mkdtempSync(join(root, `${name}-home-`));
  const ws = mkdtempSync(join(root, `${name}-ws-`));
  writeFileSync(join(home, 'config.toml'), mockConfigToml(url));
  mkdirSync(join(home, 'user-home'));
  const add = (k: string, v: number) => (into[k] ??= []).push(v);
  const t0 = performance.now();
  const c = AgentdClient.spawn({
    command,
    env: { ...process.env, HOME: join(home, 'user-home'), CODEX_HOME: home, AGENTD_HOME: home, [MOCK_KEY_VAR]: 'bench-key', RUST_LOG: 'error' },
  });
  try {
    await c.initialize({ name: 'bench-peer', version: '1' });
    add(METRICS[0]![0], performance.now() - t0);
    add(METRICS[1]![0], treeRssMb(c.pid!));
    let t = performance.now();
    const threadId = (await c.request('thread/start', { cwd: ws, approvalPolicy: 'never', sandbox: 'workspace-write', ephemeral: true })).thread.id;
    add(METRICS[2]![0], performance.now() - t);
    add(METRICS[3]![0], performance.now() - t0);
    const timed = async (text: string) => {
      t = performance.now();
      const { turn } = await c.runTurn(threadId, text);
      if (turn.status !== 'completed') throw new Error(`${name}: turn "${text}" ended ${turn.status}: ${turn.error?.message ?? ''}`);
      return performance.now() - t;
    };
    await timed('warm up'); // the first turn pays one-time costs; it is not counted
    for (let i = 0; i < TURNS_PER_ROUND; i++) add(METRICS[4]![0], await timed(`hello ${i}`));
    for (let i = 0; i < 2; i++) add(METRICS[5]![0], await timed(`stream ${i}`));
    for (let i = 0; i < 2; i++) add(METRICS[6]![0], await timed(`shell ${round_}-${i}`));
    for (let i = 0; i < 2; i++) add(METRICS[7]![0], await timed(`patch ${round_}-${i}`));
    add(METRICS[8]![0], treeRssMb(c.pid!));
  } finally {
    await c.close(5000);
    rmSync(home, { recursive: true, force: true });
    rmSync(ws, { recursive: true, force: true });
  }
}

async function main(): Promise<number> {
  const codex = codexCommand();
  const agentd = `${process.execPath} ${agentdBin()} app-server`;
  const servers: [string, string][] = [
    ['agentd', agentd],
    ['codex', codex],
  ];
  // Homes outside the temp directory: Codex installs its sandbox helper only there.
  const root = mkdtempSync(join(homedir(), '.cache', 'agentd-bench-peer-run-'));
  const mock = await startMockModelServer({ defaultResponder: responder });
  const samples: Record<string, Samples> = { agentd: {}, codex: {} };
  try {
    for (let r = 0; r < rounds; r++) {
      const order = r % 2 === 0 ? servers : [...servers].reverse();
      for (const [name, command] of order) {
        log(`round ${r + 1}/${rounds}: ${name}`);
        await measure(name, command, mock.url, root, r, samples[name]!);
      }
    }
  } finally {
    await mock.close();
    rmSync(root, { recursive: true, force: true });
  }
  const rows = METRICS.map(([m, unit]) => {
    const a = samples.agentd![m] ?? [];
    const b = samples.codex![m] ?? [];
    return { metric: m, unit, agentd: { median: round(median(a)), p90: round(p90(a)) }, codex: { median: round(median(b)), p90: round(p90(b)) }, ratio: round(median(a) / median(b)), runs: a.length };
  });
  const head = ['metric', 'unit', 'agentd median', 'agentd p90', 'codex median', 'codex p90', 'agentd/codex'];
  const table = [head, ...rows.map((r) => [r.metric, r.unit, String(r.agentd.median), String(r.agentd.p90), String(r.codex.median), String(r.codex.p90), r.ratio.toFixed(2)])];
  const widths = head.map((_, i) => Math.max(...table.map((row) => row[i]!.length)));
  const lines = table.map((row) => row.map((cell, i) => (i < 2 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  '));
  console.log(`agentd vs Codex ${CODEX_VERSION} app-server — ${rounds} interleaved rounds, mock model on 127.0.0.1\n`);
  console.log(lines[0]);
  console.log(lines.slice(1).join('\n'));
  console.log(`\nJSON: ${JSON.stringify({ codexVersion: CODEX_VERSION, rounds, rows })}`);
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    log(`bench:peer failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    process.exit(1);
  },
);
