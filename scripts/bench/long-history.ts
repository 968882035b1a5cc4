/**
 * Long histories: resuming a thread of 10,000 items, the first page of `thread/list` over 10,000
 * threads, and (when the daemon serves it) a page of `thread/items/list` from the end of that
 * thread. The threads are written with the daemon's own store code (as if turns had run), so the
 * figures measure reading them back, not producing them.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { DaemonClient } from '../../src/client/daemon-client.js';
import type { MockModelServer } from '../../src/mock/types.js';
import type { TurnItem } from '../../src/core/items.js';
import type { HistoryItem } from '../../src/model/types.js';
import { ThreadStore } from '../../src/store/thread-store.js';
import type { RolloutLine } from '../../src/store/types.js';
import { uuidv7 } from '../../src/util/ids.js';
import { silentLogger } from '../../src/util/logger.js';
import { spawnDaemon, stopDaemon, timedInitialize, type DaemonEnv } from './daemon.js';
import { metric } from './stats.js';
import type { Results } from './scenarios.js';

/** A rollout line without its timestamp (distributed over the union, so each kind keeps its fields). */
type LineBody = RolloutLine extends infer L ? (L extends unknown ? Omit<L, 'ts'> : never) : never;

/** Items per turn in the long thread: a user message and nine agent messages. */
const ITEMS_PER_TURN = 10;

/** Writes one thread of `items` items (turns of ten) into `home`; returns its id. */
export function seedLongThread(store: ThreadStore, cwd: string, items: number): string {
  const now = Date.now();
  const id = uuidv7(now);
  const secs = Math.floor(now / 1000);
  const rec = store.create({ id, createdAt: secs, cwd, model: 'gpt-5-codex', modelProvider: 'mock', forkedFromId: null, cliVersion: 'bench', source: 'appServer' });
  const line = (l: LineBody) => rec.append({ ts: now, ...l } as RolloutLine);
  for (let t = 0; t < items / ITEMS_PER_TURN; t++) {
    const turnId = `turn-${t}`;
    line({ type: 'turn_started', turnId, settings: {} });
    const userText = `request ${t}: please look at module ${t} and explain what it does`;
    const user: HistoryItem = { type: 'message', role: 'user', content: [{ type: 'input_text', text: userText }] };
    line({ type: 'response_item', turnId, item: user });
    const userItem: TurnItem = { type: 'userMessage', id: `u-${t}`, content: [{ type: 'text', text: userText }] };
    line({ type: 'item_completed', turnId, item: userItem });
    for (let i = 1; i < ITEMS_PER_TURN; i++) {
      const text = `Part ${i} of the answer to request ${t}: the module reads its input, checks it and writes a report.`;
      const msg: HistoryItem = { type: 'message', role: 'assistant', content: [{ type: 'output_text', text }] };
      line({ type: 'response_item', turnId, item: msg });
      line({ type: 'item_completed', turnId, item: { type: 'agentMessage', id: `a-${t}-${i}`, text } });
    }
    line({ type: 'turn_completed', turn: { turnId, status: 'completed', startedAt: secs, completedAt: secs, durationMs: 5 } });
  }
  rec.close();
  return id;
}

/** CPU time (user + system, all threads) a process has used, in ms (10 ms ticks). */
function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/** Times one request. */
async function timed<T>(fn: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const s = performance.now();
  const value = await fn();
  return { value, ms: performance.now() - s };
}

/** Times a page of 100 items from the end; null when the daemon does not serve thread/items/list. */
async function itemsPage(c: DaemonClient, threadId: string): Promise<number | null> {
  try {
    const items = await timed(() => c.request('thread/items/list', { threadId, limit: 100, sortDirection: 'desc' }));
    const got = (items.value as { data: unknown[] }).data.length;
    if (got !== 100) throw new Error(`thread/items/list gave ${got} items, not 100`);
    return items.ms;
  } catch (err) {
    if ((err as { error?: { code?: number } }).error?.code === -32601) return null;
    throw err;
  }
}

/** Items of each thread compacted by the compaction benchmark (one thread per run: a compaction shortens it). */
const COMPACT_THREAD_ITEMS = 2_000;

/**
 * Compaction's own cost: from `thread/compact/start` to `turn/completed` of a loaded
 * 2,000-item thread, minus the model's time as the mock measured it (request received to answer
 * sent). What is left is the daemon's work: building the request from the history, the new
 * history, persisting it (with the rollout sync of the turn's end) and the notifications.
 */
