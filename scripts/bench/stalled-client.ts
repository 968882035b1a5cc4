/**
 * The daemon's memory while its client stops reading stdout: RSS growth during a stall of
 * {@link STALL_MS}, (a) while the model streams {@link FLOOD_DELTAS} deltas, (b) while a command
 * prints 1 GB. The outgoing byte budget should make the producers wait instead of the daemon
 * buffering: target ≤ 50 MiB each.
 */
import type { DaemonClient, WireMessage } from '../../src/client/daemon-client.js';
import { rssMb, sleep, spawnDaemon, startThread, stopDaemon, timedInitialize, type DaemonEnv } from './daemon.js';
import { metric, round, type MetricResult } from './stats.js';

/** How long the client stops reading. */
export const STALL_MS = 20_000;
/** Deltas of the streamed answer in scenario (a). */
export const FLOOD_DELTAS = 200_000;
/** Scenario (b): 1 GB of output, finite so that it ends by SIGPIPE if the daemon goes away. */
export const GIGABYTE_CMD = "head -c 1000000000 /dev/zero | tr '\\0' a";
/** Target growth for both rows. */
const TARGET_MIB = 50;
/** Above this growth the daemon is killed: the bench must not take the machine down with it. */
const KILL_ABOVE_MIB = 1024;

/** The bench model's answers for the prompts `flood …` and `gigabyte …` (see benchResponder). */
export const FLOOD_TEXT = Array.from({ length: FLOOD_DELTAS }, (_, i) => `${i % 10}`.repeat(10)).join('');

interface StallRun {
  baselineMb: number;
  peakMb: number;
  /** Deltas (agent text or command output) read once the client resumed. */
  deltas: number;
  status: string;
  killed: boolean;
}

/**
 * One stalled-client run on a fresh daemon: a warm-up turn, the baseline RSS, `turn/start` with
 * `prompt`, then the client stops reading for {@link STALL_MS} while RSS is sampled; then it
 * reads again and, when `interrupt` is set, interrupts the turn (a 1 GB command is not waited for).
 */
async function stalledRun(env: DaemonEnv, prompt: string, interrupt: boolean): Promise<StallRun> {
  const { client: c } = await timedInitialize(() => spawnDaemon(env));
  try {
    const { threadId } = await startThread(c, { cwd: env.cwd, ephemeral: true });
    await waitTurn(c, threadId, await startTurn(c, threadId, 'text warm-up'));
    const pid = c.child.pid!;
    const baselineMb = rssMb(pid);
    let deltas = 0;
    const off = c.onMessage((m: WireMessage) => {
      if (m.method === 'item/agentMessage/delta' || m.method === 'item/commandExecution/outputDelta') deltas++;
      // Keep the bench process small: nothing below reads the message log.
      if (c.messages.length > 10_000) c.messages.length = 0;
    });
    const turnId = await startTurn(c, threadId, prompt);
    const done = waitTurn(c, threadId, turnId);
    done.catch(() => undefined); // awaited below unless the daemon dies first
    c.child.stdout!.pause();
    let peakMb = baselineMb;
    let killed = false;
    const end = Date.now() + STALL_MS;
    while (Date.now() < end && c.child.exitCode === null) {
      await sleep(100);
      if (c.child.exitCode !== null) break;
      peakMb = Math.max(peakMb, rssMb(pid));
      if (peakMb - baselineMb > KILL_ABOVE_MIB) {
        killed = true;
        c.child.kill('SIGKILL');
        break;
      }
    }
    if (c.child.exitCode !== null || killed) return { baselineMb, peakMb, deltas, status: killed ? 'killed at the memory limit' : 'daemon died', killed: true };
    c.child.stdout!.resume();
    if (interrupt) await c.request('turn/interrupt', { threadId, turnId });
    const status = await done;
    off();
    return { baselineMb, peakMb, deltas, status, killed };
  } finally {
    await stopDaemon(c);
  }
}

async function startTurn(c: DaemonClient, threadId: string, text: string): Promise<string> {
  const r = await c.request('turn/start', { threadId, input: [{ type: 'text', text }] });
  return r.turn.id as string;
}

/** The status of the turn's `turn/completed`; rejects if the daemon exits first. */
function waitTurn(c: DaemonClient, threadId: string, turnId: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const off = c.onMessage((m) => {
      if (m.method === 'turn/completed' && m.params?.threadId === threadId && m.params.turn.id === turnId) {
        off();
        resolve(m.params.turn.status as string);
      }
    });
    void c.exited().then(({ code, signal }) => reject(new Error(`daemon exited (code ${code}, signal ${signal}) during the turn`)));
  });
}

function row(run: StallRun, note: string): MetricResult {
  const growth = run.peakMb - run.baselineMb;
  return metric([growth], 'MiB', TARGET_MIB, `${note}; ${run.deltas} deltas read after resuming, turn ${run.status}`, {
    baselineMiB: round(run.baselineMb),
    peakMiB: round(run.peakMb),
    growthToTarget: round(growth / TARGET_MIB),
    stallMs: STALL_MS,
  });
}

/** (a) RSS growth during a stall while the model streams {@link FLOOD_DELTAS} deltas. */
export async function stalledStream(env: DaemonEnv, r: Record<string, MetricResult>): Promise<void> {
  const run = await stalledRun(env, 'flood please', false);
  if (!run.killed && run.deltas !== FLOOD_DELTAS) throw new Error(`stalled stream: read ${run.deltas} deltas, expected ${FLOOD_DELTAS}`);
  r.stall_stream_rss_growth = row(run, `${STALL_MS / 1000} s stalled client, ${FLOOD_DELTAS} deltas`);
}

/** (b) RSS growth during a stall while a command prints 1 GB (then the turn is interrupted). */
export async function stalledCommand(env: DaemonEnv, r: Record<string, MetricResult>): Promise<void> {
  const run = await stalledRun(env, 'gigabyte please', true);
  r.stall_command_rss_growth = row(run, `${STALL_MS / 1000} s stalled client, command printing 1 GB`);
}
