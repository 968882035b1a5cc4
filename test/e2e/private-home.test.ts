import { spawn } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { agentdBin, DaemonClient } from '../../src/client/daemon-client.js';
import { startMockModelServer } from '../../src/mock/mock-model-server.js';
import type { MockModelServer } from '../../src/mock/types.js';
import { mockConfig, startTurn, turnCompleted } from '../support/harness.js';

let mock: MockModelServer;
let root: string;
let daemon: DaemonClient | null = null;

beforeEach(async () => {
  mock = await startMockModelServer();
  root = mkdtempSync(join(tmpdir(), 'agentd-private-home-'));
});
afterEach(async () => {
  if (daemon && daemon.child.exitCode === null && daemon.child.signalCode === null) await daemon.kill();
  daemon = null;
  await mock.close();
  rmSync(root, { recursive: true, force: true });
});

/** Spawns the daemon with umask 000, so only the modes it asks for protect its files. */
async function startWithOpenUmask(home: string, extraArgs: string[] = []): Promise<DaemonClient> {
  const args = mockConfig(mock.url).flatMap((c) => ['-c', c]);
  const child = spawn('sh', ['-c', 'umask 000 && exec "$0" "$@"', process.execPath, agentdBin(), ...args, '--log-level', 'info', ...extraArgs], {
    cwd: root,
    env: { ...process.env, AGENTD_HOME: home, HOME: root },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const c = new DaemonClient(child);
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (t: string) => c.stderr.push(t));
  daemon = c;
  await c.initialize();
  return c;
}

/** Every path under `dir` (itself included, links skipped) with its permission bits. */
function modes(dir: string): [string, number, 'dir' | 'file'][] {
  const out: [string, number, 'dir' | 'file'][] = [[dir, statSync(dir).mode & 0o777, 'dir']];
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (e.isSymbolicLink()) continue;
    const p = join(e.parentPath, e.name);
    out.push([p, statSync(p).mode & 0o777, e.isDirectory() ? 'dir' : 'file']);
  }
  return out;
}

const expectPrivate = (entries: [string, number, 'dir' | 'file'][]) => {
  for (const [path, mode, kind] of entries) expect([path, mode.toString(8)]).toEqual([path, kind === 'dir' ? '700' : '600']);
};

/** Runs one turn on a new stored thread, then archives another, so every kind of file exists. */
async function useTheHome(c: DaemonClient): Promise<void> {
  const t = await c.request('thread/start', { cwd: root });
  const turnId = await startTurn(c, t.thread.id, 'a private prompt');
  expect((await turnCompleted(c, turnId)).status).toBe('completed');
  const other = await c.request('thread/start', { cwd: root });
  await c.request('thread/archive', { threadId: other.thread.id });
  await c.request('thread/name/set', { threadId: t.thread.id, name: 'secret name' });
}

describe('the agentd home is private', () => {
  it('creates the home, its directories, rollouts, index and log file for the owner only', async () => {
    const home = join(root, 'fresh', 'agentd');
    const log = join(root, 'logs', 'agentd.log');
    const c = await startWithOpenUmask(home, ['--log-file', log]);
    await useTheHome(c);
    expect(await c.close()).toEqual({ code: 0, signal: null });
    const entries = modes(home);
    expect(entries.map(([p]) => p)).toEqual(expect.arrayContaining([join(home, 'thread-index.jsonl'), join(home, 'sessions'), join(home, 'archived_sessions')]));
    expect(entries.filter(([, , k]) => k === 'file').length).toBeGreaterThanOrEqual(3);
    expectPrivate(entries);
    expect((statSync(log).mode & 0o777).toString(8)).toBe('600');
    expect((statSync(join(root, 'logs')).mode & 0o777).toString(8)).toBe('700');
  });

  it('tightens a home that an older version left readable by everyone', async () => {
    const home = join(root, 'old-home');
    const first = await startWithOpenUmask(home);
    await useTheHome(first);
    expect(await first.close()).toEqual({ code: 0, signal: null });
    // What an older version (or a permissive umask) left behind.
    writeFileSync(join(home, 'config.toml'), 'model_reasoning_effort = "low"\n');
    mkdirSync(join(home, 'sessions', 'extra'), { recursive: true });
    writeFileSync(join(home, 'sessions', 'extra', 'notes.txt'), 'left over');
    const log = join(home, 'agentd.log');
    writeFileSync(log, 'old log line\n');
    for (const [path, , kind] of modes(home)) chmodSync(path, kind === 'dir' ? 0o755 : 0o644);

    const second = await startWithOpenUmask(home, ['--log-file', log]);
    // `initialize` may be answered before the server has loaded; a thread/list answer means it has.
    const list = await second.request('thread/list', {});
    expectPrivate(modes(home));
    // And it keeps working on the tightened files.
    expect(list.data.map((t: { name: string | null }) => t.name)).toContain('secret name');
    expect(await second.close()).toEqual({ code: 0, signal: null });
    expectPrivate(modes(home));
  });
});
