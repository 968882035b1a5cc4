import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DaemonClient } from '../../src/client/daemon-client.js';
import { createHarness, startTurn, turnCompleted, type Harness } from '../support/harness.js';

// Each test gets its own home, so thread lists hold only that test's threads.
let h: Harness;
beforeEach(async () => {
  h = await createHarness();
});
afterEach(async () => {
  await h.cleanup();
});

/** The items the client saw in `item/completed` for a turn, in order. */
const completedItems = (c: DaemonClient, turnId: string) =>
  c.notifications('item/completed').filter((m) => m.params.turnId === turnId).map((m) => m.params.item);

const occurrences = (hay: string, needle: string) => hay.split(needle).length - 1;

/** Runs one turn to completion on a persisted thread; returns its id and the items seen. */
async function completedTurn(c: DaemonClient, threadId: string, text: string, reply: string) {
  h.mock.enqueue({ output: [{ type: 'text', text: reply, chunks: 2 }] });
  const turnId = await startTurn(c, threadId, text);
  expect((await turnCompleted(c, turnId)).status).toBe('completed');
  return { turnId, items: completedItems(c, turnId) };
}

describe('threads survive the daemon', () => {
  it('keeps a persisted thread across a restart and resumes it with its history', async () => {
    const c1 = await h.start();
    const t = await c1.request('thread/start', { cwd: h.workspace });
    const threadId = t.thread.id as string;
    expect(t.thread.ephemeral).toBe(false);
    const first = await completedTurn(c1, threadId, 'What is the capital of France?', 'The capital of France is Paris.');
    expect(first.items.map((i) => i.type)).toEqual(['userMessage', 'agentMessage']);
    expect(await c1.close()).toEqual({ code: 0, signal: null });

    const c2 = await h.start();
    const list = await c2.request('thread/list', {});
    expect(list.data.map((x: { id: string }) => x.id)).toEqual([threadId]);
    const row = list.data[0];
    expect(row.preview).toBe('What is the capital of France?');
    expect(row.cwd).toBe(h.workspace);
    expect(row.status).toEqual({ type: 'notLoaded' });

    const read = await c2.request('thread/read', { threadId, includeTurns: true });
    expect(read.thread.turns).toHaveLength(1);
    expect(read.thread.turns[0].id).toBe(first.turnId);
    expect(read.thread.turns[0].status).toBe('completed');
    expect(read.thread.turns[0].items).toEqual(first.items);

    const resumed = await c2.request('thread/resume', { threadId });
    expect(resumed.cwd).toBe(h.workspace);
    expect(resumed.thread.turns.map((x: { id: string }) => x.id)).toEqual([first.turnId]);
    expect(resumed.thread.turns[0].items).toEqual(first.items);

    const n = h.mock.requests.length;
    await completedTurn(c2, threadId, 'And of Germany?', 'Berlin.');
    const input = JSON.stringify(h.mock.requests[n]!.body.input);
    // The model saw the first exchange once each, in order, then the new question.
    expect(occurrences(input, 'What is the capital of France?')).toBe(1);
    expect(occurrences(input, 'The capital of France is Paris.')).toBe(1);
    expect(input.indexOf('What is the capital of France?')).toBeLessThan(input.indexOf('The capital of France is Paris.'));
    expect(input.indexOf('The capital of France is Paris.')).toBeLessThan(input.indexOf('And of Germany?'));
    await c2.close();
  });

  it('loses nothing the client was told about when the daemon is killed with SIGKILL', async () => {
    const c1 = await h.start();
    const t = await c1.request('thread/start', { cwd: h.workspace });
    const threadId = t.thread.id as string;
    const first = await completedTurn(c1, threadId, 'first question', 'first answer');

    h.mock.enqueue({ output: [{ type: 'text', text: 'a partial answer that never ends', chunks: 3 }], fault: { hang: true } });
    const secondId = await startTurn(c1, threadId, 'second question');
    await c1.waitForNotification('item/completed', (p) => p.turnId === secondId && p.item.type === 'userMessage');
    await c1.waitForNotification('item/agentMessage/delta', (p) => p.turnId === secondId);
    const seen = c1.notifications('item/completed').map((m) => m.params.item);
    expect(seen.length).toBeGreaterThanOrEqual(3);
    expect(await c1.kill('SIGKILL')).toEqual({ code: null, signal: 'SIGKILL' });

    const c2 = await h.start();
    const list = await c2.request('thread/list', {});
    expect(list.data.map((x: { id: string }) => x.id)).toEqual([threadId]);
    expect(list.data[0].preview).toBe('first question');

    const read = await c2.request('thread/read', { threadId, includeTurns: true });
    const turns = read.thread.turns;
    expect(turns.map((x: { id: string }) => x.id)).toEqual([first.turnId, secondId]);
    expect(turns[0].status).toBe('completed');
    expect(turns[0].items).toEqual(first.items);
    expect(turns[1].status).toBe('interrupted');
    const stored = turns.flatMap((x: { items: unknown[] }) => x.items) as { id: string }[];
    for (const item of seen) expect(stored.find((s) => s.id === item.id)).toEqual(item);
    expect(turns[1].items[0]).toMatchObject({ type: 'userMessage', content: [{ type: 'text', text: 'second question' }] });

    // The thread is usable again: resume it and run a turn.
    const resumed = await c2.request('thread/resume', { threadId });
    expect(resumed.thread.turns.map((x: { status: string }) => x.status)).toEqual(['completed', 'interrupted']);
    await completedTurn(c2, threadId, 'third question', 'third answer');
    await c2.close();
  });

  it('gives the model, after a SIGKILL, the real output of every command the client saw completed', async () => {
    const c1 = await h.start(['approval_policy="untrusted"', 'sandbox_mode="workspace-write"']);
    // The client never answers: the daemon dies while it waits.
    c1.onServerRequest(() => new Promise(() => {}));
    const t = await c1.request('thread/start', { cwd: h.workspace });
    const threadId = t.thread.id as string;
    // One response, two calls run one after the other: a known-safe one, then one that asks.
    h.mock.enqueue({
      output: [
        { type: 'function_call', name: 'exec_command', arguments: { cmd: 'echo first-call-output' }, callId: 'call-ran' },
        { type: 'function_call', name: 'exec_command', arguments: { cmd: 'touch never-ran' }, callId: 'call-asked' },
      ],
    });
    const turnId = await startTurn(c1, threadId, 'two commands');
    const ran = await c1.waitForNotification('item/completed', (p) => p.turnId === turnId && p.item.id === 'call-ran');
    expect(ran.params.item).toMatchObject({ status: 'completed', exitCode: 0, aggregatedOutput: expect.stringContaining('first-call-output') });
    await c1.waitFor((m) => m.method === 'item/commandExecution/requestApproval' && m.params.itemId === 'call-asked');
    expect(await c1.kill('SIGKILL')).toEqual({ code: null, signal: 'SIGKILL' });

    const c2 = await h.start();
    await c2.request('thread/resume', { threadId });
    h.mock.enqueue({ output: [{ type: 'text', text: 'ok' }] });
    const n = h.mock.requests.length;
    expect((await turnCompleted(c2, await startTurn(c2, threadId, 'next'))).status).toBe('completed');
    const input = h.mock.requests[n]!.body.input as { type: string; call_id?: string; output?: unknown }[];
    const outputs = input.filter((i) => i.type === 'function_call_output');
    // Every call answered once; the one that ran with what it printed, the other as cut short.
    expect(outputs.map((o) => o.call_id)).toEqual(['call-ran', 'call-asked']);
    expect(JSON.stringify(outputs[0]!.output)).toContain('first-call-output');
    expect(JSON.stringify(outputs[1]!.output)).toContain('did not finish');
    expect(existsSync(join(h.workspace, 'never-ran'))).toBe(false);
    await c2.close();
  });

  it('reads and resumes a thread whose rollout ends in a torn line', async () => {
    const c1 = await h.start();
    const t = await c1.request('thread/start', { cwd: h.workspace });
    const threadId = t.thread.id as string;
    const path = t.thread.path as string;
    expect(path).toBeTruthy();
    expect(existsSync(path)).toBe(true);
    const first = await completedTurn(c1, threadId, 'before the tear', 'answer before the tear');
    expect(await c1.close()).toEqual({ code: 0, signal: null });

    // The writer died in the middle of a line: half a JSON object, no newline.
    appendFileSync(path, '{"ts":1,"type":"item_completed","turnId":"x","item":{"type":"agentMess');

    const c2 = await h.start();
    const read = await c2.request('thread/read', { threadId, includeTurns: true });
    expect(read.thread.turns).toHaveLength(1);
    expect(read.thread.turns[0].items).toEqual(first.items);
    await c2.request('thread/resume', { threadId });
    const n = h.mock.requests.length;
    const second = await completedTurn(c2, threadId, 'after the tear', 'answer after the tear');
    expect(JSON.stringify(h.mock.requests[n]!.body.input)).toContain('answer before the tear');
    expect(await c2.close()).toEqual({ code: 0, signal: null });

    // What the resumed daemon appended did not fuse with the fragment: a third daemon sees it all.
    const c3 = await h.start();
    const again = await c3.request('thread/read', { threadId, includeTurns: true });
    expect(again.thread.turns.map((x: { id: string; status: string }) => [x.id, x.status])).toEqual([
      [first.turnId, 'completed'],
      [second.turnId, 'completed'],
    ]);
    expect(again.thread.turns[1].items).toEqual(second.items);
    expect(readFileSync(path, 'utf8').endsWith('\n')).toBe(true);
    await c3.close();
  });

  it('lists threads with their names and previews after the thread index was torn mid-append', async () => {
    const c1 = await h.start();
    const t = await c1.request('thread/start', { cwd: h.workspace });
    const threadId = t.thread.id as string;
    await completedTurn(c1, threadId, 'index me', 'indexed');
    await c1.request('thread/name/set', { threadId, name: 'Named before the crash' });
    expect(await c1.kill('SIGKILL')).toEqual({ code: null, signal: 'SIGKILL' });
    // The daemon died while appending to the index.
    appendFileSync(join(h.home, 'thread-index.jsonl'), '{"id":"' + threadId + '","createdAt":17');

    const c2 = await h.start();
    const list = await c2.request('thread/list', {});
    expect(list.data.map((x: { id: string }) => x.id)).toEqual([threadId]);
    expect(list.data[0]).toMatchObject({ preview: 'index me', name: 'Named before the crash' });
    // The index is writable again: a rename now survives the next restart.
    await c2.request('thread/name/set', { threadId, name: 'Renamed after the crash' });
    expect(await c2.close()).toEqual({ code: 0, signal: null });
    const c3 = await h.start();
    expect((await c3.request('thread/list', {})).data[0]).toMatchObject({ id: threadId, name: 'Renamed after the crash', preview: 'index me' });
    expect((await c3.request('thread/read', { threadId })).thread.name).toBe('Renamed after the crash');
    await c3.close();
  });

  it('keeps a forked thread\'s copied turns the same in the fork response, a read, and a read after restart', async () => {
    const c1 = await h.start();
    const t = await c1.request('thread/start', { cwd: h.workspace });
    const source = await completedTurn(c1, t.thread.id, 'question to fork', 'answer to fork');
    const f = await c1.request('thread/fork', { threadId: t.thread.id });
    const forkId = f.thread.id as string;
    expect(f.thread.forkedFromId).toBe(t.thread.id);
    // Item ids may be renewed in a fork; statuses, kinds and contents may not.
    const strip = (items: { id?: string }[]) => items.map(({ id: _id, ...rest }) => rest);
    const shape = (turns: { status: string; items: { id?: string }[] }[]) => turns.map((x) => [x.status, strip(x.items)]);
    expect(shape(f.thread.turns)).toEqual([['completed', strip(source.items)]]);
    // Reading the loaded fork shows the same turns as the fork response.
    const loadedRead = await c1.request('thread/read', { threadId: forkId, includeTurns: true });
    expect(shape(loadedRead.thread.turns)).toEqual([['completed', strip(source.items)]]);
    expect(await c1.close()).toEqual({ code: 0, signal: null });

    const c2 = await h.start();
    const read = await c2.request('thread/read', { threadId: forkId, includeTurns: true });
    expect(read.thread.turns.every((x: { id: string }) => x.id !== '')).toBe(true);
    expect(shape(read.thread.turns)).toEqual([['completed', strip(source.items)]]);
    // The model history did survive: the fork's next turn carries the source's exchange.
    await c2.request('thread/resume', { threadId: forkId });
    const n = h.mock.requests.length;
    await completedTurn(c2, forkId, 'follow-up in the fork', 'ok');
    const input = JSON.stringify(h.mock.requests[n]!.body.input);
    expect(input).toContain('question to fork');
    expect(input).toContain('answer to fork');
    await c2.close();
  });
});

