import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agentdBin } from '../../src/client/daemon-client.js';
import { createHarness, mockConfig, type Harness } from '../support/harness.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const pyDir = join(root, 'clients', 'python');
const run = promisify(execFile);

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(async () => {
  await h.cleanup();
});

describe('the Python client (clients/python, standard library only)', () => {
  it('runs a turn with an approval and streamed deltas, then interrupts a turn', async () => {
    h.mock.enqueue(
      { output: [{ type: 'function_call', name: 'exec_command', arguments: { cmd: 'touch from-python.txt' }, callId: 'py1' }] },
      { output: [{ type: 'text', text: 'python sees this streamed', chunks: 4 }] },
      { output: [{ type: 'text', text: 'this never ends' }], fault: { hang: true } },
    );
    const server = [process.execPath, agentdBin(), 'app-server', ...mockConfig(h.mock.url).flatMap((c) => ['-c', c]), '--log-level', 'warn'];
    const { stdout } = await run('python3', ['example_turns.py', h.workspace, '--', ...server], {
      cwd: pyDir,
      env: { ...process.env, AGENTD_HOME: h.home, HOME: join(h.home, 'user-home'), PYTHONDONTWRITEBYTECODE: '1' },
      timeout: 60_000,
    });
    const r = JSON.parse(stdout.trim().split('\n').at(-1)!) as {
      userAgent: string;
      threadId: string;
      approvals: { method: string; command: string; threadId: string }[];
      firstStatus: string;
      deltas: string[];
      interruptedStatus: string;
      exitCode: number;
    };
    expect(r.userAgent).toMatch(/^agentd\//);
    expect(r.approvals).toEqual([{ method: 'item/commandExecution/requestApproval', command: 'touch from-python.txt', threadId: r.threadId }]);
    expect(existsSync(join(h.workspace, 'from-python.txt'))).toBe(true);
    expect(r.firstStatus).toBe('completed');
    expect(r.deltas.length).toBeGreaterThanOrEqual(2);
    expect(r.deltas.join('')).toBe('python sees this streamed');
    expect(r.interruptedStatus).toBe('interrupted');
    expect(r.exitCode).toBe(0);
    await h.mock.waitForClientAbort(1);
  }, 90_000);

  it('declares TypedDicts that match the wire types in schema/', async () => {
    const { stdout } = await run('python3', ['check_types.py', join(root, 'schema', 'app-server.schemas.json')], {
      cwd: pyDir,
      env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' },
    });
    const r = JSON.parse(stdout) as { checked: string[]; problems: string[] };
    expect(r.problems).toEqual([]);
    expect(r.checked).toEqual(expect.arrayContaining(['Turn', 'Thread', 'CommandExecutionRequestApprovalParams', 'AgentMessageDeltaNotification']));
  });

  it('the type check catches a TypedDict that drifts from the schema', async () => {
    // The same check against a schema where Turn lost `status` and gained a required field.
    const schema = JSON.parse(readFileSync(join(root, 'schema', 'app-server.schemas.json'), 'utf8')) as {
      definitions: Record<string, { properties: Record<string, unknown>; required: string[] }>;
    };
    const turn = schema.definitions.Turn!;
    delete turn.properties.status;
    turn.required = [...turn.required.filter((k) => k !== 'status'), 'newRequired'];
    turn.properties.newRequired = { type: 'string' };
    const dir = mkdtempSync(join(tmpdir(), 'agentd-py-schema-'));
    writeFileSync(join(dir, 's.json'), JSON.stringify(schema));
    const r = await run('python3', ['check_types.py', join(dir, 's.json')], { cwd: pyDir, env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' } }).then(
      () => null,
      (err: { code: number; stdout: string }) => err,
    );
    expect(r?.code).toBe(1);
    const problems = (JSON.parse(r!.stdout) as { problems: string[] }).problems;
    expect(problems).toEqual(expect.arrayContaining([expect.stringContaining('Turn.status'), expect.stringContaining('Turn.newRequired')]));
  });
});
