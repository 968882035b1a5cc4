import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { agentdBin } from '../../src/client/daemon-client.js';

describe('agentd demo', () => {
  it('runs a whole turn offline: command and patch approved, diff and usage printed', async () => {
    const child = spawn(process.execPath, [agentdBin(), 'demo'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (t: string) => (out += t));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code).toBe(0);
    expect(out).toMatch(/approval requested to run `mkdir -p notes && ls && cat hello.txt` → accept/);
    expect(out).toMatch(/command `mkdir -p notes && ls && cat hello.txt` → completed \(exit 0/);
    expect(out).toMatch(/approval requested to apply a patch → accept/);
    expect(out).toContain('+Have a wonderful day.');
    expect(out).toContain('new file mode 100644');
    expect(out).toMatch(/turn completed in \d+ ms/);
    expect(out).toMatch(/tokens: 3870 total/);
  });
});
