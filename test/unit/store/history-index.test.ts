import { appendFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { TurnItem } from '../../../src/core/items.js';
import { HISTORY_INDEX_DIR } from '../../../src/store/history-index.js';
import { reconstructThread } from '../../../src/store/reconstruct.js';
import type { RolloutRecorder } from '../../../src/store/rollout-recorder.js';
import { ThreadStore } from '../../../src/store/thread-store.js';
import type { RolloutLine } from '../../../src/store/types.js';
import { silentLogger } from '../../../src/util/logger.js';
import { newMeta } from './helpers.js';

let home: string;
let store: ThreadStore;
beforeEach(() => {
  home = mkdtempSync(join(tmpdir(), 'agentd-hindex-'));
  store = ThreadStore.open(home, silentLogger());
});
afterEach(() => {
  store.close();
  rmSync(home, { recursive: true, force: true });
});

const T0 = 1_750_000_000;

/** A turn of `n` items: a user message then agent messages; `retry` completes its first agent message twice. */
function turnLines(turnId: string, n: number, opts: { retry?: boolean; complete?: boolean } = {}): RolloutLine[] {
  const lines: RolloutLine[] = [{ ts: 1, type: 'turn_started', turnId, settings: {} }];
  lines.push({ ts: 1, type: 'response_item', turnId, item: { type: 'message', role: 'user', content: [{ type: 'input_text', text: `q ${turnId}` }] } });
  lines.push({ ts: 1, type: 'item_completed', turnId, item: { type: 'userMessage', id: `${turnId}-u`, content: [{ type: 'text', text: `q ${turnId} ✓` }] } });
  for (let i = 1; i < n; i++) {
    const item: TurnItem = { type: 'agentMessage', id: `${turnId}-a${i}`, text: `answer ${i} of ${turnId} — ünïcode` };
    lines.push({ ts: 2, type: 'item_completed', turnId, item });
    if (i === 1 && opts.retry) lines.push({ ts: 2, type: 'item_completed', turnId, item: { ...item, text: 'retried' } });
  }
  if (opts.complete !== false) {
    lines.push({ ts: 3, type: 'turn_completed', turn: { turnId, status: 'completed', error: null, startedAt: 0, completedAt: 0, durationMs: 1 } });
  }
  return lines;
}

/** What a full read gives: every kept turn with its items. */
async function expected(id: string): Promise<{ id: string; items: TurnItem[] }[]> {
  const { lines } = await store.read(id);
  return reconstructThread(lines).turns.map((t) => ({ id: t.turnId, items: t.items }));
}

/** What the index gives for the same thread: outline counts and the items of every turn. */
function indexed(id: string): { id: string; items: TurnItem[] }[] {
  const outline = store.turnOutline(id);
  const items = store.readTurnItems(id, outline.map((t) => t.id));
  for (const t of outline) expect(items.get(t.id) ?? [], `count of ${t.id}`).toHaveLength(t.items);
  return outline.map((t) => ({ id: t.id, items: items.get(t.id) ?? [] }));
}

function write(rec: RolloutRecorder, lines: RolloutLine[]): void {
  for (const l of lines) rec.append(l);
}

describe('history index', () => {
  it('agrees with a full read after appends, retries and a turn still running; only the new lines are read again', async () => {
    const rec = store.create(newMeta('t1', T0));
    write(rec, [...turnLines('a', 3), ...turnLines('b', 4, { retry: true })]);
    expect(indexed('t1')).toEqual(await expected('t1'));
    const file = join(home, HISTORY_INDEX_DIR, 't1.json');
    expect(existsSync(file)).toBe(true);
    const sizeBefore = (JSON.parse(readFileSync(file, 'utf8')) as { size: number }).size;

    write(rec, turnLines('c', 2, { complete: false }));
    expect(indexed('t1')).toEqual(await expected('t1'));
    // The running turn gets more items later: its count follows.
    write(rec, [{ ts: 4, type: 'item_completed', turnId: 'c', item: { type: 'agentMessage', id: 'c-late', text: 'late' } }]);
    write(rec, [{ ts: 4, type: 'item_completed', turnId: 'c', item: { type: 'agentMessage', id: 'c-a1', text: 'updated' } }]);
    const now = indexed('t1');
    expect(now).toEqual(await expected('t1'));
    expect(now.at(-1)!.items.map((i) => i.id)).toEqual(['c-u', 'c-a1', 'c-late']);
    expect((JSON.parse(readFileSync(file, 'utf8')) as { size: number }).size).toBeGreaterThan(sizeBefore);
    rec.close();
  });

  it('drops reverted turns, brings them back on revert_undone, and ignores compactions for display', async () => {
    const rec = store.create(newMeta('t1', T0));
    write(rec, [...turnLines('a', 2), ...turnLines('b', 2), ...turnLines('c', 2)]);
    expect(indexed('t1').map((t) => t.id)).toEqual(['a', 'b', 'c']);
    write(rec, [{ ts: 5, type: 'reverted', beforeTurnId: 'b' }]);
    expect(indexed('t1').map((t) => t.id)).toEqual(['a']);
    write(rec, [{ ts: 6, type: 'revert_undone' }]);
    expect(indexed('t1').map((t) => t.id)).toEqual(['a', 'b', 'c']);
    write(rec, [{ ts: 7, type: 'reverted', beforeTurnId: 'c' }, ...turnLines('d', 3)]);
    write(rec, [{ ts: 8, type: 'compacted', turnId: 'e', replacementHistory: [] }, ...turnLines('e', 2)]);
    const got = indexed('t1');
    expect(got.map((t) => t.id)).toEqual(['a', 'b', 'd', 'e']);
    expect(got).toEqual(await expected('t1'));
    rec.close();
  });

  it('skips a torn last line (kill -9 mid-write) and indexes what follows once the thread is reopened', async () => {
    const rec = store.create(newMeta('t1', T0));
    write(rec, turnLines('a', 2));
    rec.close();
    appendFileSync(rec.path, '{"ts":9,"type":"item_completed","turnId":"a","item":{"type":"agentMe');
    expect(indexed('t1')).toEqual(await expected('t1'));
    expect(indexed('t1')[0]!.items).toHaveLength(2);
    const again = store.openRecorder('t1');
    write(again, turnLines('b', 2));
    again.close();
    const got = indexed('t1');
    expect(got).toEqual(await expected('t1'));
    expect(got.map((t) => [t.id, t.items.length])).toEqual([
      ['a', 2],
      ['b', 2],
    ]);
  });

  it('rebuilds an index that is missing, damaged or of another rollout', async () => {
    const rec = store.create(newMeta('t1', T0));
    write(rec, [...turnLines('a', 2), ...turnLines('b', 3)]);
    rec.close();
    const want = await expected('t1');
    expect(indexed('t1')).toEqual(want);
    const file = join(home, HISTORY_INDEX_DIR, 't1.json');
    // A fresh process (no cache): a damaged file is rebuilt.
    const reopen = () => {
      store.close();
      store = ThreadStore.open(home, silentLogger());
    };
    writeFileSync(file, '{"v":1,"size":');
    reopen();
    expect(indexed('t1')).toEqual(want);
    // An index whose spans do not hold what it says (not this rollout's): found out when read, rebuilt.
    const lying = JSON.parse(readFileSync(file, 'utf8')) as { turns: { id: string; start: number; end: number }[] };
    const [a, b] = lying.turns;
    [a!.start, a!.end, b!.start, b!.end] = [b!.start, b!.end, a!.start, a!.end];
    writeFileSync(file, JSON.stringify(lying));
    reopen();
    expect(indexed('t1')).toEqual(want);
    // The rollout replaced by another (other first bytes, same length): rebuilt from it.
    const text = readFileSync(rec.path, 'utf8');
    writeFileSync(rec.path, text.replaceAll('answer', 'ANSWER').replace('"t1"', '"t2"'));
    reopen();
    const rebuilt = indexed('t1');
    expect(rebuilt).toEqual(await expected('t1'));
    expect(JSON.stringify(rebuilt)).toContain('ANSWER');
    writeFileSync(rec.path, text);
    // Missing: rebuilt too; deleting the thread removes it.
    rmSync(file);
    reopen();
    expect(indexed('t1')).toEqual(want);
    store.delete('t1');
    expect(readdirSync(join(home, HISTORY_INDEX_DIR))).toEqual([]);
  });

  it('reads a rollout written before there were indexes, with every line shape the reader accepts', async () => {
    const rec = store.create(newMeta('t1', T0));
    rec.close();
    // Lines as an older writer may have produced them: other key orders, no turn_started, a started-only patch.
    const old = [
      '{"type":"item_completed","ts":1,"turnId":"a","item":{"type":"userMessage","id":"u","content":[]}}',
      '{"turnId":"a","ts":1,"type":"response_item","item":{"type":"message","role":"user","content":[]}}',
      '{"ts":2,"type":"item_started","turnId":"a","item":{"type":"fileChange","id":"p","changes":[],"status":"inProgress"}}',
      '{"ts":3,"type":"turn_completed","turn":{"turnId":"a","status":"completed","startedAt":0,"completedAt":0,"durationMs":1}}',
    ];
    appendFileSync(rec.path, `${old.join('\n')}\n`);
    const got = indexed('t1');
    expect(got).toEqual(await expected('t1'));
    expect(got[0]!.items.map((i) => [i.id, i.type === 'fileChange' ? i.status : null])).toEqual([
      ['u', null],
      ['p', 'failed'],
    ]);
  });
});
