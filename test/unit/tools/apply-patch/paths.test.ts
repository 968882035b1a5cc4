import { realpathSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, symlink, unlink, writeFile, readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { checkPatchPaths } from '../../../../src/tools/apply-patch/paths.js';
import { planPatch } from '../../../../src/tools/apply-patch/plan.js';
import type { SandboxPolicy } from '../../../../src/tools/types.js';

let base: string;
let work: string;
let outside: string;
beforeEach(async () => {
  base = await mkdtemp(path.join(os.tmpdir(), 'apply-patch-paths-'));
  work = path.join(base, 'work');
  outside = path.join(base, 'outside');
  await mkdir(work);
  await mkdir(outside);
  await writeFile(path.join(outside, 'secret.txt'), 'secret\n');
});
afterEach(async () => {
  await rm(base, { recursive: true, force: true });
});

const workspace = (writableRoots: string[] = []): SandboxPolicy => ({
  type: 'workspaceWrite',
  writableRoots,
  networkAccess: false,
  excludeTmpdirEnvVar: true,
  excludeSlashTmp: true,
});
const addPatch = (p: string): string => `*** Begin Patch\n*** Add File: ${p}\n+pwned\n*** End Patch`;

async function check(text: string, policy: SandboxPolicy = workspace()) {
  return checkPatchPaths(await planPatch(text, work), policy, work);
}

async function expectNothingWritten(): Promise<void> {
  expect(await readdir(outside)).toEqual(['secret.txt']);
  expect(await readFile(path.join(outside, 'secret.txt'), 'utf8')).toBe('secret\n');
}

describe('checkPatchPaths', () => {
  it('refuses an update whose content was read through a symlink to the outside, even once the symlink is gone', async () => {
    await symlink(path.join(outside, 'secret.txt'), path.join(work, 'a'));
    const plan = await planPatch('*** Begin Patch\n*** Update File: a\n@@\n+tail\n*** End Patch', work);
    expect(plan.files[0]!.readFrom).toBe(realpathSync(path.join(outside, 'secret.txt')));
    // The swap a hostile command makes between the read and the check: now a plain file.
    await unlink(path.join(work, 'a'));
    await writeFile(path.join(work, 'a'), '');
    const result = checkPatchPaths(plan, workspace(), work);
    expect(result).toMatchObject({ ok: false, paths: [realpathSync(path.join(outside, 'secret.txt'))] });
  });

  it('allows paths inside the workspace, including new nested directories', async () => {
    expect(await check(addPatch('a/b/c.txt'))).toEqual({ ok: true });
    expect(await check(addPatch('a/../d.txt'))).toEqual({ ok: true });
  });

  it('refuses a ../ traversal out of the workspace', async () => {
    const result = await check(addPatch('../outside/x.txt'));
    expect(result).toMatchObject({ ok: false, paths: [path.join(outside, 'x.txt')] });
    if (!result.ok) expect(result.reason).toContain('outside the writable roots');
    await expectNothingWritten();
  });

  it('refuses an absolute path outside the workspace', async () => {
    expect(await check(addPatch(path.join(outside, 'y.txt')))).toMatchObject({ ok: false });
    await expectNothingWritten();
  });

  it('refuses writing through a symlinked directory that points outside', async () => {
    await symlink(outside, path.join(work, 'link'));
    expect(await check(addPatch('link/new.txt'))).toMatchObject({ ok: false, paths: [path.join(work, 'link/new.txt')] });
    expect(await check(addPatch('link/deeper/new.txt'))).toMatchObject({ ok: false });
    await expectNothingWritten();
  });

  it('refuses updating or deleting a symlinked file that points outside', async () => {
    await symlink(path.join(outside, 'secret.txt'), path.join(work, 'innocent.txt'));
    const update = '*** Begin Patch\n*** Update File: innocent.txt\n@@\n-secret\n+pwned\n*** End Patch';
    expect(await check(update)).toMatchObject({ ok: false });
    expect(await check('*** Begin Patch\n*** Delete File: innocent.txt\n*** End Patch')).toMatchObject({ ok: false });
    await expectNothingWritten();
  });

  it('refuses a dangling symlink', async () => {
    await symlink(path.join(outside, 'nothing-yet.txt'), path.join(work, 'dangling.txt'));
    expect(await check(addPatch('dangling.txt'))).toMatchObject({ ok: false });
    await expectNothingWritten();
  });

  it('refuses a move whose destination is outside', async () => {
    await writeFile(path.join(work, 'm.txt'), 'x\n');
    const move = `*** Begin Patch\n*** Update File: m.txt\n*** Move to: ../outside/m.txt\n@@\n-x\n+y\n*** End Patch`;
    expect(await check(move)).toMatchObject({ ok: false, paths: [path.join(outside, 'm.txt')] });
  });

  it('allows extra writable roots, everything under dangerFullAccess and nothing under readOnly', async () => {
    expect(await check(addPatch('../outside/x.txt'), workspace([outside]))).toEqual({ ok: true });
    expect(await check(addPatch('../outside/x.txt'), { type: 'dangerFullAccess' })).toEqual({ ok: true });
    expect(await check(addPatch('inside.txt'), { type: 'readOnly' })).toMatchObject({
      ok: false,
      paths: [path.join(work, 'inside.txt')],
    });
  });

  it('treats /tmp as writable unless the policy excludes it', async () => {
    const policy: SandboxPolicy = { ...workspace(), excludeSlashTmp: false } as SandboxPolicy;
    expect(await check(addPatch('/tmp/agentd-apply-patch-check.txt'), policy)).toEqual({ ok: true });
    expect(await check(addPatch('/tmp/agentd-apply-patch-check.txt'))).toMatchObject({ ok: false });
  });
});
