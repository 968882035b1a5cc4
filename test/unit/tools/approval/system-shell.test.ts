import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { resolveOnPath } from '../../../../src/tools/approval/system-shell.js';

describe('resolveOnPath', () => {
  let dir = '';
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('finds the first match on the PATH', () => {
    dir = mkdtempSync(path.join(tmpdir(), 'agentd-path-'));
    mkdirSync(path.join(dir, 'a'));
    mkdirSync(path.join(dir, 'b'));
    writeFileSync(path.join(dir, 'b', 'bash'), '');
    expect(resolveOnPath('bash', `${dir}/a:${dir}/b`)).toBe(path.join(dir, 'b', 'bash'));
  });

  it('gives up at a relative entry, which depends on the working directory', () => {
    expect(resolveOnPath('bash', `.:/usr/bin:/bin`)).toBeNull();
    expect(resolveOnPath('bash', `:/usr/bin:/bin`)).toBeNull();
  });

  it('finds the system bash on this machine', () => {
    expect(['/usr/bin/bash', '/bin/bash']).toContain(resolveOnPath('bash', '/usr/bin:/bin'));
  });
});
