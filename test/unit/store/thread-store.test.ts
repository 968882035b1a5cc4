import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync, truncateSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InvalidCursorError, ThreadNotFoundError } from '../../../src/store/errors.js';
import { reconstructThread } from '../../../src/store/reconstruct.js';
import { INDEX_FILE, ThreadStore } from '../../../src/store/thread-store.js';
import type { ListThreadsQuery, RolloutLine, ThreadMeta } from '../../../src/store/types.js';
import { silentLogger } from '../../../src/util/logger.js';
import { capturingLogger, newMeta } from './helpers.js';

let home: string;
let store: ThreadStore;
beforeEach(() => {
  home = mkdtempSync(join(tmpdir(), 'agentd-store-'));
  store = ThreadStore.open(home, silentLogger());
});
afterEach(() => {
  store.close();
  rmSync(home, { recursive: true, force: true });
});

const T0 = 1_750_000_000;
const usage = { inputTokens: 10, cachedInputTokens: 0, outputTokens: 5, reasoningOutputTokens: 0, totalTokens: 15 };

function conversation(turnId: string, ts: number): RolloutLine[] {
  return [
    { ts, type: 'turn_started', turnId, settings: { model: 'gpt-5-codex' } },
    { ts, type: 'item_completed', turnId, item: { type: 'userMessage', id: `${turnId}-u`, content: [{ type: 'text', text: 'hi' }] } },
    { ts, type: 'response_item', turnId, item: { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'hi' }] } },
    { ts: ts + 1, type: 'response_item', turnId, item: { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'hello' }] } },
    { ts: ts + 1, type: 'item_completed', turnId, item: { type: 'agentMessage', id: `${turnId}-a`, text: 'hello' } },
    { ts: ts + 2, type: 'token_usage', total: usage, last: usage, modelContextWindow: 272_000 },
    {
      ts: ts + 2,
      type: 'turn_completed',
      turn: { turnId, status: 'completed', error: null, startedAt: Math.floor(ts / 1000), completedAt: Math.floor(ts / 1000), durationMs: 2 },
    },
  ];
}

describe('ThreadStore', () => {
  it('round-trips a thread: create, append, read, reconstruct', async () => {
    const rec = store.create(newMeta('t1', T0));
    expect(rec.path).toMatch(/sessions\/\d{4}\/\d{2}\/\d{2}\/rollout-\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}-t1\.jsonl$/);
    for (const line of conversation('turn-1', T0 * 1000)) rec.append(line);
    await rec.sync();
    rec.close();

    const { meta, lines, tornTail } = await store.read('t1');
    expect(tornTail).toBe(false);
    expect(meta).toMatchObject({ id: 't1', createdAt: T0, updatedAt: T0, archived: false, name: null, preview: '' });
    expect(lines[0]).toMatchObject({ type: 'session_meta', meta: { id: 't1' } });
    // response_item lines come back lazy (decoded on access): compared as what they serialise to.
    expect(JSON.parse(JSON.stringify(lines.slice(1)))).toEqual(conversation('turn-1', T0 * 1000));

    const thread = reconstructThread(lines);
    expect(thread.history.map((h) => h.type === 'message' && h.role)).toEqual(['user', 'assistant']);
    expect(thread.turns).toHaveLength(1);
    expect(thread.turns[0]).toMatchObject({ turnId: 'turn-1', status: 'completed' });
    expect(thread.turns[0]!.items.map((i) => i.type)).toEqual(['userMessage', 'agentMessage']);
    expect(thread.tokenUsage).toEqual({ total: usage, last: usage, modelContextWindow: 272_000 });
  });

  it('tolerates and reports a torn last line, and appending after it keeps later lines readable', async () => {
    const { logger, records } = capturingLogger();
    store.close();
    store = ThreadStore.open(home, logger);
    const rec = store.create(newMeta('t1', T0));
    rec.append({ ts: 1, type: 'settings', settings: { a: 1 } });
    rec.close();
    appendFileSync(rec.path, '{"ts":2,"type":"settings","sett');

    const first = await store.read('t1');
    expect(first.tornTail).toBe(true);
    expect(first.lines.map((l) => l.type)).toEqual(['session_meta', 'settings']);
    expect(records.some((r) => r['level'] === 40 && String(r['msg']).includes('torn'))).toBe(true);

    const again = store.openRecorder('t1');
    again.append({ ts: 3, type: 'settings', settings: { b: 2 } });
    again.close();
    const second = await store.read('t1');
    expect(second.tornTail).toBe(false);
    expect(second.lines.map((l) => l.type)).toEqual(['session_meta', 'settings', 'settings']);
    expect(reconstructThread(second.lines).settings).toEqual({ a: 1, b: 2 });
  });

  it('skips and logs a corrupt line in the middle of a rollout', async () => {
    const { logger, records } = capturingLogger();
    store.close();
    store = ThreadStore.open(home, logger);
    const rec = store.create(newMeta('t1', T0));
    rec.close();
    appendFileSync(rec.path, 'not json\n{"ts":5,"type":"settings","settings":{"x":1}}\n');
    const { lines, tornTail } = await store.read('t1');
    expect(tornTail).toBe(false);
    expect(lines.map((l) => l.type)).toEqual(['session_meta', 'settings']);
    expect(records.some((r) => r['level'] === 40 && r['line'] === 2)).toBe(true);
  });

  it('returns undefined or throws ThreadNotFoundError for unknown ids', async () => {
    expect(store.get('nope')).toBeUndefined();
    await expect(store.read('nope')).rejects.toBeInstanceOf(ThreadNotFoundError);
    expect(() => store.openRecorder('nope')).toThrow(ThreadNotFoundError);
    expect(() => store.updateMeta('nope', { name: 'x' })).toThrow(ThreadNotFoundError);
    expect(() => store.archive('nope')).toThrow(ThreadNotFoundError);
    expect(() => store.delete('nope')).toThrow(ThreadNotFoundError);
  });

  it('refuses to create a thread id twice', () => {
    store.create(newMeta('t1', T0)).close();
    expect(() => store.create(newMeta('t1', T0))).toThrow(/already exists/);
  });

  it('keeps meta updates across a reopen', () => {
    store.create(newMeta('t1', T0)).close();
    store.updateMeta('t1', { name: 'Fix the bug', preview: 'please fix', updatedAt: T0 + 50, model: 'o3' });
    store.close();
    store = ThreadStore.open(home, silentLogger());
    expect(store.get('t1')).toMatchObject({ name: 'Fix the bug', preview: 'please fix', updatedAt: T0 + 50, model: 'o3' });
  });

  it('opening an empty home creates nothing on disk', () => {
    const fresh = join(home, 'not-yet');
    const s = ThreadStore.open(fresh, silentLogger());
    expect(s.list({}).data).toEqual([]);
    s.close();
    expect(existsSync(fresh)).toBe(false);
  });

  it('compacts the index when it accumulates stale entries', () => {
    store.create(newMeta('t1', T0)).close();
    for (let i = 1; i <= 1000; i++) store.updateMeta('t1', { updatedAt: T0 + i });
    const lines = readFileSync(join(home, INDEX_FILE), 'utf8').trim().split('\n');
    expect(lines.length).toBeLessThan(300);
    store.close();
    store = ThreadStore.open(home, silentLogger());
    expect(store.get('t1')!.updatedAt).toBe(T0 + 1000);
  });
});

