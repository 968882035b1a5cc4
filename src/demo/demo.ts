import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Writable } from 'node:stream';
import { AgentdClient, type Notification } from '../client/index.js';
import { startMockModelServer } from '../mock/mock-model-server.js';
import type { MockTurn, RecordedRequest } from '../mock/types.js';

export interface DemoOptions {
  overrides: string[];
  out: Writable;
  logLevel?: string;
}

const PROMPT = 'Look at hello.txt in this workspace, then add a friendly second line to it and write notes/NOTES.md.';

/** Counts the tool outputs already in a request, to script the conversation's steps. */
function toolOutputs(req: RecordedRequest): number {
  const input = (req.body as { input?: { type?: string }[]; messages?: { role?: string }[] }).input;
  if (Array.isArray(input)) return input.filter((i) => i.type === 'function_call_output' || i.type === 'custom_tool_call_output').length;
  const messages = (req.body as { messages?: { role?: string }[] }).messages ?? [];
  return messages.filter((m) => m.role === 'tool').length;
}

/** The scripted model: run a command, then patch files, then summarise. */
export function demoResponder(req: RecordedRequest): MockTurn {
  const usage = { inputTokens: 1200, cachedInputTokens: 300, outputTokens: 90, reasoningOutputTokens: 20, totalTokens: 1290 };
  switch (toolOutputs(req)) {
    case 0:
      return {
        usage,
        output: [
          { type: 'reasoning', summary: ['I should read the file before editing it.'] },
          { type: 'text', text: "Let me look at the workspace first.", chunks: 4 },
          { type: 'function_call', name: 'exec_command', arguments: { cmd: 'mkdir -p notes && ls && cat hello.txt' }, callId: 'call_ls' },
        ],
      };
    case 1:
      return {
        usage,
        output: [
          {
            type: 'custom_tool_call',
            name: 'apply_patch',
            callId: 'call_patch',
            input: [
              '*** Begin Patch',
              '*** Update File: hello.txt',
              '@@',
              ' Hello from agentd!',
              '+Have a wonderful day.',
              '*** Add File: notes/NOTES.md',
              '+# Notes',
              '+',
              '+This file was written by the agentd demo.',
              '*** End Patch',
            ].join('\n'),
          },
        ],
      };
    default:
      return {
        usage,
        output: [
          {
            type: 'text',
            text: 'Done. I read hello.txt, added a friendly second line, and created notes/NOTES.md describing the change.',
            chunks: 12,
          },
        ],
      };
  }
}

function describeItem(item: { type: string; [k: string]: unknown }): string {
  switch (item.type) {
    case 'userMessage':
      return `user: ${(item.content as { type: string; text?: string }[]).map((c) => c.text ?? `[${c.type}]`).join(' ')}`;
    case 'agentMessage':
      return `assistant: ${String(item.text)}`;
    case 'reasoning':
      return `reasoning: ${(item.summary as string[]).join(' ')}`;
    case 'commandExecution':
      return `command \`${String(item.command)}\` → ${String(item.status)} (exit ${String(item.exitCode)}, ${String(item.durationMs)} ms)`;
    case 'fileChange':
      return `file change → ${String(item.status)}: ${(item.changes as { path: string; kind: { type: string } }[]).map((c) => `${c.kind.type} ${c.path}`).join(', ')}`;
    case 'plan':
      return `plan:\n${String(item.text)}`;
    default:
      return item.type;
  }
}

/** Runs one demo turn end to end and prints it. Returns the process exit code. */
export async function runDemo(opts: DemoOptions): Promise<number> {
  const out = (s: string) => opts.out.write(s);
  const mock = await startMockModelServer({ defaultResponder: demoResponder });
  const home = mkdtempSync(join(tmpdir(), 'agentd-demo-home-'));
  const workspace = mkdtempSync(join(tmpdir(), 'agentd-demo-ws-'));
  writeFileSync(join(workspace, 'hello.txt'), 'Hello from agentd!\n');
  const client = AgentdClient.spawn({
    args: [
      '-c', 'model_provider=mock',
      '-c', 'model=gpt-5-codex',
      '-c', 'model_providers.mock.name="Mock model"',
      '-c', `model_providers.mock.base_url="${mock.url}"`,
      '-c', 'model_providers.mock.wire_api="responses"',
      '-c', 'approval_policy="untrusted"',
      '-c', 'sandbox_mode="workspace-write"',
      ...opts.overrides.flatMap((o) => ['-c', o]),
      '--log-level', opts.logLevel ?? 'warn',
    ],
    env: { ...process.env, AGENTD_HOME: home },
    onStderr: (t) => process.stderr.write(t),
  });
  let streaming = false;
  const endStream = () => {
    if (streaming) out('\n');
    streaming = false;
  };
  client.onApproval((req) => {
    endStream();
    const what = req.method === 'item/commandExecution/requestApproval' ? `run \`${req.params.command}\`` : 'apply a patch';
    out(`? approval requested to ${what} → accept\n`);
    return { decision: 'accept' };
  });
  let lastDiff = '';
  let usage: Extract<Notification, { method: 'thread/tokenUsage/updated' }>['params']['tokenUsage'] | undefined;
  client.onNotification((m) => {
    switch (m.method) {
      case 'item/agentMessage/delta':
        if (!streaming) out('assistant (streaming): ');
        streaming = true;
        out(m.params.delta);
        break;
      case 'item/commandExecution/outputDelta':
        endStream();
        for (const line of String(m.params.delta).split('\n')) if (line) out(`  | ${line}\n`);
        break;
      case 'item/completed':
        endStream();
        out(`• ${describeItem(m.params.item)}\n`);
        break;
      case 'turn/diff/updated':
        lastDiff = m.params.diff;
        break;
      case 'thread/tokenUsage/updated':
        usage = m.params.tokenUsage;
        break;
      case 'error':
        endStream();
        out(`! ${m.params.error.message}${m.params.willRetry ? ' (retrying)' : ''}\n`);
        break;
    }
  });
  try {
    const init = await client.initialize({ name: 'agentd-demo', version: '1' });
    out(`agentd demo — ${init.userAgent}\nmock model at ${mock.url}; workspace ${workspace}\n\n`);
    const started = await client.request('thread/start', { cwd: workspace });
    out(`thread ${started.thread.id} (model ${started.model}, approval ${started.approvalPolicy}, sandbox ${started.sandbox.type})\n`);
    const turn = await client.request('turn/start', { threadId: started.thread.id, input: [{ type: 'text', text: PROMPT }] });
    const done = { params: await client.waitFor('turn/completed', (p) => p.turn.id === turn.turn.id) };
    endStream();
    if (lastDiff) out(`\nturn diff:\n${lastDiff}\n`);
    out(`\nturn ${done.params.turn.status}`);
    if (done.params.turn.error) out(`: ${done.params.turn.error.message}`);
    out(` in ${done.params.turn.durationMs} ms\n`);
    if (usage) out(`tokens: ${usage.total.totalTokens} total (${usage.total.inputTokens} in, ${usage.total.outputTokens} out)\n`);
    return done.params.turn.status === 'completed' ? 0 : 1;
  } finally {
    await client.close();
    await mock.close();
    rmSync(home, { recursive: true, force: true });
    rmSync(workspace, { recursive: true, force: true });
  }
}
