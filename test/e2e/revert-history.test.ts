import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, lstatSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DaemonClient } from '../../src/client/daemon-client.js';
import { createHarness, type Harness } from '../support/harness.js';
import { DONE_TURN, NEVER_WW, execCall, outsideDir, patchCall, patchText, rmrf, runTurn, type Thread } from '../support/tool-turns.js';

let h: Harness;
beforeEach(async () => {
  h = await createHarness();
});
afterEach(async () => {
  await h.cleanup();
});

/** A persisted thread in the harness workspace. */
async function persistedThread(config: string[] = NEVER_WW): Promise<Thread> {
  const c = await h.start(config);
  const t = await c.request('thread/start', { cwd: h.workspace });
  return { c, threadId: t.thread.id as string };
}

async function textTurn(t: Thread, question: string, answer: string): Promise<string> {
  h.mock.enqueue({ output: [{ type: 'text', text: answer }] });
  const run = await runTurn(h, t, question);
  expect(run.turn.status).toBe('completed');
  return run.turnId;
}

async function patchTurn(t: Thread, question: string, patch: string): Promise<string> {
  h.mock.enqueue({ output: [patchCall(patch, `p-${question}`)] }, DONE_TURN);
  const run = await runTurn(h, t, question);
  expect(run.turn.status).toBe('completed');
  return run.turnId;
}

const turnIds = (turns: { id: string }[]) => turns.map((x) => x.id);
const lastInput = () => JSON.stringify(h.mock.requests.at(-1)!.body.input);
const read = (p: string) => readFileSync(join(h.workspace, p), 'utf8');

describe('thread/revert', () => {
  it('drops turn 2 of 3 from thread/read, thread/turns/list, the next request and a restart', async () => {
    const t = await persistedThread([]);
    const t1 = await textTurn(t, 'question-one', 'answer-one');
    const t2 = await textTurn(t, 'question-two', 'answer-two');
    await textTurn(t, 'question-three', 'answer-three');

    await expect(t.c.request('thread/revert', { threadId: t.threadId, beforeTurnId: 'no-such-turn' })).rejects.toMatchObject({
      error: { code: -32602, message: expect.stringContaining('no-such-turn') },
    });
    await expect(t.c.request('thread/revert', { threadId: 'no-such-thread', beforeTurnId: t2 })).rejects.toMatchObject({
      error: { data: { code: 'thread_not_found' } },
    });

    const res = await t.c.request('thread/revert', { threadId: t.threadId, beforeTurnId: t2 });
    expect(res.thread.turns).toEqual([]);
    await t.c.waitForNotification('thread/reverted', (p) => p.threadId === t.threadId);
    const back = await t.c.request('thread/turns/list', { threadId: t.threadId, cursor: res.turnsBackwardsCursor, sortDirection: 'desc' });
    expect(turnIds(back.data)).toEqual([t1]);

    const r = await t.c.request('thread/read', { threadId: t.threadId, includeTurns: true });
    expect(turnIds(r.thread.turns)).toEqual([t1]);
    const listed = await t.c.request('thread/turns/list', { threadId: t.threadId });
    expect(turnIds(listed.data)).toEqual([t1]);

    const t4 = await textTurn(t, 'question-four', 'answer-four');
    const input = lastInput();
    expect(input).toContain('question-one');
    expect(input).toContain('answer-one');
    expect(input).not.toContain('question-two');
    expect(input).not.toContain('answer-three');
    // The next turn made the revert final.
    await expect(t.c.request('thread/revert/undo', { threadId: t.threadId })).rejects.toMatchObject({ error: { code: -32602 } });
    await t.c.close();

    const c2 = await h.start();
    const r2 = await c2.request('thread/read', { threadId: t.threadId, includeTurns: true });
    expect(turnIds(r2.thread.turns)).toEqual([t1, t4]);
    const l2 = await c2.request('thread/turns/list', { threadId: t.threadId, sortDirection: 'asc' });
    expect(turnIds(l2.data)).toEqual([t1, t4]);
    await c2.request('thread/resume', { threadId: t.threadId });
    await textTurn({ c: c2, threadId: t.threadId }, 'question-five', 'answer-five');
    const after = lastInput();
    expect(after).toContain('question-one');
    expect(after).toContain('question-four');
    expect(after).not.toContain('question-two');
    expect(after).not.toContain('question-three');
  });

  it('refuses while a turn runs', async () => {
    const t = await persistedThread([]);
    const t1 = await textTurn(t, 'q1', 'a1');
    h.mock.enqueue({ output: [execCall('sleep 2', 'slow')] }, DONE_TURN);
    const run = runTurn(h, t, 'slow one');
    await t.c.waitForNotification('item/started', (p) => p.item.type === 'commandExecution');
    await expect(t.c.request('thread/revert', { threadId: t.threadId, beforeTurnId: t1 })).rejects.toMatchObject({
      error: { data: { code: 'turn_in_progress' } },
    });
    await run;
  });

  it('reverts an ephemeral thread in memory', async () => {
    const c = await h.start();
    const st = await c.request('thread/start', { cwd: h.workspace, ephemeral: true });
    const t: Thread = { c, threadId: st.thread.id };
    const t1 = await textTurn(t, 'eph-one', 'a1');
    const t2 = await textTurn(t, 'eph-two', 'a2');
    await c.request('thread/revert', { threadId: t.threadId, beforeTurnId: t2 });
    expect(turnIds((await c.request('thread/turns/list', { threadId: t.threadId })).data)).toEqual([t1]);
    await c.request('thread/revert/undo', { threadId: t.threadId });
    expect(turnIds((await c.request('thread/turns/list', { threadId: t.threadId, sortDirection: 'asc' })).data)).toEqual([t1, t2]);
    await textTurn(t, 'eph-three', 'a3');
    expect(lastInput()).toContain('eph-two');
  });
});

