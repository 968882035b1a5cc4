import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMockModelServer, type MockModelServer } from '../../../src/mock/index.js';
import type { HistoryItem, ToolSpec } from '../../../src/model/types.js';
import { clientFor, collect, userRequest } from './support.js';

let server: MockModelServer;
beforeAll(async () => {
  server = await startMockModelServer();
});
afterAll(async () => {
  await server.close();
});

const tools: ToolSpec[] = [
  { type: 'function', name: 'shell', description: 'Run a command', parameters: { type: 'object', properties: { cmd: { type: 'string' } } }, strict: false },
  { type: 'custom', name: 'apply_patch', description: 'Apply a patch', format: { type: 'grammar', syntax: 'lark', definition: 'start: "x"' } },
];

const history: HistoryItem[] = [
  { type: 'message', role: 'developer', content: [{ type: 'input_text', text: 'Be brief.' }] },
  {
    type: 'message',
    role: 'user',
    content: [
      { type: 'input_text', text: 'What is in ' },
      { type: 'input_text', text: 'this picture?' },
      { type: 'input_image', image_url: 'data:image/png;base64,AAAA', detail: 'low' },
    ],
  },
  { type: 'reasoning', summary: [{ type: 'summary_text', text: 'thinking' }], encrypted_content: 'enc' },
  { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'Let me look.' }] },
  { type: 'function_call', call_id: 'c1', name: 'shell', arguments: '{"cmd":"ls"}' },
  { type: 'function_call', call_id: 'c2', name: 'shell', arguments: '{"cmd":"pwd"}' },
  { type: 'function_call_output', call_id: 'c1', output: 'a.txt' },
  { type: 'function_call_output', call_id: 'c2', output: '/tmp' },
  { type: 'custom_tool_call', call_id: 'c3', name: 'apply_patch', input: '*** Begin Patch' },
  { type: 'custom_tool_call_output', call_id: 'c3', output: 'Done!' },
  { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'thanks' }] },
];

describe('chat request body', () => {
  it('converts history with images, merged tool calls and tool outputs to chat messages', async () => {
    const before = server.requests.length;
    const req = userRequest('', { input: history, tools, parallelToolCalls: false });
    await collect(clientFor(server, 'chat').stream(req, new AbortController().signal));
    const recorded = server.requests[before]!;
    expect(recorded.api).toBe('chat');
    expect(recorded.path).toBe('/v1/chat/completions');
    expect(recorded.body.stream).toBe(true);
    expect(recorded.body.stream_options).toEqual({ include_usage: true });
    expect(recorded.body.parallel_tool_calls).toBe(false);
    expect(recorded.body.messages).toEqual([
      { role: 'system', content: 'You are a test.' },
      { role: 'system', content: 'Be brief.' },
      {
        role: 'user',
        content: [
          { type: 'text', text: 'What is in ' },
          { type: 'text', text: 'this picture?' },
          { type: 'image_url', image_url: { url: 'data:image/png;base64,AAAA', detail: 'low' } },
        ],
      },
      {
        role: 'assistant',
        content: 'Let me look.',
        tool_calls: [
          { id: 'c1', type: 'function', function: { name: 'shell', arguments: '{"cmd":"ls"}' } },
          { id: 'c2', type: 'function', function: { name: 'shell', arguments: '{"cmd":"pwd"}' } },
        ],
      },
      { role: 'tool', tool_call_id: 'c1', content: 'a.txt' },
      { role: 'tool', tool_call_id: 'c2', content: '/tmp' },
      {
        role: 'assistant',
        content: null,
        tool_calls: [{ id: 'c3', type: 'function', function: { name: 'apply_patch', arguments: '{"input":"*** Begin Patch"}' } }],
      },
      { role: 'tool', tool_call_id: 'c3', content: 'Done!' },
      { role: 'user', content: 'thanks' },
    ]);
    expect(recorded.body.tools).toEqual([
      { type: 'function', function: { name: 'shell', description: 'Run a command', parameters: tools[0]!.type === 'function' ? tools[0]!.parameters : {}, strict: false } },
      {
        type: 'function',
        function: {
          name: 'apply_patch',
          description: 'Apply a patch',
          parameters: {
            type: 'object',
            properties: { input: { type: 'string', description: expect.stringContaining('start: "x"') } },
            required: ['input'],
            additionalProperties: false,
          },
        },
      },
    ]);
  });

  it('omits tools when none are offered', async () => {
    const before = server.requests.length;
    await collect(clientFor(server, 'chat').stream(userRequest(), new AbortController().signal));
    const body = server.requests[before]!.body;
    expect(body.tools).toBeUndefined();
    expect(body.tool_choice).toBeUndefined();
    expect(body.messages).toEqual([
      { role: 'system', content: 'You are a test.' },
      { role: 'user', content: 'hello' },
    ]);
  });
});

describe('responses request body', () => {
  it('sends the Responses body, auth, provider headers and query params', async () => {
    const before = server.requests.length;
    const schema = { type: 'object', properties: { ok: { type: 'boolean' } } };
    const req = userRequest('hi', {
      input: history,
      tools,
      reasoning: { effort: 'high', summary: 'auto' },
      outputSchema: schema,
      promptCacheKey: 'thread-1',
    });
    const client = clientFor(server, 'responses', { apiKey: 'sk-test', httpHeaders: { 'x-extra': 'yes' }, queryParams: { 'api-version': '2025-01-01' } });
    await collect(client.stream(req, new AbortController().signal));
    const r = server.requests[before]!;
    expect(r.api).toBe('responses');
    expect(r.path).toBe('/v1/responses?api-version=2025-01-01');
    expect(r.headers.authorization).toBe('Bearer sk-test');
    expect(r.headers['x-extra']).toBe('yes');
    expect(r.headers.accept).toBe('text/event-stream');
    expect(r.headers['content-type']).toBe('application/json');
    expect(r.body).toEqual({
      model: 'mock-model',
      instructions: 'You are a test.',
      input: history,
      tools: [
        { type: 'function', name: 'shell', description: 'Run a command', parameters: tools[0]!.type === 'function' ? tools[0]!.parameters : {}, strict: false },
        { type: 'custom', name: 'apply_patch', description: 'Apply a patch', format: { type: 'grammar', syntax: 'lark', definition: 'start: "x"' } },
      ],
      tool_choice: 'auto',
      parallel_tool_calls: true,
      reasoning: { effort: 'high', summary: 'auto' },
      include: ['reasoning.encrypted_content'],
      store: false,
      stream: true,
      prompt_cache_key: 'thread-1',
      text: { format: { type: 'json_schema', name: 'codex_output_schema', schema, strict: true } },
    });
  });

  it('leaves out reasoning, include and authorization when not configured', async () => {
    const before = server.requests.length;
    await collect(clientFor(server, 'responses').stream(userRequest(), new AbortController().signal));
    const r = server.requests[before]!;
    expect(r.headers.authorization).toBeUndefined();
    expect(r.body.reasoning).toBeUndefined();
    expect(r.body.include).toBeUndefined();
    expect(r.body.text).toBeUndefined();
  });
});
