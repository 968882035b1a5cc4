/**
 * MCP scenarios: `thread/start` with 3 stdio MCP servers configured (the test suite's SDK-built
 * server), timed to the reply and to all three servers ready; and a turn with one MCP tool call.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { agentdBin, type DaemonClient, type WireMessage } from '../../src/client/daemon-client.js';
import { okTurn, spawnDaemon, stopDaemon, timedInitialize, type DaemonEnv } from './daemon.js';
import { median, metric } from './stats.js';
import type { Results } from './scenarios.js';

/** The SDK-built test MCP server (test/support/mcp-test-server.mjs in the checkout). */
export function mcpTestServer(): string {
  const p = join(dirname(agentdBin()), '..', 'test', 'support', 'mcp-test-server.mjs');
  if (!existsSync(p)) throw new Error(`the test MCP server is missing: ${p}`);
  return p;
}

const servers = (n: number): Record<string, unknown> =>
  Object.fromEntries(Array.from({ length: n }, (_, i) => [`b${i}`, { command: process.execPath, args: [mcpTestServer()], env: { MCP_NAME: `b${i}` } }]));

/** Starts a thread with `n` MCP servers; resolves with the time to the reply and to all ready. */
function startWithServers(c: DaemonClient, cwd: string, n: number): Promise<{ threadId: string; replyMs: number; readyMs: number }> {
  return new Promise((resolve, reject) => {
    const ready = new Set<string>();
    let threadId: string | null = null;
    let replyMs = 0;
    const early: WireMessage[] = [];
    const check = (m: WireMessage): void => {
      if (m.method !== 'mcpServer/startupStatus/updated') return;
      if (threadId === null) {
        early.push(m);
        return;
      }
      if (m.params.threadId !== threadId) return;
      if (m.params.status === 'failed') {
        off();
        reject(new Error(`MCP server ${m.params.name} failed: ${m.params.error}`));
      }
      if (m.params.status === 'ready') ready.add(m.params.name);
      if (ready.size === n) {
        off();
        resolve({ threadId, replyMs, readyMs: performance.now() - t0 });
      }
    };
    const off = c.onMessage(check);
    const t0 = performance.now();
    c.request('thread/start', { cwd, ephemeral: true, approvalPolicy: 'never', config: { mcp_servers: servers(n) } }).then((r) => {
      replyMs = performance.now() - t0;
      threadId = r.thread.id as string;
      for (const m of early.splice(0)) check(m);
    }, reject);
  });
}

export async function mcp(env: DaemonEnv, runs: number, r: Results): Promise<void> {
  const { client } = await timedInitialize(() => spawnDaemon(env));
  try {
    const reply: number[] = [];
    const ready: number[] = [];
    const plain: number[] = [];
    for (let i = 0; i < runs + 2; i++) {
      const t0 = performance.now();
      const p = await client.request('thread/start', { cwd: env.cwd, ephemeral: true });
      const plainMs = performance.now() - t0;
      await client.request('thread/unsubscribe', { threadId: p.thread.id });
      const s = await startWithServers(client, env.cwd, 3);
      await client.request('thread/unsubscribe', { threadId: s.threadId });
      client.messages.length = 0;
      if (i < 2) continue;
      plain.push(plainMs);
      reply.push(s.replyMs);
      ready.push(s.readyMs);
    }
    r.mcp_thread_start_3_servers = metric(reply, 'ms', undefined, `3 stdio servers; the same daemon's thread/start without servers: ${median(plain).toFixed(1)} ms`, {
      withoutServersMedian: median(plain),
    });
    r.mcp_3_servers_ready = metric(ready, 'ms', undefined, 'thread/start sent -> all 3 mcpServer/startupStatus/updated ready (3 node processes: spawn, initialize, tools/list)');

    const s = await startWithServers(client, env.cwd, 1);
    const turns: number[] = [];
    const calls: number[] = [];
    for (let i = 0; i < runs + 3; i++) {
      const t = await okTurn(client, s.threadId, 'mcp call the tool');
      const item = t.items.find((it) => it.type === 'mcpToolCall');
      if (!item || item.status !== 'completed') throw new Error(`mcp: tool call item ${JSON.stringify(item)}`);
      if (i < 3) continue;
      turns.push(t.ms);
      calls.push(Number(item.durationMs));
    }
    r.mcp_tool_call_turn = metric(turns, 'ms', undefined, `one read-only MCP tool call, 2 model requests; the call's durationMs median ${median(calls)}`, {
      callDurationMedian: median(calls),
    });
  } finally {
    await stopDaemon(client);
  }
}
