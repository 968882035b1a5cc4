import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync, chmodSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { decideWrite } from '../../../../src/tools/apply-patch/handler.js';
import { checkPatchPaths } from '../../../../src/tools/apply-patch/paths.js';
import { planPatch } from '../../../../src/tools/apply-patch/plan.js';
import { commitPatchSandboxed, writerPolicy } from '../../../../src/tools/apply-patch/sandboxed-commit.js';
import type { SandboxPolicy } from '../../../../src/tools/types.js';

const ws: SandboxPolicy = { type: 'workspaceWrite', writableRoots: [], networkAccess: false, excludeSlashTmp: true, excludeTmpdirEnvVar: true };

let work: string;
let outside: string;
beforeEach(() => {
  work = mkdtempSync(path.join(os.tmpdir(), 'sandboxed-commit-'));
  outside = mkdtempSync('/var/tmp/sandboxed-commit-out-');
});
afterEach(() => {
  rmSync(work, { recursive: true, force: true });
  rmSync(outside, { recursive: true, force: true });
});

describe('commitPatchSandboxed', () => {
  it('refuses a write redirected outside the roots after the path check, writing nothing there', async () => {
    mkdirSync(path.join(work, 'd'));
    const plan = await planPatch('*** Begin Patch\n*** Add File: ok.txt\n+fine\n*** Add File: d/x.txt\n+planted\n*** End Patch\n', work);
    expect(checkPatchPaths(plan, ws, work)).toEqual({ ok: true });
    // The swap happens between the check and the write.
    rmSync(path.join(work, 'd'), { recursive: true });
    symlinkSync(outside, path.join(work, 'd'));
    await expect(commitPatchSandboxed(plan, { policy: ws, cwd: work, grants: [], targets: {} })).rejects.toThrow(/sandbox refused to write .*d\/x\.txt/);
    expect(readdirSync(outside)).toEqual([]);
    // Steps before the failure stay written, as with the in-process commit.
    expect(readFileSync(path.join(work, 'ok.txt'), 'utf8')).toBe('fine\n');
  });

  it('applies adds, updates, moves and deletes with their modes and leaves no temp files', async () => {
    writeFileSync(path.join(work, 'run.sh'), 'one\n');
    chmodSync(path.join(work, 'run.sh'), 0o750);
    writeFileSync(path.join(work, 'gone.txt'), 'bye\n');
    const plan = await planPatch(
      '*** Begin Patch\n*** Update File: run.sh\n*** Move to: bin/run.sh\n@@\n-one\n+two\n*** Delete File: gone.txt\n*** Add File: a/b/c.txt\n+c\n*** End Patch\n',
      work,
    );
    await commitPatchSandboxed(plan, { policy: ws, cwd: work, grants: [], targets: {} });
    expect(readFileSync(path.join(work, 'bin/run.sh'), 'utf8')).toBe('two\n');
    expect(statSync(path.join(work, 'bin/run.sh')).mode & 0o777).toBe(0o750);
    expect(existsSync(path.join(work, 'run.sh'))).toBe(false);
    expect(existsSync(path.join(work, 'gone.txt'))).toBe(false);
    expect(readFileSync(path.join(work, 'a/b/c.txt'), 'utf8')).toBe('c\n');
    expect(readdirSync(work).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('writes an approved outside path through its grant, and only there', async () => {
    const plan = await planPatch(`*** Begin Patch\n*** Add File: ${outside}/ok.txt\n+yes\n*** End Patch\n`, work);
    const check = checkPatchPaths(plan, ws, work);
    expect(check.ok).toBe(false);
    const grants = check.ok ? [] : check.grants;
    const targets = check.ok ? {} : check.targets;
    expect(grants).toEqual([outside]);
    await expect(commitPatchSandboxed(plan, { policy: ws, cwd: work, grants: [], targets: {} })).rejects.toThrow(/sandbox refused/);
    await commitPatchSandboxed(plan, { policy: ws, cwd: work, grants, targets });
    expect(readFileSync(path.join(outside, 'ok.txt'), 'utf8')).toBe('yes\n');
  });

  it('lets only the approved steps use the grant: a workspace step swapped into the granted directory is refused', async () => {
    writeFileSync(path.join(work, 'x'), 'hello\n');
    writeFileSync(path.join(outside, 'victim'), 'original\n');
    const plan = await planPatch(`*** Begin Patch\n*** Add File: ${outside}/ok.txt\n+yes\n*** Update File: x\n@@\n+PWNED\n*** End Patch\n`, work);
    const check = checkPatchPaths(plan, ws, work);
    if (check.ok) throw new Error('expected the outside path to need approval');
    // After the check (while the user decides), x becomes a symlink into the approved directory.
    rmSync(path.join(work, 'x'));
    symlinkSync(path.join(outside, 'victim'), path.join(work, 'x'));
    await expect(commitPatchSandboxed(plan, { policy: ws, cwd: work, grants: check.grants, targets: check.targets })).rejects.toThrow(/sandbox refused/);
    expect(readFileSync(path.join(outside, 'ok.txt'), 'utf8')).toBe('yes\n');
    expect(readFileSync(path.join(outside, 'victim'), 'utf8')).toBe('original\n');
  });
});

describe('writerPolicy', () => {
  it('gives a read-only thread exactly the approved directories, never network', () => {
    expect(writerPolicy({ policy: { type: 'readOnly', networkAccess: true }, cwd: work, grants: ['/a', '/b'] })).toEqual({
      policy: { type: 'workspaceWrite', writableRoots: ['/b'], networkAccess: false, excludeSlashTmp: true, excludeTmpdirEnvVar: true },
      cwd: '/a',
    });
    expect(writerPolicy({ policy: { ...ws, networkAccess: true }, cwd: work, grants: ['/a'] })).toEqual({
      policy: { ...ws, networkAccess: false, writableRoots: ['/a'] },
      cwd: work,
    });
  });
});

describe('decideWrite', () => {
  const apply = { action: 'apply' } as const;
  const ask = { action: 'ask', reason: 'outside', grantRoot: '/x' } as const;
  it('writes sandboxed when the sandbox works, in-process under full access', () => {
    expect(decideWrite(apply, { needed: true, available: true }, 'never', 'c')).toMatchObject({ action: 'apply', sandboxed: true });
    expect(decideWrite(apply, { needed: false }, 'never', 'c')).toMatchObject({ action: 'apply', sandboxed: false });
  });
  it('never writes unsandboxed silently when the sandbox cannot start', () => {
    expect(decideWrite(apply, { needed: true, available: false, reason: 'no bwrap' }, 'never', 'c')).toMatchObject({ action: 'refuse' });
    const d = decideWrite(ask, { needed: true, available: false, reason: 'no bwrap' }, 'on-request', 'c');
    expect(d).toMatchObject({ action: 'ask', sandboxed: false, sessionKeys: ['apply_patch-unsandboxed:c'] });
    expect(d.action === 'ask' && d.reason).toMatch(/no bwrap.*without a sandbox.*outside/);
  });
});