describe('thread/list end to end', () => {
  it('pages, sorts, filters, archives, names and lists loaded threads', async () => {
    const c = await h.start();
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const t = await c.request('thread/start', { cwd: h.workspace });
      ids.push(t.thread.id);
      await completedTurn(c, t.thread.id, `thread topic ${i}`, `reply ${i}`);
    }

    // Pages of 2, following nextCursor: every thread exactly once.
    const listAll = async (params: Record<string, unknown>) => {
      const seen: { id: string; preview: string }[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const r: { data: { id: string; preview: string }[]; nextCursor?: string | null } = await c.request('thread/list', { ...params, limit: 2, cursor });
        expect(r.data.length).toBeLessThanOrEqual(2);
        seen.push(...r.data);
        cursor = r.nextCursor ?? null;
        pages++;
      } while (cursor !== null && pages < 20);
      return { seen, pages };
    };
    const paged = await listAll({});
    expect(paged.pages).toBe(3);
    expect(paged.seen.map((x) => x.id).sort()).toEqual([...ids].sort());
    for (const row of paged.seen) expect(row.preview).toBe(`thread topic ${ids.indexOf(row.id)}`);

    const asc = (await c.request('thread/list', { sortKey: 'created_at', sortDirection: 'asc' })).data.map((x: { id: string }) => x.id);
    const desc = (await c.request('thread/list', { sortKey: 'created_at', sortDirection: 'desc' })).data.map((x: { id: string }) => x.id);
    expect(asc).toEqual(ids);
    expect(desc).toEqual([...ids].reverse());
    expect((await listAll({ sortKey: 'created_at', sortDirection: 'asc' })).seen.map((x) => x.id)).toEqual(ids);

    // Filters: cwd and search term.
    expect((await c.request('thread/list', { cwd: h.workspace })).data).toHaveLength(5);
    const elsewhere = mkdtempSync(join(tmpdir(), 'agentd-test-other-'));
    try {
      expect((await c.request('thread/list', { cwd: elsewhere })).data).toEqual([]);
    } finally {
      rmSync(elsewhere, { recursive: true, force: true });
    }
    expect((await c.request('thread/list', { searchTerm: 'TOPIC 3' })).data.map((x: { id: string }) => x.id)).toEqual([ids[3]]);

    // Archive: gone from the default list, present in the archived one; unarchive brings it back.
    await c.request('thread/archive', { threadId: ids[1] });
    await c.waitForNotification('thread/archived', (p) => p.threadId === ids[1]);
    const live = (await c.request('thread/list', {})).data.map((x: { id: string }) => x.id);
    expect(live.sort()).toEqual(ids.filter((_, i) => i !== 1).sort());
    const archived = await c.request('thread/list', { archived: true });
    expect(archived.data.map((x: { id: string }) => x.id)).toEqual([ids[1]]);
    expect(archived.data[0].preview).toBe('thread topic 1');
    const un = await c.request('thread/unarchive', { threadId: ids[1] });
    expect(un.thread.id).toBe(ids[1]);
    await c.waitForNotification('thread/unarchived', (p) => p.threadId === ids[1]);
    expect((await c.request('thread/list', {})).data.map((x: { id: string }) => x.id).sort()).toEqual([...ids].sort());
    expect((await c.request('thread/list', { archived: true })).data).toEqual([]);
    const readBack = await c.request('thread/read', { threadId: ids[1], includeTurns: true });
    expect(readBack.thread.turns).toHaveLength(1);

    // Naming: a notification, and the name in list and read.
    expect(await c.request('thread/name/set', { threadId: ids[0], name: 'My favourite thread' })).toEqual({});
    const upd = await c.waitForNotification('thread/name/updated', (p) => p.threadId === ids[0]);
    expect(upd.params.threadName).toBe('My favourite thread');
    const named = (await c.request('thread/list', {})).data.find((x: { id: string }) => x.id === ids[0]);
    expect(named.name).toBe('My favourite thread');
    expect((await c.request('thread/read', { threadId: ids[0] })).thread.name).toBe('My favourite thread');
    expect((await c.request('thread/list', { searchTerm: 'favourite' })).data.map((x: { id: string }) => x.id)).toEqual([ids[0]]);

    // Loaded threads: the four never archived are still loaded.
    const loaded = await c.request('thread/loaded/list', {});
    for (const id of ids.filter((_, i) => i !== 1)) expect(loaded.data).toContain(id);
    expect(loaded.nextCursor).toBeNull();
    expect(await c.close()).toEqual({ code: 0, signal: null });

    // And all of it survives a restart.
    const c2 = await h.start();
    const after = (await c2.request('thread/list', { sortKey: 'created_at', sortDirection: 'asc' })).data;
    expect(after.map((x: { id: string }) => x.id)).toEqual(ids);
    expect(after[0].name).toBe('My favourite thread');
    expect((await c2.request('thread/loaded/list', {})).data).toEqual([]);
    await c2.close();
  });
});
