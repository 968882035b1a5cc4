import { describe, expect, it } from 'vitest';
import { effectiveExitCode, runCommand } from '../../../../src/tools/shell/exec.js';
import { liveProcessGroups } from '../../../../src/tools/shell/process-group.js';
import { outputWaiter, waitGone } from './helpers.js';

const env = process.env;

describe('runCommand', () => {
  it('streams stdout and stderr in order per stream and keeps an aggregated copy', async () => {
    const chunks: [string, string][] = [];
    const r = await runCommand({
      argv: ['bash', '-c', 'for i in $(seq 1 200); do echo out$i; echo err$i >&2; done'],
      cwd: '/',
      env,
      onOutput: (s, t) => chunks.push([s, t]),
    });
    expect(r.exitCode).toBe(0);
    const expected = (p: string): string => Array.from({ length: 200 }, (_, i) => `${p}${i + 1}\n`).join('');
    expect(r.stdout).toBe(expected('out'));
    expect(r.stderr).toBe(expected('err'));
    expect(chunks.filter(([s]) => s === 'stdout').map(([, t]) => t).join('')).toBe(r.stdout);
    expect(chunks.map(([, t]) => t).join('')).toBe(r.aggregated);
  });

  it('names a missing working directory instead of blaming the program', async () => {
    const missing = `/nonexistent-agentd-${process.pid}`;
    const r = await runCommand({ argv: ['bash', '-c', 'true'], cwd: missing, env });
    expect(r.spawnError).toContain(`working directory ${missing} does not exist`);
    expect(r.aggregated).toContain(`working directory ${missing} does not exist`);
    const real = await runCommand({ argv: [`no-such-program-${process.pid}`], cwd: '/', env });
    expect(real.spawnError).not.toContain('working directory');
    expect(real.spawnError).toContain('ENOENT');
  });

  it('reports exit codes and signals', async () => {
    const r = await runCommand({ argv: ['bash', '-c', 'exit 7'], cwd: '/', env });
    expect(r.exitCode).toBe(7);
    expect(effectiveExitCode(r)).toBe(7);
    const k = await runCommand({ argv: ['bash', '-c', 'kill -KILL $$'], cwd: '/', env });
    expect(k.exitCode).toBeNull();
    expect(k.signal).toBe('SIGKILL');
    expect(effectiveExitCode(k)).toBe(137);
  });

  it('reports a missing program as a spawn error with exit code 127', async () => {
    const r = await runCommand({ argv: ['/nonexistent/agentd-no-such-binary'], cwd: '/', env });
    expect(r.spawnError).toMatch(/ENOENT/);
    expect(effectiveExitCode(r)).toBe(127);
  });

  it('does not garble multibyte characters split across pipe reads', async () => {
    // One odd byte first, then 2-byte and 3-byte characters: chunk boundaries (64 KiB) fall mid-character.
    const pieces: string[] = [];
    const r = await runCommand({
      argv: ['bash', '-c', "printf a; for i in $(seq 1 40000); do printf 'é€'; done"],
      cwd: '/',
      env,
      onOutput: (_s, t) => pieces.push(t),
    });
    const expected = 'a' + 'é€'.repeat(40000);
    expect(r.stdout).toBe(expected);
    expect(pieces.join('')).toBe(expected);
    expect(pieces.some((p) => p.includes('\uFFFD'))).toBe(false);
    expect(pieces.length).toBeGreaterThan(1);
  });

  it('passes stdin and closes it', async () => {
    const r = await runCommand({ argv: ['cat'], cwd: '/', env, stdin: 'hello\n' });
    expect(r.stdout).toBe('hello\n');
  });

  it('kills the whole process tree on timeout', async () => {
    const out = outputWaiter();
    const r = await runCommand({
      argv: ['bash', '-c', 'sleep 1000 & echo $!; sleep 1000 & echo $!; wait'],
      cwd: '/',
      env,
      timeoutMs: 500,
      onOutput: (_s, t) => out.push(t),
    });
    expect(r.timedOut).toBe(true);
    expect(effectiveExitCode(r)).toBe(124);
    const pids = r.stdout.trim().split('\n').map(Number);
    expect(pids).toHaveLength(2);
    expect(await waitGone(pids)).toEqual([]);
  });

  it('kills the whole process tree on abort, even when the leader ignores SIGTERM', async () => {
    const out = outputWaiter();
    const ac = new AbortController();
    const started = Date.now();
    const pending = runCommand({
      argv: ['bash', '-c', "trap '' TERM; sleep 1000 & echo $!; sleep 1000 & echo $!; while :; do wait; done"],
      cwd: '/',
      env,
      signal: ac.signal,
      killGraceMs: 200,
      onOutput: (_s, t) => out.push(t),
    });
    const text = await out.until((s) => s.trim().split('\n').length === 2);
    ac.abort();
    const r = await pending;
    expect(r.aborted).toBe(true);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(await waitGone(text.trim().split('\n').map(Number))).toEqual([]);
  });

  it('kills what a finished command left running in its group and does not wait for it', async () => {
    const r = await runCommand({ argv: ['bash', '-c', 'sleep 1000 & echo $!'], cwd: '/', env });
    expect(r.exitCode).toBe(0);
    expect(await waitGone([Number(r.stdout.trim())])).toEqual([]);
    expect(r.durationMs).toBeLessThan(5000);
  });

  it('forgets finished groups', async () => {
    const r = await runCommand({ argv: ['true'], cwd: '/', env });
    expect(r.exitCode).toBe(0);
    expect(liveProcessGroups()).toEqual([]);
  });

  it('keeps bounded head and tail copies of huge output', async () => {
    const r = await runCommand({ argv: ['bash', '-c', 'head -c 3000000 /dev/zero | tr "\\0" a; echo END'], cwd: '/', env });
    expect(r.exitCode).toBe(0);
    expect(r.stdout.length).toBeLessThan(1_100_000);
    expect(r.stdout.startsWith('aaa')).toBe(true);
    expect(r.stdout.endsWith('END\n')).toBe(true);
    expect(r.stdout).toMatch(/chars omitted/);
  });
});