describe('ThreadStore.list', () => {
  /** Seven threads; some share createdAt so the id tie-break matters; updatedAt runs the other way. */
  function seed(): ThreadMeta[] {
    const created = [T0, T0 + 10, T0 + 10, T0 + 20, T0 + 20, T0 + 20, T0 + 30];
    created.forEach((c, i) => {
      store.create(newMeta(`id-${String.fromCharCode(103 - i)}`, c)).close();
      store.updateMeta(`id-${String.fromCharCode(103 - i)}`, { updatedAt: T0 + 100 - i });
    });
    return store.list({ limit: 200 }).data;
  }

  function pageAll(q: ListThreadsQuery): string[] {
    const ids: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page = store.list({ ...q, cursor, limit: 3 });
      expect(page.data.length).toBeLessThanOrEqual(3);
      ids.push(...page.data.map((t) => t.id));
      cursor = page.nextCursor;
      pages++;
    } while (cursor !== null && pages < 10);
    expect(cursor).toBeNull();
    return ids;
  }

  it.each([
    ['created_at', 'asc'],
    ['created_at', 'desc'],
    ['updated_at', 'asc'],
    ['updated_at', 'desc'],
  ] as const)('pages through every thread once in %s %s order', (sortKey, sortDirection) => {
    const all = seed();
    const key = (t: ThreadMeta) => (sortKey === 'created_at' ? t.createdAt : t.updatedAt);
    const expected = [...all]
      .sort((a, b) => key(a) - key(b) || (a.id < b.id ? -1 : 1))
      .map((t) => t.id);
    if (sortDirection === 'desc') expected.reverse();
    expect(pageAll({ sortKey, sortDirection })).toEqual(expected);
  });

  it('defaults to newest created first, 25 per page', () => {
    seed();
    const ids = store.list({}).data.map((t) => t.id);
    // Equal timestamps fall back to the id, in the same (descending) direction.
    expect(ids).toEqual(['id-a', 'id-d', 'id-c', 'id-b', 'id-f', 'id-e', 'id-g']);
    for (let i = 0; i < 30; i++) store.create(newMeta(`more-${i}`, T0)).close();
    const page = store.list({});
    expect(page.data).toHaveLength(25);
    expect(page.nextCursor).not.toBeNull();
  });

  it('rejects a cursor from another sort order or one it did not make', () => {
    seed();
    const { nextCursor } = store.list({ limit: 2 });
    expect(() => store.list({ cursor: nextCursor, sortKey: 'updated_at' })).toThrow(InvalidCursorError);
    expect(() => store.list({ cursor: 'garbage' })).toThrow(InvalidCursorError);
  });

  it('filters by cwd and by a case-insensitive search in name and preview', () => {
    store.create(newMeta('a', T0, { cwd: '/repo/one' })).close();
    store.create(newMeta('b', T0 + 1, { cwd: '/repo/two' })).close();
    store.create(newMeta('c', T0 + 2, { cwd: '/repo/one' })).close();
    store.updateMeta('a', { name: 'Refactor PARSER' });
    store.updateMeta('b', { preview: 'the parser crashes' });
    store.updateMeta('c', { preview: 'unrelated' });
    expect(store.list({ cwd: '/repo/one' }).data.map((t) => t.id)).toEqual(['c', 'a']);
    expect(store.list({ searchTerm: 'Parser' }).data.map((t) => t.id)).toEqual(['b', 'a']);
    expect(store.list({ searchTerm: 'parser', cwd: '/repo/two' }).data.map((t) => t.id)).toEqual(['b']);
  });
});

