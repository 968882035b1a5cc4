import { argumentsText, DEFAULT_TEXT_CHUNKS, mockId, splitText } from './render-common.js';
import type { RenderContext, RenderedStream } from './render-responses.js';
import type { MockTurn } from './types.js';

/**
 * Renders a turn as Chat Completions SSE chunks (one string per `data:` line): text as
 * `delta.content`, reasoning as `delta.reasoning_content`, tool calls as `delta.tool_calls`
 * (custom tool calls as functions with `{"input": ...}` arguments), a finish chunk, a usage
 * chunk, and `data: [DONE]`.
 */
export function renderChat(turn: MockTurn, ctx: RenderContext): RenderedStream {
  const out: string[] = [];
  let hangAfter = 0;
  const id = mockId('chatcmpl');
  const created = Math.floor(Date.now() / 1000);
  // The envelope is the same for every chunk: build its JSON once, not per delta.
  const prefix = `data: {"id":${JSON.stringify(id)},"object":"chat.completion.chunk","created":${created},"model":${JSON.stringify(ctx.model)},`;
  const chunk = (delta: Record<string, unknown>, finish: string | null = null): void => {
    out.push(`${prefix}"choices":[{"index":0,"delta":${JSON.stringify(delta)},"finish_reason":${JSON.stringify(finish)}}]}\n\n`);
  };
  const outputChunk = (delta: Record<string, unknown>): void => {
    chunk(delta);
    if (hangAfter === 0) hangAfter = out.length;
  };
  chunk({ role: 'assistant', content: '' });

  if (turn.fault && 'failedEvent' in turn.fault) {
    const { code, message } = turn.fault.failedEvent;
    out.push(`data: ${JSON.stringify({ error: { code, message, type: code } })}\n\n`);
    return { events: out, hangAfter: 1 };
  }

  let toolIndex = 0;
  for (const o of turn.output ?? []) {
    switch (o.type) {
      case 'text':
        for (const content of splitText(o.text, o.chunks ?? DEFAULT_TEXT_CHUNKS)) outputChunk({ content });
        break;
      case 'reasoning': {
        const text = [...(o.summary ?? []), ...(o.text ? [o.text] : [])].join('\n\n');
        for (const reasoning_content of splitText(text, 2)) outputChunk({ reasoning_content });
        break;
      }
      case 'function_call':
      case 'custom_tool_call': {
        const index = toolIndex++;
        const args = o.type === 'function_call' ? argumentsText(o.arguments) : JSON.stringify({ input: o.input });
        outputChunk({ tool_calls: [{ index, id: o.callId ?? mockId('call'), type: 'function', function: { name: o.name, arguments: '' } }] });
        for (const part of splitText(args, 2)) chunk({ tool_calls: [{ index, function: { arguments: part } }] });
        break;
      }
    }
  }
  chunk({}, toolIndex > 0 ? 'tool_calls' : 'stop');
  const u = ctx.usage;
  out.push(
    `${prefix}"choices":[],"usage":${JSON.stringify({
      prompt_tokens: u.inputTokens,
      completion_tokens: u.outputTokens,
      total_tokens: u.totalTokens,
      prompt_tokens_details: { cached_tokens: u.cachedInputTokens },
      completion_tokens_details: { reasoning_tokens: u.reasoningOutputTokens },
    })}}\n\n`,
  );
  out.push('data: [DONE]\n\n');
  return { events: out, hangAfter: hangAfter || 1 };
}
