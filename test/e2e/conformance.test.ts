import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const run = promisify(execFile);

interface Report {
  results: { id: string; status: string; error?: string; notes: string[] }[];
  passed: number;
  failed: number;
}

describe('agentd conformance', () => {
  it('passes every scenario against agentd itself, each message checked against schema/', async () => {
    const { stdout } = await run(process.execPath, ['bin/agentd', 'conformance', '--server', 'bin/agentd app-server', '--json'], {
      cwd: root,
      maxBuffer: 16 << 20,
    }).catch((err: { stdout?: string }) => ({ stdout: err.stdout ?? '' }));
    const report = JSON.parse(stdout) as Report;
    const failed = report.results.filter((r) => r.status !== 'PASS').map((r) => `${r.id}: ${r.error}`);
    expect(failed).toEqual([]);
    const ids = report.results.map((r) => r.id);
    for (const id of ['handshake', 'errors', 'malformed-input', 'threads', 'text-turn', 'interrupt', 'approvals', 'apply-patch', 'persistence', 'model-faults', 'sandbox', 'compaction', 'review', 'schema']) {
      expect(ids).toContain(id);
    }
    const schema = report.results.find((r) => r.id === 'schema')!;
    // agentd sends nothing its own schema does not declare, and many messages were checked.
    expect(schema.notes.some((n) => n.startsWith('methods outside schema/'))).toBe(false);
    expect(Number(/^(\d+) messages checked/.exec(schema.notes[0]!)![1])).toBeGreaterThan(100);
  }, 180_000);

  it('fails a server that breaks the contract, and says which scenario', async () => {
    // A "server" that answers every request with a result of the wrong shape.
    const fake = `${process.execPath} -e "require('readline').createInterface({input:process.stdin}).on('line',l=>{const m=JSON.parse(l);if(m.id!==undefined)process.stdout.write(JSON.stringify({jsonrpc:'2.0',id:m.id,result:{userAgent:7}})+'\\\\n')})"`;
    const r = await run(process.execPath, ['bin/agentd', 'conformance', '--server', fake, '--only', 'handshake', '--json'], { cwd: root }).then(
      (x) => ({ code: 0, stdout: x.stdout }),
      (err: { code?: number; stdout?: string }) => ({ code: err.code, stdout: err.stdout ?? '' }),
    );
    expect(r.code).toBe(1);
    const report = JSON.parse(r.stdout) as Report;
    expect(report.results.find((x) => x.id === 'handshake')!.status).toBe('FAIL');
    const schema = report.results.find((x) => x.id === 'schema')!;
    expect(schema.status).toBe('FAIL');
    expect(schema.error).toMatch(/result of (thread\/list|initialize)/);
  }, 60_000);
});
