import { chmod, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { probeSandbox, resetSandboxProbe } from '../../../../src/tools/sandbox/probe.js';
import { tempDir } from '../shell/helpers.js';

/** The probe runs bwrap with `process.env`: these tests point PATH at a stand-in, then restore it. */
describe('probeSandbox', () => {
  const savedPath = process.env.PATH;
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeEach(async () => {
    ({ dir, cleanup } = await tempDir('agentd-probe-'));
    resetSandboxProbe();
  });
  afterEach(async () => {
    process.env.PATH = savedPath;
    resetSandboxProbe();
    await cleanup();
  });

  /** A `bwrap` on PATH that fails when given `flag` and runs the real one otherwise. */
  async function bwrapRefusing(flag: string): Promise<void> {
    const bin = path.join(dir, 'bin');
    await mkdir(bin);
    const script = `#!/bin/sh\nfor a in "$@"; do [ "$a" = ${flag} ] && { echo "bwrap: ${flag} is not allowed here" >&2; exit 1; }; done\nPATH=${savedPath} exec bwrap "$@"\n`;
    await writeFile(path.join(bin, 'bwrap'), script);
    await chmod(path.join(bin, 'bwrap'), 0o755);
    process.env.PATH = `${bin}:${savedPath}`;
  }

  it('reports a working sandbox and a contained full access here', async () => {
    expect(await probeSandbox()).toEqual({ available: true, containsFullAccess: true });
  });

  it('reports bwrap missing when it is not on PATH', async () => {
    process.env.PATH = dir;
    const p = await probeSandbox();
    expect(p.available).toBe(false);
    expect(p.containsFullAccess).toBe(false);
    expect(p.reason).toMatch(/bubblewrap \(bwrap\) is not installed/);
  });

  it.each(['--unshare-user', '--seccomp', '--cap-drop', '--unshare-uts'])(
    'tests the arguments real commands get: a bwrap refusing %s makes the sandbox unavailable',
    async (flag) => {
      await bwrapRefusing(flag);
      const p = await probeSandbox();
      expect(p.available).toBe(false);
      expect(p.reason).toContain(`${flag} is not allowed here`);
    },
  );

  it('a bwrap before 0.8, which does not know --disable-userns, still sandboxes, without that option', async () => {
    await bwrapRefusing('--disable-userns');
    expect(await probeSandbox()).toEqual({ available: true, containsFullAccess: true, nestedUserns: true });
  });

  it('a bwrap refusing full-access containment leaves the restricted sandbox available', async () => {
    await bwrapRefusing('--dev-bind');
    expect(await probeSandbox()).toEqual({ available: true, containsFullAccess: false });
  });
});
