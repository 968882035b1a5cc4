/**
 * The ACP face (`agentd acp`) next to the app-server face: a short turn's latency and a turn
 * streaming 20,000 deltas (each an `agent_message_chunk`), measured with the ACP SDK's client.
 */
import { spawn } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { Readable, Writable } from 'node:stream';
import * as acp from '@agentclientprotocol/sdk';
import { agentdBin } from '../../src/client/daemon-client.js';
import { mockArgs, type DaemonEnv } from './daemon.js';
import { STREAM_DELTAS, type Plan, type Results } from './scenarios.js';

/** The streamed text's length ('abcd' per delta, as the bench responder streams it). */
const STREAM_CHARS = 4 * STREAM_DELTAS;
import { metric } from './stats.js';

export async function acpFace(env: DaemonEnv, plan: Plan, r: Results): Promise<void> {
  const child = spawn(process.execPath, [agentdBin(), 'acp', ...mockArgs(env.url), '--log-level', 'error'], {
    cwd: env.cwd,
    env: { ...process.env, AGENTD_HOME: env.home, AGENTD_LOG: 'error' },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const chunks = new Map<string, number>();
  const chars = new Map<string, number>();
  const app = acp.client({ name: 'agentd-bench' }).onNotification(acp.methods.client.session.update, ({ params }) => {
    const u = params.update;
    if (u.sessionUpdate !== 'agent_message_chunk' || u.content.type !== 'text') return;
    chunks.set(params.sessionId, (chunks.get(params.sessionId) ?? 0) + 1);
    chars.set(params.sessionId, (chars.get(params.sessionId) ?? 0) + u.content.text.length);
  });
  const conn = app.connect(acp.ndJsonStream(Writable.toWeb(child.stdin) as WritableStream<Uint8Array>, Readable.toWeb(child.stdout) as ReadableStream<Uint8Array>));
  const agent = conn.agent;
  try {
    await agent.request(acp.methods.agent.initialize, { protocolVersion: acp.PROTOCOL_VERSION, clientCapabilities: {} });
    const session = async () => (await agent.request(acp.methods.agent.session.new, { cwd: env.cwd, mcpServers: [] })).sessionId;
    const turn = async (sessionId: string, text: string) => {
      const t0 = performance.now();
      const res = await agent.request(acp.methods.agent.session.prompt, { sessionId, prompt: [{ type: 'text', text }] });
      if (res.stopReason !== 'end_turn') throw new Error(`acp turn ended ${res.stopReason}`);
      return performance.now() - t0;
    };
    const sid = await session();
    for (let i = 0; i < plan.turnWarmup; i++) await turn(sid, 'text warmup');
    const ms: number[] = [];
    for (let i = 0; i < plan.turnRuns; i++) ms.push(await turn(sid, `text turn ${i}`));
    r.acp_turn_persisted = metric(ms, 'ms', 18, `ACP face: session/prompt → answer, ${plan.turnWarmup} warm-up turns`);

    const stream: number[] = [];
    let maxChunks = 0;
    for (let i = 0; i < plan.streamRuns + 2; i++) {
      const s = await session();
      const took = await turn(s, 'stream please');
      // All the text was written before the prompt's answer (deltas read together share a chunk).
      if (chars.get(s) !== STREAM_CHARS) throw new Error(`acp stream: got ${chars.get(s)} characters, expected ${STREAM_CHARS}`);
      maxChunks = Math.max(maxChunks, chunks.get(s) ?? 0);
      if (i >= 2) stream.push(took);
    }
    r.acp_stream_20k_deltas = metric(stream, 'ms', 400, `ACP face: ${STREAM_DELTAS} model deltas, sent as up to ${maxChunks} agent_message_chunk`);
  } finally {
    conn.close();
    child.kill('SIGKILL');
  }
}
