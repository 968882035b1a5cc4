import type { MockTurn, RecordedRequest } from './types.js';

/**
 * The text of the last user message of a recorded request, in either wire format (Responses
 * `input` items or chat `messages`); text parts are concatenated. Empty when there is none.
 */
export function lastUserText(req: RecordedRequest): string {
  const body = req.body as Record<string, unknown> | null;
  if (!body || typeof body !== 'object') return '';
  const list = req.api === 'chat' ? body.messages : body.input;
  if (typeof list === 'string') return list;
  if (!Array.isArray(list)) return '';
  for (let i = list.length - 1; i >= 0; i--) {
    const m = list[i] as Record<string, unknown> | null;
    if (!m || m.role !== 'user' || (m.type !== undefined && m.type !== 'message')) continue;
    return contentText(m.content);
  }
  return '';
}

function contentText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  let text = '';
  for (const p of content as Record<string, unknown>[]) {
    if ((p.type === 'input_text' || p.type === 'text') && typeof p.text === 'string') text += p.text;
  }
  return text;
}

/** The default responder: replies `Echo: <last user text>` in a few chunks. */
export function echoResponder(req: RecordedRequest): MockTurn {
  return { output: [{ type: 'text', text: `Echo: ${lastUserText(req)}`, chunks: 3 }] };
}
