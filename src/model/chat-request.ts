import type { ContentPart, HistoryItem, ModelRequest, ToolSpec } from './types.js';

/** A tool call inside an assistant chat message. */
export interface ChatToolCall {
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
}

/** A user content part in Chat Completions form. */
export type ChatContentPart =
  | { type: 'text'; text: string }
  | { type: 'image_url'; image_url: { url: string; detail?: 'auto' | 'low' | 'high' } };

/** One Chat Completions message. */
export type ChatMessage =
  | { role: 'system'; content: string }
  | { role: 'user'; content: string | ChatContentPart[] }
  | { role: 'assistant'; content: string | null; tool_calls?: ChatToolCall[] }
  | { role: 'tool'; tool_call_id: string; content: string };

/** The JSON body of a Chat Completions request. */
export function buildChatBody(req: ModelRequest): Record<string, unknown> {
  const body: Record<string, unknown> = {
    model: req.model,
    messages: toChatMessages(req.instructions, req.input),
    stream: true,
    stream_options: { include_usage: true },
  };
  // Several local servers reject an empty `tools` array or a lone `tool_choice`.
  if (req.tools.length > 0) {
    body.tools = req.tools.map(toChatTool);
    body.tool_choice = 'auto';
    body.parallel_tool_calls = req.parallelToolCalls;
  }
  if (req.reasoning?.effort) body.reasoning_effort = req.reasoning.effort;
  if (req.outputSchema !== undefined && req.outputSchema !== null) {
    body.response_format = { type: 'json_schema', json_schema: { name: 'codex_output_schema', schema: req.outputSchema, strict: true } };
  }
  return body;
}

/**
 * A tool in Chat Completions form. Chat has no freeform tools, so a custom tool becomes a
 * function with a single string parameter `input`; its grammar, if any, goes into the
 * parameter's description so the model still sees it.
 */
export function toChatTool(t: ToolSpec): Record<string, unknown> {
  if (t.type === 'function') {
    const fn: Record<string, unknown> = { name: t.name, description: t.description, parameters: t.parameters };
    if (t.strict !== undefined) fn.strict = t.strict;
    return { type: 'function', function: fn };
  }
  let inputDescription = 'The raw input for this tool.';
  if (t.format?.type === 'grammar') {
    inputDescription = `The raw input for this tool. It must match this ${t.format.syntax} grammar:\n${t.format.definition}`;
  }
  return {
    type: 'function',
    function: {
      name: t.name,
      description: t.description,
      parameters: {
        type: 'object',
        properties: { input: { type: 'string', description: inputDescription } },
        required: ['input'],
        additionalProperties: false,
      },
    },
  };
}

/**
 * Converts Responses-format history to chat messages: instructions become the system message,
 * developer messages become system messages, consecutive tool calls (and the assistant text right
 * before them) merge into one assistant message, tool outputs become `tool` messages, and
 * reasoning items are dropped (chat servers cannot take them back).
 */
export function toChatMessages(instructions: string, input: HistoryItem[]): ChatMessage[] {
  const out: ChatMessage[] = [];
  if (instructions) out.push({ role: 'system', content: instructions });
  for (const item of input) {
    switch (item.type) {
      case 'message':
        out.push(messageToChat(item.role, item.content));
        break;
      case 'function_call':
        appendToolCall(out, { id: item.call_id, type: 'function', function: { name: item.name, arguments: item.arguments } });
        break;
      case 'custom_tool_call':
        appendToolCall(out, {
          id: item.call_id,
          type: 'function',
          function: { name: item.name, arguments: JSON.stringify({ input: item.input }) },
        });
        break;
      case 'function_call_output':
      case 'custom_tool_call_output':
        out.push({ role: 'tool', tool_call_id: item.call_id, content: item.output });
        break;
      case 'reasoning':
        break;
    }
  }
  return out;
}

function messageToChat(role: 'user' | 'assistant' | 'system' | 'developer', content: ContentPart[]): ChatMessage {
  let text = '';
  let hasImage = false;
  for (const p of content) {
    if (p.type === 'input_image') hasImage = true;
    else text += p.text;
  }
  if (role === 'assistant') return { role: 'assistant', content: text };
  if (role === 'system' || role === 'developer') return { role: 'system', content: text };
  if (!hasImage) return { role: 'user', content: text };
  const parts: ChatContentPart[] = content.map((p) =>
    p.type === 'input_image'
      ? { type: 'image_url', image_url: p.detail ? { url: p.image_url, detail: p.detail } : { url: p.image_url } }
      : { type: 'text', text: p.text },
  );
  return { role: 'user', content: parts };
}

function appendToolCall(out: ChatMessage[], call: ChatToolCall): void {
  const last = out[out.length - 1];
  if (last && last.role === 'assistant') {
    (last.tool_calls ??= []).push(call);
    return;
  }
  out.push({ role: 'assistant', content: null, tool_calls: [call] });
}