describe('thread/revert with restoreFiles', () => {
  function gitRepo(): void {
    execFileSync('git', ['init', '-q'], { cwd: h.workspace });
    writeFileSync(join(h.workspace, 'keep.txt'), 'original\n');
    writeFileSync(join(h.workspace, 'del.txt'), 'bye\n');
    writeFileSync(join(h.workspace, 'run.sh'), 'echo one\n');
    chmodSync(join(h.workspace, 'run.sh'), 0o755);
  }

  it('refuses to restore a file whose content before the turn was not kept, saying why, and reverts without restoreFiles', async () => {
    gitRepo();
    // Over the 16 MiB a before-image keeps.
    writeFileSync(join(h.workspace, 'big.txt'), `first line\n${'x'.repeat(17 * 1024 * 1024)}\n`);
    const t = await persistedThread();
    const t1 = await patchTurn(t, 'one', patchText('*** Update File: big.txt', '@@', '-first line', '+first line changed'));
    await expect(t.c.request('thread/revert', { threadId: t.threadId, beforeTurnId: t1, restoreFiles: true })).rejects.toMatchObject({
      error: { message: expect.stringMatching(new RegExp(`big\\.txt \\(its content before turn ${t1} was not kept: .*16 MiB`)) },
    });
    expect(turnIds((await t.c.request('thread/turns/list', { threadId: t.threadId })).data)).toEqual([t1]);
    await t.c.request('thread/revert', { threadId: t.threadId, beforeTurnId: t1 });
    expect(turnIds((await t.c.request('thread/turns/list', { threadId: t.threadId })).data)).toEqual([]);
    expect(read('big.txt').startsWith('first line changed\n')).toBe(true);
    // A 17 MiB file through apply_patch and the diff tracker: seconds alone, much longer on a loaded machine.
  }, 120_000);

  it('restores created, modified and deleted files, refuses conflicts, and is undoable (also after a restart)', async () => {
    gitRepo();
    const t = await persistedThread();
    const t1 = await patchTurn(t, 'one', patchText('*** Add File: base.txt', '+base'));
    const t2 = await patchTurn(
      t,
      'two',
      patchText(
        '*** Add File: sub/new.txt',
        '+new',
        '*** Update File: keep.txt',
        '@@',
        '-original',
        '+changed',
        '*** Delete File: del.txt',
        '*** Update File: run.sh',
        '@@',
        '-echo one',
        '+echo two',
      ),
    );
    await patchTurn(t, 'three', patchText('*** Update File: sub/new.txt', '@@', '-new', '+newer'));
    expect(read('sub/new.txt')).toBe('newer\n');

    // Someone else edits a file the turns changed: refused, nothing changes.
    writeFileSync(join(h.workspace, 'keep.txt'), 'edited by the user\n');
    await expect(t.c.request('thread/revert', { threadId: t.threadId, beforeTurnId: t2, restoreFiles: true })).rejects.toMatchObject({
      error: { data: { code: 'file_conflict' }, message: expect.stringContaining(join(h.workspace, 'keep.txt')) },
    });
    expect(read('sub/new.txt')).toBe('newer\n');
    expect(turnIds((await t.c.request('thread/turns/list', { threadId: t.threadId })).data)).toHaveLength(3);
    writeFileSync(join(h.workspace, 'keep.txt'), 'changed\n');

    await t.c.request('thread/revert', { threadId: t.threadId, beforeTurnId: t2, restoreFiles: true });
    expect(existsSync(join(h.workspace, 'sub/new.txt'))).toBe(false);
    expect(read('keep.txt')).toBe('original\n');
    expect(read('del.txt')).toBe('bye\n');
    expect(read('run.sh')).toBe('echo one\n');
    expect(statSync(join(h.workspace, 'run.sh')).mode & 0o777).toBe(0o755);
    expect(read('base.txt')).toBe('base\n');
    expect(execFileSync('git', ['status', '--porcelain'], { cwd: h.workspace, encoding: 'utf8' }).split('\n').sort()).toEqual(
      ['', '?? base.txt', '?? del.txt', '?? keep.txt', '?? run.sh'].sort(),
    );

    await t.c.request('thread/revert/undo', { threadId: t.threadId });
    expect(read('sub/new.txt')).toBe('newer\n');
    expect(read('keep.txt')).toBe('changed\n');
    expect(existsSync(join(h.workspace, 'del.txt'))).toBe(false);
    expect(read('run.sh')).toBe('echo two\n');
    expect(turnIds((await t.c.request('thread/turns/list', { threadId: t.threadId })).data)).toHaveLength(3);
    await t.c.close();

    // After a restart: the images are in the rollout; revert, then undo, again.
    const c2 = await h.start(NEVER_WW);
    await c2.request('thread/revert', { threadId: t.threadId, beforeTurnId: t2, restoreFiles: true });
    await c2.waitForNotification('thread/reverted', (p) => p.threadId === t.threadId);
    expect(existsSync(join(h.workspace, 'sub/new.txt'))).toBe(false);
    expect(read('keep.txt')).toBe('original\n');
    await c2.close();
    const c3 = await h.start(NEVER_WW);
    await c3.request('thread/revert/undo', { threadId: t.threadId });
    expect(read('keep.txt')).toBe('changed\n');
    expect(read('sub/new.txt')).toBe('newer\n');
    const r = await c3.request('thread/read', { threadId: t.threadId, includeTurns: true });
    expect(turnIds(r.thread.turns)[0]).toBe(t1);
    expect(r.thread.turns).toHaveLength(3);
  });

  it('never writes through a symlink the model planted after the turn', async () => {
    const outside = outsideDir();
    try {
      const victim = join(outside, 'bashrc');
      writeFileSync(victim, 'victim\n');
      mkdirSync(join(outside, 'dir'));
      writeFileSync(join(outside, 'dir', 'b.txt'), 'b\n');
      writeFileSync(join(h.workspace, 'a.txt'), 'a-original\n');
      const t = await persistedThread();
      const t1 = await patchTurn(t, 'one', patchText('*** Update File: a.txt', '@@', '-a-original', '+a-changed', '*** Add File: sub/b.txt', '+b'));
      // Turn 2 swaps the file for a link to a file outside, and the directory for a link outside.
      h.mock.enqueue({ output: [execCall(`rm a.txt && ln -s ${victim} a.txt && rm -r sub && ln -s ${join(outside, 'dir')} sub`, 'swap')] }, DONE_TURN);
      await runTurn(h, t, 'two');
      expect(lstatSync(join(h.workspace, 'a.txt')).isSymbolicLink()).toBe(true);

      const err = await t.c.request('thread/revert', { threadId: t.threadId, beforeTurnId: t1, restoreFiles: true }).catch((e: unknown) => e);
      expect(err).toMatchObject({ error: { data: { code: 'file_conflict' } } });
      const msg = (err as { error: { message: string } }).error.message;
      expect(msg).toContain(join(h.workspace, 'a.txt'));
      expect(msg).toContain(join(h.workspace, 'sub', 'b.txt'));
      expect(readFileSync(victim, 'utf8')).toBe('victim\n');
      expect(readFileSync(join(outside, 'dir', 'b.txt'), 'utf8')).toBe('b\n');
      expect(existsSync(join(outside, 'dir', 'b.txt'))).toBe(true);
      // History-only revert still works.
      await t.c.request('thread/revert', { threadId: t.threadId, beforeTurnId: t1 });
      expect(readFileSync(victim, 'utf8')).toBe('victim\n');
    } finally {
      rmrf(outside);
    }
  });
});

