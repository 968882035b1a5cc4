import { existsSync, mkdirSync, readFileSync, readdirSync, watch } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createHarness, startTurn, turnCompleted, type Harness } from '../support/harness.js';
import { patchCall, patchText, pidsMentioning, pollUntil, rand, DONE_TURN, NEVER_WW } from '../support/tool-turns.js';

let h: Harness;
beforeEach(async () => {
  h = await createHarness();
});
afterEach(async () => {
  await h.cleanup();
});

/**
 * Calls `kill` as soon as an entry `pred` accepts appears in `dir` and resolves with its name;
 * rejects (without killing) after `ms`.
 */
function killOnFirstEntry(dir: string, pred: (name: string) => boolean, kill: () => void, ms: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let done = false;
    const stop = () => {
      done = true;
      watcher.close();
      clearInterval(poll);
      clearTimeout(timer);
    };
    const look = () => {
      if (done) return;
      const hit = readdirSync(dir).find(pred);
      if (hit === undefined) return;
      kill();
      stop();
      resolve(hit);
    };
    const watcher = watch(dir, look);
    const poll = setInterval(look, 2);
    const timer = setTimeout(() => {
      stop();
      reject(new Error(`nothing appeared in ${dir} within ${ms} ms`));
    }, ms);
  });
}

const FILES = 1000;
/** A few lines of distinct text per file (small, so the test reacts faster than the writer). */
const body = (i: number) => Array.from({ length: 8 }, (_, k) => `+file ${i} line ${k}`);
const content = (i: number) => body(i).map((l) => l.slice(1)).join('\n') + '\n';

describe('a daemon killed in the middle of a patch', () => {
  it('leaves a record of the patch: the resumed thread shows it did not complete and the model is told so', async () => {
    const c1 = await h.start(NEVER_WW);
    const t = await c1.request('thread/start', { cwd: h.workspace });
    const threadId = t.thread.id as string;
    const rollout = t.thread.path as string;
    const dir = `big-${rand()}`;
    mkdirSync(join(h.workspace, dir));
    const lines = Array.from({ length: FILES }, (_, i) => [`*** Add File: ${dir}/f${i}.txt`, ...body(i)]).flat();
    h.mock.enqueue({ output: [patchCall(patchText(...lines), 'crash-patch')] });

    // Kill the daemon the moment its first whole file lands, in the middle of the writes (from
    // the watch callback itself, so nothing else the test does can delay it).
    const killedAt = killOnFirstEntry(join(h.workspace, dir), (f) => !f.endsWith('.tmp'), () => c1.child.kill('SIGKILL'), 20_000);
    const turnId = await startTurn(c1, threadId, 'write a thousand files');
    expect(await killedAt).toMatch(/^f\d+\.txt$/);
    expect(await c1.kill('SIGKILL')).toEqual({ code: null, signal: 'SIGKILL' });
    // The writer's sandbox (a bwrap bound to the workspace) dies with the daemon, a moment later:
    // once it is gone nothing can write any more.
    expect(await pollUntil(() => pidsMentioning(h.workspace).length === 0, 5000)).toBe(true);

    const stored = readFileSync(rollout, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
    const started = stored.find((l) => l.type === 'item_started' && l.item.id === 'crash-patch');
    expect(started.item).toMatchObject({ type: 'fileChange', status: 'inProgress' });
    expect(started.item.changes).toHaveLength(FILES);
    // The kill landed before the patch completed (else this run proves nothing).
    expect(stored.some((l) => l.type === 'item_completed' && l.item.id === 'crash-patch')).toBe(false);

    // Whatever was written is whole (atomic per file), never a torn file.
    const written = () => readdirSync(join(h.workspace, dir)).filter((f) => !f.endsWith('.tmp'));
    const onDisk = written();
    expect(onDisk.length).toBeGreaterThan(0);
    expect(onDisk.length).toBeLessThanOrEqual(FILES);
    for (const f of onDisk) expect(readFileSync(join(h.workspace, dir, f), 'utf8')).toBe(content(Number(f.slice(1, -4))));

    const c2 = await h.start(NEVER_WW);
    const read = await c2.request('thread/read', { threadId, includeTurns: true });
    const turn = read.thread.turns.find((x: { id: string }) => x.id === turnId);
    expect(turn.status).toBe('interrupted');
    const item = turn.items.find((i: { id: string }) => i.id === 'crash-patch');
    expect(item).toMatchObject({ type: 'fileChange', status: 'failed' });
    expect(item.changes).toHaveLength(FILES);
    expect(item.changes[0]).toMatchObject({ path: join(h.workspace, dir, 'f0.txt'), kind: { type: 'add' } });
    // Nothing kept writing after the daemon died: the disk is as the record left it.
    expect(written()).toEqual(onDisk);

    // Resumed, the thread reads back the same, and the model sees the call answered.
    const resumed = await c2.request('thread/resume', { threadId });
    const again = resumed.thread.turns.find((x: { id: string }) => x.id === turnId);
    expect(again.items.find((i: { id: string }) => i.id === 'crash-patch')).toEqual(item);
    h.mock.enqueue(DONE_TURN);
    const n = h.mock.requests.length;
    const next = await startTurn(c2, threadId, 'what happened?');
    expect((await turnCompleted(c2, next)).status).toBe('completed');
    const input = h.mock.requests[n]!.body.input as { type: string; call_id?: string; output?: string }[];
    const calls = input.filter((i) => i.type === 'custom_tool_call' || i.type === 'function_call').map((i) => i.call_id);
    const outputs = input.filter((i) => i.type === 'custom_tool_call_output' || i.type === 'function_call_output');
    expect(calls).toContain('crash-patch');
    for (const id of calls) expect(outputs.filter((o) => o.call_id === id)).toHaveLength(1);
    const answer = outputs.find((o) => o.call_id === 'crash-patch')!;
    expect(answer.type).toBe('custom_tool_call_output');
    expect(answer.output).toMatch(/stopped while applying this patch.*partly written/);
    // Each output follows its call.
    expect(input.findIndex((i) => i === answer)).toBeGreaterThan(input.findIndex((i) => i.call_id === 'crash-patch'));
    await c2.close();
    expect(existsSync(rollout)).toBe(true);
  });
});
