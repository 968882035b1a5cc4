import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The test MCP server (SDK server side): stdio by default, `http` for streamable HTTP. */
export const MCP_TEST_SERVER = join(dirname(fileURLToPath(import.meta.url)), 'mcp-test-server.mjs');

/** A fresh directory where test MCP servers leave their marks (pids, writes, cancellations). */
export function markDir(): string {
  return mkdtempSync(join(tmpdir(), 'agentd-mcp-marks-'));
}

/** The lines of a mark file ([] when absent). */
export function marks(dir: string, file: string): string[] {
  const p = join(dir, file);
  return existsSync(p) ? readFileSync(p, 'utf8').split('\n').filter((l) => l !== '') : [];
}

/** The `thread/start` config entry of a stdio test server. */
export function stdioServer(dir: string, name: string, extra: Record<string, unknown> = {}, mode = 'normal'): Record<string, unknown> {
  return { command: process.execPath, args: [MCP_TEST_SERVER, 'stdio', '--mode', mode], env: { MCP_MARK_DIR: dir, MCP_NAME: name }, ...extra };
}

/** Whether the process runs (a zombie, dead but not yet reaped, does not). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return process.platform !== 'linux';
  }
}

/** Polls `cond` (every 20 ms) until it holds or `ms` pass; returns whether it held. */
export async function eventually(cond: () => boolean, ms = 5000): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (cond()) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return cond();
}

/** Starts the HTTP test server; resolves with its URL and the process (kill it in teardown). */
export async function startHttpServer(dir: string, env: NodeJS.ProcessEnv = {}): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, [MCP_TEST_SERVER, 'http'], {
    env: { ...process.env, MCP_MARK_DIR: dir, MCP_NAME: 'web', ...env },
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    let buf = '';
    child.stdout!.on('data', (c: Buffer) => {
      buf += c.toString();
      const m = /LISTENING (\d+)/.exec(buf);
      if (m) resolve(Number(m[1]));
    });
    child.once('exit', (code) => reject(new Error(`http test server exited (${code})`)));
  });
  return { url: `http://127.0.0.1:${port}/mcp`, child };
}
