import { afterEach, describe, expect, it } from 'vitest';
import { ProcessSessionManager, UnknownSessionError } from '../../../../src/tools/shell/process-sessions.js';
import { isAlive, outputWaiter, waitGone } from './helpers.js';

const env = process.env;

describe('ProcessSessionManager', () => {
  const managers: ProcessSessionManager[] = [];
  const make = (opts?: { maxSessions?: number }): ProcessSessionManager => {
    const m = new ProcessSessionManager(opts);
    managers.push(m);
    return m;
  };
  afterEach(() => {
    for (const m of managers.splice(0)) m.killAll();
  });

  it('returns at once with the exit code when the command finishes within the yield', async () => {
    const m = make();
    const started = Date.now();
    const p = await m.start({ argv: ['bash', '-c', 'echo done; exit 3'], cwd: '/', env, yieldMs: 20_000 });
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(p).toMatchObject({ sessionId: null, running: false, exitCode: 3, output: 'done\n' });
    expect(m.size).toBe(0);
  });

  it('keeps a running cat as a session and echoes what write sends', async () => {
    const m = make();
    const first = await m.start({ argv: ['cat'], cwd: '/', env, yieldMs: 250 });
    expect(first.running).toBe(true);
    expect(first.sessionId).not.toBeNull();
    const id = first.sessionId as number;
    const second = await m.write(id, 'hello\n', 250);
    expect(second.output).toBe('hello\n');
    expect(second.sessionId).toBe(id);
    // Closing stdin is not possible through write; ^D is just a byte on a pipe, so kill instead.
    m.kill(id);
    const last = await m.write(id, '', 250);
    expect(last.running).toBe(false);
    expect(last.sessionId).toBeNull();
    expect(m.has(id)).toBe(false);
    await expect(m.write(id, 'x', 250)).rejects.toBeInstanceOf(UnknownSessionError);
  });

  it('drives an interactive bash through several writes', async () => {
    const m = make();
    const first = await m.start({ argv: ['bash'], cwd: '/', env, yieldMs: 250 });
    const id = first.sessionId as number;
    const a = await m.write(id, 'X=41; echo $((X+1))\n', 250);
    expect(a.output).toBe('42\n');
    const b = await m.write(id, 'exit 5\n', 5_000);
    expect(b).toMatchObject({ running: false, exitCode: 5, sessionId: null });
  });

  it('aborting a poll kills the session tree', async () => {
    const m = make();
    const out = outputWaiter();
    const ac = new AbortController();
    const pending = m.start({
      argv: ['bash', '-c', 'sleep 1000 & echo $!; wait'],
      cwd: '/',
      env,
      yieldMs: 30_000,
      signal: ac.signal,
      onOutput: (t) => out.push(t),
    });
    const text = await out.until((s) => s.includes('\n'));
    ac.abort();
    const p = await pending;
    expect(p.aborted).toBe(true);
    expect(p.running).toBe(false);
    expect(await waitGone([Number(text.trim())])).toEqual([]);
  });

  it('evicts the least recently used session when full', async () => {
    const m = make({ maxSessions: 2 });
    const a = await m.start({ argv: ['cat'], cwd: '/', env, yieldMs: 250 });
    const b = await m.start({ argv: ['cat'], cwd: '/', env, yieldMs: 250 });
    const c = await m.start({ argv: ['cat'], cwd: '/', env, yieldMs: 250 });
    expect(m.size).toBe(2);
    expect(m.has(a.sessionId as number)).toBe(false);
    expect(m.has(b.sessionId as number)).toBe(true);
    expect(m.has(c.sessionId as number)).toBe(true);
    expect(await waitGone([a.pid as number])).toEqual([]);
  });

  it('killAll leaves no process behind', async () => {
    const m = make();
    const a = await m.start({ argv: ['sleep', '1000'], cwd: '/', env, yieldMs: 250 });
    const b = await m.start({ argv: ['cat'], cwd: '/', env, yieldMs: 250 });
    m.killAll();
    expect(m.size).toBe(0);
    expect(await waitGone([a.pid as number, b.pid as number])).toEqual([]);
  });
});

describe('ProcessSessionManager: sessions die with the turn that started them', () => {
  const managers: ProcessSessionManager[] = [];
  afterEach(() => {
    for (const m of managers.splice(0)) m.killAll();
  });

  it('aborting the start signal after the first poll returned kills the session tree', async () => {
    const m = new ProcessSessionManager();
    managers.push(m);
    const turn = new AbortController();
    const first = await m.start({ argv: ['bash', '-c', 'sleep 1000 & echo $!; wait'], cwd: '/', env, yieldMs: 250, signal: turn.signal });
    expect(first.running).toBe(true);
    const child = Number(first.output.trim());
    expect(child).toBeGreaterThan(0);
    turn.abort();
    expect(await waitGone([child, first.pid as number])).toEqual([]);
    const last = await m.write(first.sessionId as number, '', 250);
    expect(last).toMatchObject({ running: false, sessionId: null });
  });

  it('aborting the turn kills all of its sessions (more than an EventTarget likes listeners)', async () => {
    const m = new ProcessSessionManager();
    managers.push(m);
    const turn = new AbortController();
    const other = new AbortController();
    const polls = [];
    for (let i = 0; i < 12; i++) polls.push(await m.start({ argv: ['sleep', '1000'], cwd: '/', env, yieldMs: 250, signal: turn.signal }));
    const survivor = await m.start({ argv: ['sleep', '1000'], cwd: '/', env, yieldMs: 250, signal: other.signal });
    turn.abort();
    expect(await waitGone(polls.map((p) => p.pid as number))).toEqual([]);
    // A session of another turn is not touched.
    expect(isAlive(survivor.pid as number)).toBe(true);
  });

  it('a session started with an already aborted signal is killed at once', async () => {
    const m = new ProcessSessionManager();
    managers.push(m);
    const turn = new AbortController();
    turn.abort();
    const p = await m.start({ argv: ['sleep', '1000'], cwd: '/', env, yieldMs: 5000, signal: turn.signal });
    expect(p.running).toBe(false);
    expect(await waitGone([p.pid as number])).toEqual([]);
  });
});