describe('paged history', () => {
  async function fiveTurns(c: DaemonClient): Promise<{ t: Thread; ids: string[] }> {
    const st = await c.request('thread/start', { cwd: h.workspace });
    const t: Thread = { c, threadId: st.thread.id };
    const ids: string[] = [];
    for (let i = 1; i <= 5; i++) ids.push(await textTurn(t, `q${i}`, `a${i}`));
    return { t, ids };
  }

  it('pages turns and items in both directions with stable cursors', async () => {
    const c = await h.start();
    const { t, ids } = await fiveTurns(c);
    const p1 = await c.request('thread/turns/list', { threadId: t.threadId, limit: 2 });
    expect(turnIds(p1.data)).toEqual([ids[4], ids[3]]);
    expect(p1.data[0].items.map((i: { type: string }) => i.type)).toEqual(['agentMessage']);
    const p2 = await c.request('thread/turns/list', { threadId: t.threadId, limit: 2, cursor: p1.nextCursor });
    expect(turnIds(p2.data)).toEqual([ids[2], ids[1]]);
    // A new turn does not shift an existing cursor.
    const p3 = await c.request('thread/turns/list', { threadId: t.threadId, limit: 2, cursor: p2.nextCursor });
    expect(turnIds(p3.data)).toEqual([ids[0]]);
    expect(p3.nextCursor ?? null).toBeNull();
    const fwd = await c.request('thread/turns/list', { threadId: t.threadId, sortDirection: 'asc', cursor: p2.backwardsCursor, itemsView: 'full' });
    expect(turnIds(fwd.data)).toEqual([ids[2], ids[3], ids[4]]);
    expect(fwd.data[0].items.map((i: { type: string }) => i.type)).toEqual(['userMessage', 'agentMessage']);

    const i1 = await c.request('thread/items/list', { threadId: t.threadId, limit: 3, sortDirection: 'desc' });
    expect(i1.data.map((e: { turnId: string }) => e.turnId)).toEqual([ids[4], ids[4], ids[3]]);
    expect(i1.data[0].item.type).toBe('agentMessage');
    const i2 = await c.request('thread/items/list', { threadId: t.threadId, limit: 3, sortDirection: 'desc', cursor: i1.nextCursor });
    expect(i2.data.map((e: { turnId: string }) => e.turnId)).toEqual([ids[3], ids[2], ids[2]]);
    const all = await c.request('thread/items/list', { threadId: t.threadId, limit: 100 });
    expect(all.data).toHaveLength(10);
    expect(all.nextCursor ?? null).toBeNull();
    const inTurn = await c.request('thread/items/list', { threadId: t.threadId, turnId: ids[1] });
    expect(inTurn.data.map((e: { item: { type: string } }) => e.item.type)).toEqual(['userMessage', 'agentMessage']);
    const afterFirst = await c.request('thread/items/list', { threadId: t.threadId, turnId: ids[1], cursor: { type: 'item', itemId: inTurn.data[0].item.id } });
    expect(afterFirst.data.map((e: { item: { id: string } }) => e.item.id)).toEqual([inTurn.data[1].item.id]);

    await expect(c.request('thread/turns/list', { threadId: t.threadId, cursor: 'garbage' })).rejects.toMatchObject({ error: { code: -32602 } });
    // Revert: the reference's backwards cursors hydrate what is left.
    const rev = await c.request('thread/revert', { threadId: t.threadId, beforeTurnId: ids[3] });
    const items = await c.request('thread/items/list', { threadId: t.threadId, sortDirection: 'desc', cursor: rev.itemsBackwardsCursor, limit: 2 });
    expect(items.data.map((e: { turnId: string }) => e.turnId)).toEqual([ids[2], ids[2]]);
    expect(items.data[0].item.type).toBe('agentMessage');
    // A cursor into the reverted turns is refused, not silently restarted.
    await expect(c.request('thread/turns/list', { threadId: t.threadId, cursor: p1.nextCursor })).rejects.toMatchObject({ error: { code: -32602 } });
  });

  it('pages items of a thread that is not loaded (read through the rollout index) exactly as of the loaded thread', async () => {
    const c = await h.start();
    const { t, ids } = await fiveTurns(c);
    type Page = { data: { turnId: string; item: { id: string } }[]; nextCursor?: string | null; backwardsCursor?: string | null };
    /** Every page, following nextCursor, in both directions and with a turn filter. */
    const walk = async (): Promise<unknown[]> => {
      const out: unknown[] = [];
      for (const sortDirection of ['asc', 'desc'] as const) {
        let cursor: string | null | undefined;
        do {
          const p: Page = await c.request('thread/items/list', { threadId: t.threadId, limit: 3, sortDirection, ...(cursor ? { cursor } : {}) });
          out.push(p);
          cursor = p.nextCursor;
        } while (cursor);
      }
      out.push(await c.request('thread/items/list', { threadId: t.threadId, turnId: ids[2], limit: 1 }));
      return out;
    };
    const unload = async () => {
      expect((await c.request('thread/unsubscribe', { threadId: t.threadId })).status).toBe('unsubscribed');
      expect((await c.request('thread/loaded/list', {})).data).not.toContain(t.threadId);
    };
    const loaded = await walk();
    expect(loaded.length).toBeGreaterThan(4);
    await unload();
    const indexFile = join(h.home, 'history-index', `${t.threadId}.json`);
    expect(existsSync(indexFile)).toBe(false);
    expect(await walk()).toEqual(loaded);
    expect(existsSync(indexFile)).toBe(true);
    // A cursor of the loaded thread keeps working on the stored one, and a bad one is refused the same way.
    const first = loaded[0] as Page;
    const next = await c.request('thread/items/list', { threadId: t.threadId, limit: 3, sortDirection: 'asc', cursor: first.nextCursor });
    expect(next).toEqual(loaded[1]);
    await expect(c.request('thread/items/list', { threadId: t.threadId, turnId: 'no-such-turn' })).rejects.toMatchObject({ error: { code: -32602 } });

    // After more turns and a revert (appended to the rollout since the index was built), still the same.
    await c.request('thread/resume', { threadId: t.threadId });
    await textTurn(t, 'q6', 'a6');
    await c.request('thread/revert', { threadId: t.threadId, beforeTurnId: ids[3] });
    const afterRevert = await walk();
    await unload();
    expect(await walk()).toEqual(afterRevert);
    expect(JSON.stringify(afterRevert)).not.toContain(ids[3]);
  });
});
