import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { RpcError, type Notification } from '../client/index.js';
import { answersToolCall, lastUser, patchCall, ScenarioFailure, shellCall, toolOutput, type ScenarioContext } from './context.js';

export interface Scenario {
  id: string;
  /** One sentence: what the scenario asserts. */
  asserts: string;
  run(ctx: ScenarioContext): Promise<void>;
}

/** The error a request is expected to fail with. */
async function rpcError(_ctx: ScenarioContext, p: Promise<unknown>, what: string): Promise<RpcError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof RpcError) return err;
    throw err;
  }
  throw new ScenarioFailure(`${what}: expected an error answer, got a result`);
}

const items = (ns: Notification[], which: 'item/started' | 'item/completed') =>
  ns.flatMap((n) => (n.method === which ? [n.params.item] : []));

const DONE = { output: [{ type: 'text' as const, text: 'done' }] };

export const scenarios: Scenario[] = [
  {
    id: 'handshake',
    asserts: 'A request before initialize is refused with an error, initialize answers with a userAgent, and a second initialize is refused.',
    async run(ctx: ScenarioContext) {
      const c = ctx.spawn();
      await rpcError(ctx, c.request('thread/list', {}), 'thread/list before initialize');
      const init = await c.initialize({ name: 'agentd-conformance', version: '1' });
      ctx.expect(typeof init.userAgent === 'string' && init.userAgent.length > 0, 'initialize result has no userAgent');
      await rpcError(ctx, c.request('initialize', { clientInfo: { name: 'again', version: '1' } }), 'second initialize');
    },
  },
  {
    id: 'errors',
    asserts:
      'An unknown method, invalid params and an unknown thread each get an error answer (-32601 / -32602 expected; -32600 accepted for the first two, as Codex answers a request it cannot deserialize) and the server keeps serving.',
    async run(ctx: ScenarioContext) {
      const c = await ctx.start();
      const unknown = await rpcError(ctx, c.requestRaw('no/such/method', {}), 'unknown method');
      ctx.expect([-32601, -32600].includes(unknown.code), `unknown method answered ${unknown.code}`);
      if (unknown.code !== -32601) ctx.note(`unknown method answered ${unknown.code} (agentd: -32601)`);
      const invalid = await rpcError(ctx, c.requestRaw('turn/start', { threadId: 'x', input: [{ type: 'text', text: 42 }] }), 'invalid params');
      ctx.expect([-32602, -32600].includes(invalid.code), `invalid params answered ${invalid.code}`);
      if (invalid.code !== -32602) ctx.note(`invalid params answered ${invalid.code} (agentd: -32602)`);
      await rpcError(ctx, c.request('thread/read', { threadId: '00000000-0000-0000-0000-000000000000' }), 'thread/read of an unknown thread');
      const list = await c.request('thread/list', {});
      ctx.expect(Array.isArray(list.data), 'thread/list after errors did not answer a list');
    },
  },
  {
    id: 'malformed-input',
    asserts:
      'A line that is not JSON and a truncated JSON object neither kill the server nor stop it answering the next request; agentd answers each with -32700 (id null), Codex 0.169 logs and skips them: both accepted.',
    async run(ctx: ScenarioContext) {
      const c = await ctx.start();
      const parseErrors: unknown[] = [];
      c.onRaw((m) => {
        if (m && m.method === undefined && m.error?.code === -32700) parseErrors.push(m.id);
      });
      c.sendRaw('this is not json');
      c.sendRaw('{"jsonrpc":"2.0","id":77,"method":');
      const list = await c.request('thread/list', {});
      ctx.expect(Array.isArray(list.data), 'the server did not answer after malformed lines');
      if (parseErrors.length === 0) ctx.note('malformed lines were skipped without an answer (agentd answers -32700)');
      else ctx.expect(parseErrors.every((id) => id === null), 'a -32700 answer carried an id other than null');
    },
  },
  {
    id: 'threads',
    asserts:
      'thread/start returns a thread and announces it with thread/started; thread/read and thread/loaded/list find it; after a turn it is listed by thread/list.',
    async run(ctx: ScenarioContext) {
      const c = await ctx.start();
      const announced = c.waitFor('thread/started');
      const id = await ctx.thread(c);
      ctx.expect((await announced).thread.id === id, 'thread/started names another thread');
      const read = await c.request('thread/read', { threadId: id });
      ctx.expect(read.thread.id === id, 'thread/read returned another thread');
      const loaded = await c.request('thread/loaded/list', {});
      ctx.expect(loaded.data.includes(id), 'thread/loaded/list does not list the new thread');
      const { turn } = await c.runTurn(id, 'hello');
      ctx.expect(turn.status === 'completed', `turn ended ${turn.status}${turn.error ? `: ${turn.error.message}` : ''}`);
      const list = await c.request('thread/list', {});
      ctx.expect(list.data.some((t) => t.id === id), 'thread/list does not list the thread after a turn');
    },
  },
  {
    id: 'text-turn',
    asserts:
      'A text turn sends the user text to the model, streams item/agentMessage/delta whose concatenation is the completed agentMessage text, and ends with turn/completed status completed.',
    async run(ctx: ScenarioContext) {
      ctx.respond(() => ({ output: [{ type: 'text', text: 'The answer is forty-two.', chunks: 4 }] }));
      const c = await ctx.start();
      const id = await ctx.thread(c);
      const { turn, notifications } = await c.runTurn(id, 'what is the answer?');
      ctx.expect(turn.status === 'completed', `turn ended ${turn.status}${turn.error ? `: ${turn.error.message}` : ''}`);
      ctx.expect(lastUser(ctx.mock.requests.at(-1)!) === 'what is the answer?', 'the model did not receive the user text');
      const deltas = notifications.flatMap((n) => (n.method === 'item/agentMessage/delta' ? [n.params.delta] : []));
      ctx.expect(deltas.length >= 2, `expected streamed deltas, got ${deltas.length}`);
      const msg = items(notifications, 'item/completed').find((i) => i.type === 'agentMessage');
      ctx.expect(msg && msg.type === 'agentMessage' && msg.text === 'The answer is forty-two.', 'no completed agentMessage with the model text');
      ctx.expect(deltas.join('') === msg.text, 'the deltas do not add up to the message');
      ctx.expect(notifications.some((n) => n.method === 'turn/started'), 'no turn/started');
    },
  },
  {
    id: 'interrupt',
    asserts: 'turn/interrupt during a streaming model response ends the turn with status interrupted and closes the model stream.',
    async run(ctx: ScenarioContext) {
      ctx.respond(() => ({ output: [{ type: 'text', text: 'a long answer that never ends' }], fault: { hang: true } }));
      const c = await ctx.start();
      const id = await ctx.thread(c);
      const delta = c.waitFor('item/agentMessage/delta', (p) => p.threadId === id);
      const started = await c.request('turn/start', { threadId: id, input: [{ type: 'text', text: 'go on' }] });
      await delta;
      const done = c.waitFor('turn/completed', (p) => p.turn.id === started.turn.id);
      await c.request('turn/interrupt', { threadId: id, turnId: started.turn.id });
      ctx.expect((await done).turn.status === 'interrupted', 'the turn did not end interrupted');
      await ctx.mock.waitForClientAbort(1);
    },
  },
  {
    id: 'approvals',
    asserts:
      'Under approval policy untrusted a command waits for item/commandExecution/requestApproval (naming its thread and turn): accept runs it, decline does not and completes the item as declined.',
    async run(ctx: ScenarioContext) {
      ctx.respond((req) => {
        if (answersToolCall(req)) return DONE;
        const file = lastUser(req) === 'first' ? 'accepted.txt' : 'declined.txt';
        return { output: [shellCall(req, `touch ${file}`, `call-${file}`)] };
      });
      const c = await ctx.start();
      const id = await ctx.thread(c, { approvalPolicy: 'untrusted' });
      const asked: { threadId: string; turnId: string }[] = [];
      let answer: 'accept' | 'decline' = 'accept';
      c.onApproval((r) => {
        if (r.method === 'item/commandExecution/requestApproval') {
          asked.push({ threadId: r.params.threadId, turnId: r.params.turnId });
          return { decision: answer };
        }
        return { decision: 'decline' };
      });
      const first = await c.runTurn(id, 'first');
      ctx.expect(asked.length === 1, `expected one approval request, got ${asked.length}`);
      ctx.expect(asked[0]!.threadId === id && asked[0]!.turnId === first.turn.id, 'the approval request names another thread or turn');
      const ran = items(first.notifications, 'item/completed').find((i) => i.type === 'commandExecution');
      const detail = ran && ran.type === 'commandExecution' ? ` (item ${ran.status}, exit ${ran.exitCode}: ${(ran.aggregatedOutput ?? '').slice(0, 200)})` : ' (no command item)';
      ctx.expect(existsSync(join(ctx.workspace, 'accepted.txt')), `the accepted command did not run${detail}`);
      answer = 'decline';
      const second = await c.runTurn(id, 'second');
      ctx.expect((asked.length as number) === 2, 'the second command was not put to approval');
      ctx.expect(!existsSync(join(ctx.workspace, 'declined.txt')), 'the declined command ran');
      const cmd = items(second.notifications, 'item/completed').find((i) => i.type === 'commandExecution');
      ctx.expect(cmd && cmd.type === 'commandExecution' && cmd.status === 'declined', `declined command item status: ${cmd && 'status' in cmd ? cmd.status : 'none'}`);
    },
  },
  {
    id: 'apply-patch',
    asserts: 'An apply_patch call adds a file in the workspace, reports a completed fileChange item naming it, and a turn/diff/updated with the added line.',
    async run(ctx: ScenarioContext) {
      const patch = ['*** Begin Patch', '*** Add File: greeting.txt', '+hello from the patch', '*** End Patch', ''].join('\n');
      ctx.respond((req) => (answersToolCall(req) ? DONE : { output: [patchCall(req, patch, 'call-patch')] }));
      const c = await ctx.start();
      const id = await ctx.thread(c);
      const { turn, notifications } = await c.runTurn(id, 'write a greeting');
      ctx.expect(turn.status === 'completed', `turn ended ${turn.status}${turn.error ? `: ${turn.error.message}` : ''}`);
      const file = join(ctx.workspace, 'greeting.txt');
      ctx.expect(existsSync(file) && readFileSync(file, 'utf8') === 'hello from the patch\n', 'greeting.txt was not written as patched');
      const change = items(notifications, 'item/completed').find((i) => i.type === 'fileChange');
      ctx.expect(change && change.type === 'fileChange' && change.status === 'completed', 'no completed fileChange item');
      ctx.expect(change.changes.some((ch) => ch.path.endsWith('greeting.txt')), 'the fileChange item does not name greeting.txt');
      const diffs = notifications.flatMap((n) => (n.method === 'turn/diff/updated' ? [n.params.diff] : []));
      ctx.expect(diffs.some((d) => d.includes('+hello from the patch')), 'no turn/diff/updated carrying the added line');
    },
  },
  {
    id: 'persistence',
    asserts: 'A completed turn survives kill -9 of the server: a new server on the same home lists the thread and reads back its user and agent messages.',
    async run(ctx: ScenarioContext) {
      ctx.respond(() => ({ output: [{ type: 'text', text: 'REMEMBERED-REPLY' }] }));
      const c = await ctx.start();
      const id = await ctx.thread(c);
      const { turn } = await c.runTurn(id, 'remember this');
      ctx.expect(turn.status === 'completed', `turn ended ${turn.status}${turn.error ? `: ${turn.error.message}` : ''}`);
      await c.kill('SIGKILL');
      const d = await ctx.start();
      const list = await d.request('thread/list', {});
      ctx.expect(list.data.some((t) => t.id === id), 'the restarted server does not list the thread');
      const read = await d.request('thread/read', { threadId: id, includeTurns: true });
      const all = read.thread.turns.flatMap((t) => t.items);
      ctx.expect(all.some((i) => i.type === 'userMessage' && JSON.stringify(i.content).includes('remember this')), 'the user message was lost');
      ctx.expect(all.some((i) => i.type === 'agentMessage' && i.text === 'REMEMBERED-REPLY'), 'the agent message was lost');
    },
  },
  {
    id: 'model-faults',
    asserts: 'A model error (HTTP 400) fails the turn with an error (turn.error and an error notification) and the next turn on the thread succeeds.',
    async run(ctx: ScenarioContext) {
      let calls = 0;
      ctx.respond(() =>
        calls++ === 0
          ? { fault: { status: 400, body: { error: { message: 'mock rejects this request', type: 'invalid_request_error' } } } }
          : { output: [{ type: 'text', text: 'recovered' }] },
      );
      const c = await ctx.start();
      const id = await ctx.thread(c);
      const failed = await c.runTurn(id, 'fail please');
      ctx.expect(failed.turn.status === 'failed', `the faulted turn ended ${failed.turn.status}`);
      ctx.expect(failed.turn.error != null, 'the failed turn carries no error');
      ctx.expect(failed.notifications.some((n) => n.method === 'error'), 'no error notification');
      const ok = await c.runTurn(id, 'again');
      ctx.expect(ok.turn.status === 'completed', `the next turn ended ${ok.turn.status}`);
    },
  },
  {
    id: 'sandbox',
    asserts: 'Under a read-only sandbox (approval never) a command that writes into the workspace does not create the file, and the model is told it failed.',
    async run(ctx: ScenarioContext) {
      ctx.respond((req) => (answersToolCall(req) ? DONE : { output: [shellCall(req, 'echo hi > sandboxed.txt', 'call-write')] }));
      const c = await ctx.start();
      const id = await ctx.thread(c, { sandbox: 'read-only', approvalPolicy: 'never' });
      const { turn, notifications } = await c.runTurn(id, 'write a file');
      ctx.expect(turn.status === 'completed', `turn ended ${turn.status}${turn.error ? `: ${turn.error.message}` : ''}`);
      ctx.expect(!existsSync(join(ctx.workspace, 'sandboxed.txt')), 'the read-only sandbox let the command write');
      const cmd = items(notifications, 'item/completed').find((i) => i.type === 'commandExecution');
      ctx.expect(cmd && cmd.type === 'commandExecution' && (cmd.status !== 'completed' || cmd.exitCode !== 0), 'the command item reports success');
      const out = toolOutput(ctx.mock.requests.at(-1)!, 'call-write');
      ctx.expect(out !== undefined, 'the model never got the command output');
    },
  },
  {
    id: 'compaction',
    asserts:
      'thread/compact/start summarizes the thread with the model, reports it (thread/compacted or a contextCompaction item: both accepted), and the next turn sends the summary instead of the earlier reply.',
    async run(ctx: ScenarioContext) {
      const c = await ctx.start();
      const id = await ctx.thread(c);
      ctx.respond(() => ({ output: [{ type: 'text', text: 'EARLIER-REPLY about apples' }] }));
      await c.runTurn(id, 'tell me about apples');
      ctx.respond(() => ({ output: [{ type: 'text', text: 'SUMMARY-OF-APPLES' }] }));
      const seen: Notification[] = [];
      const off = c.onNotification((n) => seen.push(n));
      const started = c.waitFor('turn/started', (p) => p.threadId === id);
      await c.request('thread/compact/start', { threadId: id });
      const turnId = (await started).turn.id;
      const done = await c.waitFor('turn/completed', (p) => p.turn.id === turnId);
      off();
      ctx.expect(done.turn.status === 'completed', `compaction turn ended ${done.turn.status}`);
      const reported =
        seen.some((n) => n.method === 'thread/compacted') || items(seen, 'item/completed').some((i) => i.type === 'contextCompaction');
      ctx.expect(reported, 'neither thread/compacted nor a contextCompaction item');
      ctx.respond(() => ({ output: [{ type: 'text', text: 'ok' }] }));
      await c.runTurn(id, 'and pears?');
      const next = JSON.stringify((ctx.mock.requests.at(-1)!.body as { input?: unknown }).input);
      ctx.expect(next.includes('SUMMARY-OF-APPLES'), 'the next request does not carry the summary');
      ctx.expect(!next.includes('EARLIER-REPLY'), 'the next request still carries the compacted reply');
    },
  },
  {
    id: 'review',
    asserts: 'review/start with custom instructions runs a review turn that enters and exits review mode (enteredReviewMode and exitedReviewMode items) and completes.',
    async run(ctx: ScenarioContext) {
      const findings = JSON.stringify({ findings: [], overall_correctness: 'patch is correct', overall_explanation: 'Nothing to flag.', overall_confidence_score: 0.9 });
      ctx.respond(() => ({ output: [{ type: 'text', text: findings }] }));
      const c = await ctx.start();
      const id = await ctx.thread(c);
      const seen: Notification[] = [];
      const off = c.onNotification((n) => seen.push(n));
      const r = await c.request('review/start', { threadId: id, target: { type: 'custom', instructions: 'Look for bugs.' }, delivery: 'inline' });
      const done = await c.waitFor('turn/completed', (p) => p.turn.id === r.turn.id);
      off();
      ctx.expect(done.turn.status === 'completed', `review turn ended ${done.turn.status}`);
      const types = items(seen, 'item/completed').map((i) => i.type);
      ctx.expect(types.includes('enteredReviewMode'), 'no enteredReviewMode item');
      ctx.expect(types.includes('exitedReviewMode'), 'no exitedReviewMode item');
    },
  },
];

