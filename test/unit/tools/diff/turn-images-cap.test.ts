import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MAX_SNAPSHOT_BYTES } from '../../../../src/tools/diff/restore-files.js';
import { TurnDiffTrackerImpl } from '../../../../src/tools/diff/turn-diff-tracker.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'agentd-images-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('before-images of a turn', () => {
  it('keeps images up to a total per turn and says why the others were not kept', async () => {
    const files = ['a.txt', 'b.txt', 'c.txt'].map((n) => path.join(dir, n));
    for (const f of files) await writeFile(f, 'x'.repeat(1000));
    const t = new TurnDiffTrackerImpl(dir);
    await t.onBeforeChange(files);
    for (const f of files) await writeFile(f, 'changed');
    const changes = await t.fileChanges(2500);
    expect(changes.map((c) => [path.basename(c.path), c.before?.content.length ?? null, c.notKept ?? null])).toEqual([
      ['a.txt', 1000, null],
      ['b.txt', 1000, null],
      ['c.txt', null, expect.stringContaining('passed')],
    ]);
  });

  it('reports a file too big to keep as changed, not kept, instead of leaving it out', async () => {
    const big = path.join(dir, 'big.bin');
    await writeFile(big, Buffer.alloc(MAX_SNAPSHOT_BYTES + 1));
    const t = new TurnDiffTrackerImpl(dir);
    await t.onBeforeChange([big]);
    await writeFile(big, 'small now');
    const [c, ...rest] = await t.fileChanges();
    expect(rest).toEqual([]);
    expect(c).toMatchObject({ path: big, before: null, notKept: expect.stringContaining('16 MiB') });
  });
});
