import type { TokenUsage } from '../model/types.js';
import { argumentsText, DEFAULT_TEXT_CHUNKS, mockId, splitText } from './render-common.js';
import type { MockTurn } from './types.js';

/** Context a rendering needs besides the turn. */
export interface RenderContext {
  model: string;
  usage: TokenUsage;
}

/** A rendered SSE stream. */
export interface RenderedStream {
  /** One string per SSE event, ready to write. */
  events: string[];
  /** How many events a `hang` fault sends: up to and including the first delta of any output. */
  hangAfter: number;
}

/**
 * Renders a turn as Responses API SSE events (one string per event, `event:` + `data:`), in
 * the order the OpenAI API sends them.
 */
export function renderResponses(turn: MockTurn, ctx: RenderContext): RenderedStream {
  const out: string[] = [];
  let seq = 0;
  let hangAfter = 0;
  const markDelta = (): void => {
    if (hangAfter === 0) hangAfter = out.length;
  };
  const emit = (type: string, payload: Record<string, unknown>): void => {
    out.push(`event: ${type}\ndata: ${JSON.stringify({ type, sequence_number: seq++, ...payload })}\n\n`);
  };
  const responseId = mockId('resp');
  const response = { id: responseId, object: 'response', model: ctx.model, status: 'in_progress', output: [] as unknown[] };
  emit('response.created', { response });

  if (turn.fault && 'failedEvent' in turn.fault) {
    const { code, message } = turn.fault.failedEvent;
    emit('response.failed', { response: { ...response, status: 'failed', error: { code, message } } });
    return { events: out, hangAfter: 1 };
  }

  const items: unknown[] = [];
  (turn.output ?? []).forEach((o, output_index) => {
    switch (o.type) {
      case 'text': {
        const id = mockId('msg');
        emit('response.output_item.added', {
          output_index,
          item: { type: 'message', id, role: 'assistant', status: 'in_progress', content: [] },
        });
        // The hot path for long streams: only `delta` and the sequence number vary per event.
        const head = `event: response.output_text.delta\ndata: {"type":"response.output_text.delta","item_id":"${id}","output_index":${output_index},"content_index":0,"sequence_number":`;
        for (const delta of splitText(o.text, o.chunks ?? DEFAULT_TEXT_CHUNKS)) {
          out.push(`${head}${seq++},"delta":${JSON.stringify(delta)}}\n\n`);
          markDelta();
        }
        const item = {
          type: 'message',
          id,
          role: 'assistant',
          status: 'completed',
          content: [{ type: 'output_text', text: o.text, annotations: [] }],
        };
        emit('response.output_item.done', { output_index, item });
        items.push(item);
        break;
      }
      case 'reasoning': {
        const id = mockId('rs');
        emit('response.output_item.added', { output_index, item: { type: 'reasoning', id, summary: [] } });
        const summary = o.summary ?? [];
        summary.forEach((text, summary_index) => {
          emit('response.reasoning_summary_part.added', { item_id: id, output_index, summary_index, part: { type: 'summary_text', text: '' } });
          emit('response.reasoning_summary_text.delta', { item_id: id, output_index, summary_index, delta: text });
          markDelta();
        });
        if (o.text) {
          emit('response.reasoning_text.delta', { item_id: id, output_index, content_index: 0, delta: o.text });
          markDelta();
        }
        const item: Record<string, unknown> = {
          type: 'reasoning',
          id,
          summary: summary.map((text) => ({ type: 'summary_text', text })),
          encrypted_content: `mock-encrypted-${id}`,
        };
        if (o.text) item.content = [{ type: 'reasoning_text', text: o.text }];
        emit('response.output_item.done', { output_index, item });
        items.push(item);
        break;
      }
      case 'function_call': {
        const id = mockId('fc');
        const call_id = o.callId ?? mockId('call');
        const args = argumentsText(o.arguments);
        emit('response.output_item.added', {
          output_index,
          item: { type: 'function_call', id, call_id, name: o.name, arguments: '', status: 'in_progress' },
        });
        emit('response.function_call_arguments.delta', { item_id: id, output_index, delta: args });
        markDelta();
        const item = { type: 'function_call', id, call_id, name: o.name, arguments: args, status: 'completed' };
        emit('response.output_item.done', { output_index, item });
        items.push(item);
        break;
      }
      case 'custom_tool_call': {
        const id = mockId('ctc');
        const call_id = o.callId ?? mockId('call');
        emit('response.output_item.added', {
          output_index,
          item: { type: 'custom_tool_call', id, call_id, name: o.name, input: '', status: 'in_progress' },
        });
        emit('response.custom_tool_call_input.delta', { item_id: id, output_index, delta: o.input });
        markDelta();
        const item = { type: 'custom_tool_call', id, call_id, name: o.name, input: o.input, status: 'completed' };
        emit('response.output_item.done', { output_index, item });
        items.push(item);
        break;
      }
    }
  });

  const u = ctx.usage;
  const incomplete = turn.fault && 'incomplete' in turn.fault ? turn.fault.incomplete : null;
  emit(incomplete ? 'response.incomplete' : 'response.completed', {
    response: {
      ...response,
      status: incomplete ? 'incomplete' : 'completed',
      ...(incomplete ? { incomplete_details: { reason: incomplete } } : {}),
      output: items,
      usage: {
        input_tokens: u.inputTokens,
        input_tokens_details: { cached_tokens: u.cachedInputTokens },
        output_tokens: u.outputTokens,
        output_tokens_details: { reasoning_tokens: u.reasoningOutputTokens },
        total_tokens: u.totalTokens,
      },
    },
  });
  return { events: out, hangAfter: hangAfter || 1 };
}