export async function compactionOverhead(env: DaemonEnv, root: string, mock: MockModelServer, r: Results, runs: number): Promise<void> {
  const home = join(root, 'compact-home');
  mkdirSync(home, { recursive: true });
  const store = ThreadStore.open(home, silentLogger());
  const ids = Array.from({ length: runs + 2 }, () => seedLongThread(store, env.cwd, COMPACT_THREAD_ITEMS));
  store.close();
  let client: DaemonClient | null = null;
  try {
    client = (await timedInitialize(() => spawnDaemon({ ...env, home }))).client;
    const c = client;
    const overheads: number[] = [];
    const models: number[] = [];
    for (const [i, threadId] of ids.entries()) {
      await c.request('thread/resume', { threadId });
      const from = c.messages.length;
      const seen = mock.requests.length;
      const t0 = performance.now();
      await c.request('thread/compact/start', { threadId });
      const done = await c.waitForNotification('turn/completed', (p: { threadId: string }) => p.threadId === threadId, from);
      const wall = performance.now() - t0;
      const status = (done.params as { turn: { status: string } }).turn.status;
      if (status !== 'completed') throw new Error(`compaction turn ended ${status}`);
      const calls = mock.requests.slice(seen);
      if (calls.length !== 1) throw new Error(`compaction made ${calls.length} model requests, not 1`);
      const timing = calls[0]!.timing;
      if (!timing || timing.answeredAt === null) throw new Error('the mock did not time the compaction request');
      await c.request('thread/unsubscribe', { threadId });
      if (i < 2) continue;
      const model = timing.answeredAt - timing.receivedAt;
      models.push(model);
      overheads.push(wall - model);
    }
    r.compaction_overhead = metric(overheads, 'ms', undefined, `thread/compact/start → turn/completed of a loaded ${COMPACT_THREAD_ITEMS.toLocaleString('en')}-item thread, minus the model's time`);
    r.compaction_model_time = metric(models, 'ms', undefined, 'the mock model\'s time in those compactions (request received → answer sent), for reference');
  } finally {
    if (client) await stopDaemon(client);
  }
}

export async function longHistory(env: DaemonEnv, root: string, r: Results, runs: number): Promise<void> {
  const home = join(root, 'long-home');
  mkdirSync(home, { recursive: true });
  const store = ThreadStore.open(home, silentLogger());
  const longId = seedLongThread(store, env.cwd, 10_000);
  // 9,999 more threads with one turn each: the list pages over 10,000.
  for (let i = 1; i < 10_000; i++) seedLongThread(store, env.cwd, ITEMS_PER_TURN);
  store.close();

  let client: DaemonClient | null = null;
  try {
    client = (await timedInitialize(() => spawnDaemon({ ...env, home }))).client;
    const c = client;
    const resumes: number[] = [];
    let resumeCpu = 0;
    const lists: number[] = [];
    const pages: number[] = [];
    let itemsListServed = true;
    const loadedPages: number[] = [];
    for (let i = 0; i < runs + 2; i++) {
      // Unsubscribing the only subscriber unloads the thread: each resume reads it from disk.
      const cpu0 = cpuMs(c.child.pid!);
      const resumed = await timed(() => c.request('thread/resume', { threadId: longId }));
      if (i >= 2) resumeCpu += cpuMs(c.child.pid!) - cpu0;
      const turns = (resumed.value as { thread: { turns: unknown[] } }).thread.turns.length;
      if (turns !== 1000) throw new Error(`long thread resumed with ${turns} turns, not 1000`);
      // A page while the thread is loaded (a client pages the history of the thread it resumed).
      const loadedPage = itemsListServed ? await itemsPage(c, longId) : null;
      if (loadedPage === null) itemsListServed = false;
      await c.request('thread/unsubscribe', { threadId: longId });
      const listed = await timed(() => c.request('thread/list', { limit: 25 }));
      const page = (listed.value as { data: unknown[]; nextCursor: string | null });
      if (page.data.length !== 25 || !page.nextCursor) throw new Error('thread/list: no full first page');
      // The same page with the thread not loaded: read from its rollout.
      const unloadedPage = itemsListServed ? await itemsPage(c, longId) : null;
      if (i < 2) continue;
      resumes.push(resumed.ms);
      lists.push(listed.ms);
      if (loadedPage !== null) loadedPages.push(loadedPage);
      if (unloadedPage !== null) pages.push(unloadedPage);
    }
    r.resume_10k_items = metric(resumes, 'ms', 100, 'thread/resume of a 10,000-item thread (1,000 turns), read from disk each time');
    // Less sensitive than wall time to other load on the machine (but it counts the GC's helper threads too).
    r.resume_10k_items_cpu = metric([resumeCpu / resumes.length], 'ms', undefined, 'the daemon\'s CPU time per such resume (user + system, all threads; mean)');
    r.thread_list_10k = metric(lists, 'ms', 20, 'thread/list first page (25) over 10,000 threads');
    if (loadedPages.length > 0) r.items_page_10k = metric(loadedPages, 'ms', 10, 'thread/items/list, 100 items from the end of the loaded 10,000-item thread');
    if (pages.length > 0) r.items_page_10k_unloaded = metric(pages, 'ms', 10, 'the same page of the thread not loaded (through the rollout index, after a warm-up that builds it)');
  } finally {
    if (client) await stopDaemon(client);
  }
}
