/**
 * Benchmarks of agentd against the bundled mock model (in this process, on 127.0.0.1): startup,
 * idle memory, turn latency, streaming, many threads, thread/start, shell and apply_patch round
 * trips, long histories (`history`: resume of 10,000 items, list over 10,000 threads, pages of
 * items), compaction's own cost without the model's time (`compaction`), the daemon's memory
 * while a client stops reading (`stall-stream`, `stall-command`), the ACP face's turn latency and
 * 20,000-delta stream (`acp`), and MCP (`mcp`: thread/start with 3 servers, to the reply and to
 * all ready; one MCP tool-call turn). Prints a table, then `JSON:` and one machine-readable object
 * `{metric: {median, p90, unit, target, pass, ...}}`.
 *
 * Usage: npm run bench   (node dist/scripts/bench.js [--quick] [--only name,name])
 * Exit code 0 even when targets are missed (the table says which); 1 if a scenario failed.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { agentdBin, type DaemonClient } from '../src/client/daemon-client.js';
import { startMockModelServer } from '../src/mock/mock-model-server.js';
import { spawnDaemon, stopDaemon, timedInitialize, type DaemonEnv } from './bench/daemon.js';
import {
  benchResponder,
  bigFile,
  fiftyHunkPatch,
  manyThreads,
  PATCH_FILE,
  patch,
  shell,
  startup,
  streaming,
  turnLatency,
  type Plan,
  type Results,
} from './bench/scenarios.js';
import { acpFace } from './bench/acp.js';
import { compactionOverhead, longHistory } from './bench/long-history.js';
import { mcp } from './bench/mcp.js';
import { stalledCommand, stalledStream } from './bench/stalled-client.js';
import { formatTable } from './bench/stats.js';

const FULL: Plan = {
  startupRuns: 12,
  turnRuns: 40,
  turnWarmup: 5,
  streamRuns: 10,
  manyThreadsRuns: 10,
  manyThreads: 100,
  shellRuns: 15,
  patchRuns: 15,
  historyRuns: 15,
  mcpRuns: 10,
};
const QUICK: Plan = { ...FULL, startupRuns: 3, turnRuns: 10, streamRuns: 3, manyThreadsRuns: 1, manyThreads: 20, shellRuns: 3, patchRuns: 3, historyRuns: 3, mcpRuns: 3 };

const argv = process.argv.slice(2);
const plan = argv.includes('--quick') ? QUICK : FULL;
const onlyIdx = argv.indexOf('--only');
const only = onlyIdx >= 0 ? new Set((argv[onlyIdx + 1] ?? '').split(',')) : null;
const want = (name: string) => !only || only.has(name);

const log = (s: string) => process.stderr.write(s + '\n');

/** Which build bin/agentd will load, and whether the bundle is older than the compiled tree. */
function daemonEntry(): string {
  const dist = join(dirname(agentdBin()), '..', 'dist');
  const bundle = join(dist, 'bundle', 'agentd.mjs');
  if (!existsSync(bundle)) return 'dist/src (module tree)';
  const newest = (dir: string): number =>
    readdirSync(dir, { withFileTypes: true }).reduce(
      (m, e) => Math.max(m, e.isDirectory() ? newest(join(dir, e.name)) : e.name.endsWith('.js') ? statSync(join(dir, e.name)).mtimeMs : 0),
      0,
    );
  const stale = statSync(bundle).mtimeMs + 1000 < newest(join(dist, 'src'));
  return `dist/bundle/agentd.mjs (bundle)${stale ? ' — WARNING: older than dist/src; run `npm run build` (tsc alone does not rebuild the bundle)' : ''}`;
}

async function main(): Promise<number> {
  const root = mkdtempSync(join(tmpdir(), 'agentd-bench-'));
  // Ctrl-C reaches the daemons too (same process group); remove the temp dir on the way out.
  process.once('SIGINT', () => {
    rmSync(root, { recursive: true, force: true });
    process.exit(130);
  });
  const mock = await startMockModelServer({ defaultResponder: benchResponder(fiftyHunkPatch(bigFile(), PATCH_FILE)) });
  const env: DaemonEnv = { url: mock.url, home: join(root, 'home'), cwd: join(root, 'ws') };
  mkdirSync(env.home);
  mkdirSync(env.cwd);
  const results: Results = {};
  const failures: string[] = [];
  let shared: DaemonClient | null = null;
  const t0 = performance.now();
  const loadStart = loadavg()[0]!;

  const step = async (name: string, fn: () => Promise<void>) => {
    if (!want(name)) return;
    const s = performance.now();
    log(`bench: ${name}…`);
    try {
      await fn();
      log(`bench: ${name} done in ${((performance.now() - s) / 1000).toFixed(1)} s`);
    } catch (err) {
      failures.push(`${name}: ${err instanceof Error ? err.message : String(err)}`);
      log(`bench: ${name} FAILED: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    }
  };
  const daemon = async (): Promise<DaemonClient> => {
    if (!shared) shared = (await timedInitialize(() => spawnDaemon(env))).client;
    return shared;
  };

  try {
    await step('startup', () => startup(env, plan, results));
    await step('turn', async () => turnLatency(await daemon(), env, plan, results));
    await step('stream', async () => streaming(await daemon(), env, plan, results));
    await step('shell', async () => shell(await daemon(), env, plan, results));
    await step('patch', async () => patch(await daemon(), env, plan, results));
    if (shared) await stopDaemon(shared);
    shared = null;
    await step('acp', () => acpFace(env, plan, results));
    await step('threads', () => manyThreads(env, plan, results));
    await step('mcp', () => mcp(env, plan.mcpRuns, results));
    await step('history', () => longHistory(env, root, results, plan.historyRuns));
    await step('compaction', () => compactionOverhead(env, root, mock, results, plan.historyRuns));
    await step('stall-stream', () => stalledStream(env, results));
    await step('stall-command', () => stalledCommand(env, results));
  } finally {
    if (shared) await stopDaemon(shared);
    await mock.close();
    rmSync(root, { recursive: true, force: true });
  }

  const out = process.stdout;
  out.write(
    `agentd bench — node ${process.versions.node}, ${process.platform}/${process.arch}, ${((performance.now() - t0) / 1000).toFixed(1)} s, ` +
      `load average ${loadStart.toFixed(2)} → ${loadavg()[0]!.toFixed(2)}\ndaemon entry: ${daemonEntry()}\n\n`,
  );
  out.write(formatTable(results) + '\n');
  const missed = Object.entries(results).filter(([, r]) => r.pass === false).map(([k]) => k);
  out.write(`\n${missed.length ? `missed targets: ${missed.join(', ')}` : 'all targets met'}\n`);
  if (failures.length) out.write(`failed scenarios:\n${failures.map((f) => `  ${f}`).join('\n')}\n`);
  out.write('\nJSON:\n' + JSON.stringify(results) + '\n');
  return failures.length ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`bench: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
