import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ts from 'typescript';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RolloutRecorder } from '../../../src/store/rollout-recorder.js';

let dir: string;
let child: ChildProcess | null = null;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'agentd-recorder-'));
});
afterEach(() => {
  // Never leave a writer running, whatever happened in the test.
  if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  child = null;
  rmSync(dir, { recursive: true, force: true });
});

/** The recorder and the store modules it imports, as plain ESM JavaScript a bare `node` child can import. */
function compileRecorder(): string {
  for (const name of ['rollout-recorder', 'errors', 'private-files']) {
    const source = readFileSync(new URL(`../../../src/store/${name}.ts`, import.meta.url), 'utf8');
    const out = ts.transpileModule(source, {
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, verbatimModuleSyntax: true },
    });
    writeFileSync(join(dir, `${name}.mjs`), out.outputText.replace(/from '\.\/([\w-]+)\.js'/g, "from './$1.mjs'"));
  }
  return join(dir, 'rollout-recorder.mjs');
}

describe('RolloutRecorder', () => {
  it('has every line append returned for in the file after a kill -9', async () => {
    const recorderJs = compileRecorder();
    const rollout = join(dir, 'sessions', 'rollout.jsonl');
    const script = join(dir, 'child.mjs');
    writeFileSync(
      script,
      `import { writeSync } from 'node:fs';
import { RolloutRecorder } from ${JSON.stringify(recorderJs)};
const rec = RolloutRecorder.create(${JSON.stringify(rollout)});
// Bounded, and the acks are synchronous writes: a vanished parent means EPIPE and death.
for (let i = 0; i < 1_000_000; i++) {
  rec.append({ ts: i, type: 'settings', settings: { i, pad: 'x'.repeat(i % 500) } });
  // Acknowledge only after append returned; the parent may kill us at any instant after this.
  writeSync(1, i + '\\n');
}
`,
    );

    const proc = spawn(process.execPath, [script], { stdio: ['ignore', 'pipe', 'inherit'] });
    child = proc;
    let acked = -1;
    let buffered = '';
    const exited = new Promise<NodeJS.Signals | null>((resolve) => proc.on('exit', (_code, signal) => resolve(signal)));
    proc.stdout.setEncoding('utf8');
    proc.stdout.on('data', (chunk: string) => {
      buffered += chunk;
      const parts = buffered.split('\n');
      buffered = parts.pop()!;
      for (const p of parts) acked = Number(p);
      if (acked >= 2000 && proc.exitCode === null && !proc.killed) proc.kill('SIGKILL');
    });
    expect(await exited).toBe('SIGKILL');
    expect(acked).toBeGreaterThanOrEqual(2000);

    const lines = readFileSync(rollout, 'utf8').split('\n');
    expect(lines.pop()).toBe('');
    const seen = lines.map((l) => (JSON.parse(l) as { settings: { i: number } }).settings.i);
    expect(seen.length).toBeGreaterThan(acked);
    expect(seen.slice(0, acked + 1)).toEqual(Array.from({ length: acked + 1 }, (_, i) => i));
  });

  it('makes each appended line readable through another descriptor before sync', async () => {
    const path = join(dir, 'r.jsonl');
    const rec = RolloutRecorder.create(path);
    for (let i = 0; i < 3; i++) {
      rec.append({ ts: i, type: 'reverted', beforeTurnId: `t${i}` });
      expect(readFileSync(path, 'utf8').trim().split('\n')).toHaveLength(i + 1);
    }
    await rec.sync();
    rec.close();
    rec.close();
    expect(() => rec.append({ ts: 9, type: 'reverted', beforeTurnId: 'x' })).toThrow(/closed/);
    await rec.sync();
  });

  it('refuses to create over an existing rollout', () => {
    const path = join(dir, 'r.jsonl');
    RolloutRecorder.create(path).close();
    expect(() => RolloutRecorder.create(path)).toThrow(/EEXIST/);
  });

  it('starts a fresh line when reopening a file that ends in a torn write', () => {
    const path = join(dir, 'r.jsonl');
    writeFileSync(path, '{"ts":1,"type":"reverted","beforeTurnId":"a"}\n{"ts":2,"ty');
    const rec = RolloutRecorder.openExisting(path);
    rec.append({ ts: 3, type: 'reverted', beforeTurnId: 'c' });
    rec.close();
    const lines = readFileSync(path, 'utf8').split('\n');
    expect(lines).toEqual(['{"ts":1,"type":"reverted","beforeTurnId":"a"}', '{"ts":2,"ty', '{"ts":3,"type":"reverted","beforeTurnId":"c"}', '']);
  });
});
