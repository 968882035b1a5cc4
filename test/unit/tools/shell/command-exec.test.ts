import { describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { execStandalone, SandboxUnavailableError } from '../../../../src/tools/shell/command-exec.js';
import { tempDir } from './helpers.js';

describe('execStandalone', () => {
  it('runs a command and returns exit code and both streams', async () => {
    const r = await execStandalone({ command: ['bash', '-c', 'echo out; echo err >&2; exit 2'], cwd: '/', sandboxPolicy: { type: 'dangerFullAccess' } });
    expect(r).toEqual({ exitCode: 2, stdout: 'out\n', stderr: 'err\n' });
  });

  it('sandboxes per policy', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      const r = await execStandalone({ command: ['touch', 'x'], cwd: dir, sandboxPolicy: { type: 'readOnly' } });
      expect(r.exitCode).not.toBe(0);
      expect(existsSync(path.join(dir, 'x'))).toBe(false);
    } finally {
      await cleanup();
    }
  });

  it('reports a timeout as exit code 124', async () => {
    const r = await execStandalone({ command: ['sleep', '1000'], cwd: '/', sandboxPolicy: { type: 'dangerFullAccess' }, timeoutMs: 200 });
    expect(r.exitCode).toBe(124);
  });

  it('throws a clear error when the sandbox is needed but unavailable', async () => {
    await expect(
      execStandalone({ command: ['ls'], cwd: '/', sandboxPolicy: { type: 'readOnly' }, probe: async () => ({ available: false, reason: 'no bwrap' }) }),
    ).rejects.toThrow(SandboxUnavailableError);
  });
});
