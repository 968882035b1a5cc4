import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lastUserText, startMockModelServer, type MockModelServer, type RecordedRequest } from '../../../src/mock/index.js';
import { readSse, type SseEvent } from '../../../src/model/sse.js';

let server: MockModelServer;
beforeAll(async () => {
  server = await startMockModelServer();
});
afterAll(async () => {
  await server.close();
});

const origin = (): string => server.url.replace(/\/v1$/, '');

function post(path: string, body: unknown, signal?: AbortSignal): Promise<Response> {
  const init: RequestInit = { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
  if (signal) init.signal = signal;
  return fetch(`${origin()}${path}`, init);
}

const chatBody = (text: string) => ({ model: 'm', stream: true, messages: [{ role: 'system', content: 'sys' }, { role: 'user', content: text }] });
const responsesBody = (text: string) => ({
  model: 'm',
  stream: true,
  input: [{ type: 'message', role: 'user', content: [{ type: 'input_text', text }] }],
});

async function events(resp: Response): Promise<SseEvent[]> {
  const out: SseEvent[] = [];
  for await (const ev of readSse(resp.body!, { idleTimeoutMs: 5_000 })) out.push({ ...ev });
  return out;
}

describe('mock model server', () => {
  it('serves a URL under /v1 and lists a model, with or without the prefix', async () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/v1$/);
    for (const path of ['/v1/models', '/models']) {
      const resp = await fetch(`${origin()}${path}`);
      expect(resp.status).toBe(200);
      expect((await resp.json()) as unknown).toMatchObject({ object: 'list', data: [{ id: 'mock-model' }] });
    }
  });

  it('echoes the last user text by default in the Responses format', async () => {
    const resp = await post('/v1/responses', responsesBody('ping'));
    expect(resp.headers.get('content-type')).toBe('text/event-stream');
    const evs = await events(resp);
    const types = evs.map((e) => JSON.parse(e.data).type);
    expect(types[0]).toBe('response.created');
    expect(types[types.length - 1]).toBe('response.completed');
    expect(evs.every((e) => e.event === JSON.parse(e.data).type)).toBe(true);
    const deltas = evs.filter((e) => e.event === 'response.output_text.delta').map((e) => JSON.parse(e.data).delta);
    expect(deltas.length).toBeGreaterThan(1);
    expect(deltas.join('')).toBe('Echo: ping');
    const usage = JSON.parse(evs[evs.length - 1]!.data).response.usage;
    expect(usage.total_tokens).toBe(usage.input_tokens + usage.output_tokens);
  });

  it('echoes in the chat format too, also without the /v1 prefix, ending with usage and [DONE]', async () => {
    const resp = await post('/chat/completions', chatBody('pong'));
    const evs = await events(resp);
    expect(evs[evs.length - 1]!.data).toBe('[DONE]');
    const chunks = evs.slice(0, -1).map((e) => JSON.parse(e.data));
    expect(chunks.map((c) => c.choices[0]?.delta?.content ?? '').join('')).toBe('Echo: pong');
    expect(chunks.some((c) => c.choices[0]?.finish_reason === 'stop')).toBe(true);
    expect(chunks[chunks.length - 1].choices).toEqual([]);
    expect(chunks[chunks.length - 1].usage.prompt_tokens).toBeGreaterThan(0);
  });

  it('records requests and answers queued turns first-in first-out, then falls back to the default', async () => {
    const before = server.requests.length;
    server.enqueue({ output: [{ type: 'text', text: 'one' }] }, { output: [{ type: 'text', text: 'two' }] });
    const waiting = server.waitForRequests(before + 3);
    const texts: string[] = [];
    for (const q of ['a', 'b', 'c']) {
      const evs = await events(await post('/v1/chat/completions', chatBody(q)));
      texts.push(evs.slice(0, -1).map((e) => JSON.parse(e.data).choices[0]?.delta?.content ?? '').join(''));
    }
    await waiting;
    expect(texts).toEqual(['one', 'two', 'Echo: c']);
    const recorded = server.requests.slice(before);
    expect(recorded.map((r) => [r.api, r.path, r.body.messages[1].content])).toEqual([
      ['chat', '/v1/chat/completions', 'a'],
      ['chat', '/v1/chat/completions', 'b'],
      ['chat', '/v1/chat/completions', 'c'],
    ]);
    expect(recorded[0]!.headers['content-type']).toBe('application/json');
  });

  it('renders tool calls in chat as tool_calls, custom ones with an input argument', async () => {
    server.enqueue({
      output: [
        { type: 'function_call', name: 'shell', arguments: { cmd: 'ls' }, callId: 'c1' },
        { type: 'custom_tool_call', name: 'apply_patch', input: 'patch "body"', callId: 'c2' },
      ],
    });
    const chunks = (await events(await post('/v1/chat/completions', chatBody('x')))).slice(0, -1).map((e) => JSON.parse(e.data));
    const calls = new Map<number, { id?: string; name?: string; args: string }>();
    for (const c of chunks) {
      for (const tc of c.choices[0]?.delta?.tool_calls ?? []) {
        const acc = calls.get(tc.index) ?? { args: '' };
        if (tc.id) acc.id = tc.id;
        if (tc.function?.name) acc.name = tc.function.name;
        acc.args += tc.function?.arguments ?? '';
        calls.set(tc.index, acc);
      }
    }
    expect([...calls.values()]).toEqual([
      { id: 'c1', name: 'shell', args: '{"cmd":"ls"}' },
      { id: 'c2', name: 'apply_patch', args: '{"input":"patch \\"body\\""}' },
    ]);
    expect(chunks.some((c) => c.choices[0]?.finish_reason === 'tool_calls')).toBe(true);
  });

  it('answers an HTTP fault with its status, Retry-After, headers and body', async () => {
    server.enqueue({ fault: { status: 429, retryAfter: 2, body: { error: { message: 'slow down' } } }, headers: { 'x-test': '1' } });
    const resp = await post('/v1/responses', responsesBody('x'));
    expect(resp.status).toBe(429);
    expect(resp.headers.get('retry-after')).toBe('2');
    expect(resp.headers.get('x-test')).toBe('1');
    expect(await resp.json()).toEqual({ error: { message: 'slow down' } });
  });

  it('drops the connection after the given number of events without counting a client abort', async () => {
    const aborts = server.clientAborts;
    server.enqueue({ output: [{ type: 'text', text: 'abcdef', chunks: 6 }], fault: { disconnectAfterEvents: 2 } });
    const resp = await post('/v1/responses', responsesBody('x'));
    const got: SseEvent[] = [];
    const err = await (async () => {
      for await (const ev of readSse(resp.body!, { idleTimeoutMs: 5_000 })) got.push({ ...ev });
    })().catch((e: unknown) => e);
    expect(err).toMatchObject({ kind: 'stream_disconnected' });
    expect(got.map((e) => e.event)).toEqual(['response.created', 'response.output_item.added']);
    expect(server.clientAborts).toBe(aborts);
  });

  it('counts a client that goes away during a hang', async () => {
    const aborts = server.clientAborts;
    server.enqueue({ output: [{ type: 'text', text: 'abcdef', chunks: 3 }], fault: { hang: true } });
    const ctl = new AbortController();
    const resp = await post('/v1/chat/completions', chatBody('x'), ctl.signal);
    const seen: SseEvent[] = [];
    for await (const ev of readSse(resp.body!, { idleTimeoutMs: 5_000 })) {
      seen.push({ ...ev });
      if (JSON.parse(ev.data).choices[0]?.delta?.content) break;
    }
    expect(seen).toHaveLength(2);
    ctl.abort();
    await server.waitForClientAbort(aborts + 1);
    expect(server.clientAborts).toBe(aborts + 1);
  });

  it('rejects unknown routes and bodies that are not JSON', async () => {
    expect((await post('/v1/embeddings', {})).status).toBe(404);
    const resp = await fetch(`${server.url}/responses`, { method: 'POST', body: '{nope' });
    expect(resp.status).toBe(400);
  });

  it('uses a custom default responder', async () => {
    const custom = await startMockModelServer({ defaultResponder: (req) => ({ output: [{ type: 'text', text: `${req.api}:${lastUserText(req)}` }] }) });
    try {
      const evs = await events(await fetch(`${custom.url}/responses`, { method: 'POST', body: JSON.stringify(responsesBody('q')) }));
      const done = evs.find((e) => e.event === 'response.output_item.done')!;
      expect(JSON.parse(done.data).item.content[0].text).toBe('responses:q');
    } finally {
      await custom.close();
    }
  });
});

describe('lastUserText', () => {
  const rec = (api: 'responses' | 'chat', body: unknown): RecordedRequest => ({ api, path: '/', headers: {}, body });

  it('reads the last user message of either wire format', () => {
    expect(lastUserText(rec('responses', responsesBody('hi')))).toBe('hi');
    expect(lastUserText(rec('responses', { input: 'plain string input' }))).toBe('plain string input');
    expect(
      lastUserText(
        rec('responses', {
          input: [
            { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'first' }] },
            { type: 'function_call_output', call_id: 'c', output: 'x' },
            { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'a' }, { type: 'input_image', image_url: 'u' }, { type: 'input_text', text: 'b' }] },
            { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'reply' }] },
          ],
        }),
      ),
    ).toBe('ab');
    expect(lastUserText(rec('chat', chatBody('yo')))).toBe('yo');
    expect(lastUserText(rec('chat', { messages: [{ role: 'user', content: [{ type: 'text', text: 'parts' }] }, { role: 'tool', content: 'x' }] }))).toBe('parts');
    expect(lastUserText(rec('chat', {}))).toBe('');
  });
});