describe('archive, unarchive, delete', () => {
  it('moves the rollout to archived_sessions and back, and list follows', async () => {
    const rec = store.create(newMeta('t1', T0));
    store.create(newMeta('t2', T0 + 1)).close();
    const livePath = rec.path;

    const archived = store.archive('t1');
    expect(archived.archived).toBe(true);
    expect(archived.path).toBe(join(home, 'archived_sessions', livePath.split('/').pop()!));
    expect(existsSync(archived.path)).toBe(true);
    expect(existsSync(livePath)).toBe(false);
    expect(store.list({}).data.map((t) => t.id)).toEqual(['t2']);
    expect(store.list({ archived: true }).data.map((t) => t.id)).toEqual(['t1']);

    // A recorder that was open keeps writing to the moved file.
    rec.append({ ts: 1, type: 'settings', settings: { after: 'archive' } });
    expect(rec.path).toBe(archived.path);

    const back = store.unarchive('t1');
    expect(back).toMatchObject({ archived: false, path: livePath });
    expect(existsSync(livePath)).toBe(true);
    expect(store.list({}).data.map((t) => t.id)).toEqual(['t2', 't1']);
    const { lines } = await store.read('t1');
    expect(lines.at(-1)).toMatchObject({ type: 'settings', settings: { after: 'archive' } });
    rec.close();

    store.close();
    store = ThreadStore.open(home, silentLogger());
    expect(store.get('t1')).toMatchObject({ archived: false, path: livePath });
  });

  it('deletes the rollout and forgets the thread for good', async () => {
    const rec = store.create(newMeta('t1', T0));
    store.delete('t1');
    expect(rec.closed).toBe(true);
    expect(existsSync(rec.path)).toBe(false);
    expect(store.get('t1')).toBeUndefined();
    await expect(store.read('t1')).rejects.toBeInstanceOf(ThreadNotFoundError);
    store.close();
    store = ThreadStore.open(home, silentLogger());
    expect(store.get('t1')).toBeUndefined();
    expect(store.list({}).data).toEqual([]);
  });
});

describe('index rebuild', () => {
  it('rebuilds a deleted index from rollout headers alone, however large the rollouts', async () => {
    const big = store.create(newMeta('big', T0, { cwd: '/repo/big' }));
    big.close();
    // Grow the rollout past 3 GiB of NUL bytes (sparse, so cheap) and end it with a valid line:
    // a reader that looked past the first line would fail (fs.readFile refuses files over 2 GiB)
    // or take far too long.
    truncateSync(big.path, 3 * 1024 ** 3);
    appendFileSync(big.path, `${JSON.stringify({ ts: 1, type: 'settings', settings: {} })}\n`);
    store.create(newMeta('small', T0 + 5)).close();
    store.create(newMeta('old', T0 - 5)).close();
    store.archive('old');

    store.close();
    unlinkSync(join(home, INDEX_FILE));
    store = ThreadStore.open(home, silentLogger());

    expect(store.list({}).data.map((t) => t.id)).toEqual(['small', 'big']);
    expect(store.list({ archived: true }).data.map((t) => t.id)).toEqual(['old']);
    expect(store.get('big')).toMatchObject({ cwd: '/repo/big', createdAt: T0, archived: false });
    expect(existsSync(join(home, INDEX_FILE))).toBe(true);
    // The control: reading the whole rollout is indeed impossible.
    await expect(store.read('big')).rejects.toThrow();
  });

  it('rebuilds a damaged index and keeps the names its good lines still know', () => {
    store.create(newMeta('t1', T0)).close();
    store.create(newMeta('t2', T0 + 1)).close();
    store.updateMeta('t1', { name: 'named' });
    store.close();
    const file = join(home, INDEX_FILE);
    const lines = readFileSync(file, 'utf8').split('\n');
    // Damage the line that holds t2's only entry.
    writeFileSync(file, lines.map((l) => (l.includes('"id":"t2"') ? '{"broken' : l)).join('\n'));

    store = ThreadStore.open(home, silentLogger());
    expect(store.list({}).data.map((t) => t.id)).toEqual(['t2', 't1']);
    expect(store.get('t1')!.name).toBe('named');
    expect(readFileSync(file, 'utf8')).not.toContain('{"broken');
  });
});
