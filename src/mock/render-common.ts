import { randomBytes } from 'node:crypto';
import type { TokenUsage } from '../model/types.js';
import type { MockOutput, MockTurn } from './types.js';

/** A short random id with a prefix, e.g. `msg_1a2b3c4d5e6f`. */
export function mockId(prefix: string): string {
  return `${prefix}_${randomBytes(6).toString('hex')}`;
}

/** Splits `text` into `chunks` nearly equal pieces without breaking surrogate pairs. */
export function splitText(text: string, chunks: number): string[] {
  if (text === '') return [];
  const n = Math.max(1, Math.min(Math.floor(chunks), text.length));
  if (n === 1) return [text];
  const size = Math.ceil(text.length / n);
  const out: string[] = [];
  let i = 0;
  while (i < text.length) {
    let end = Math.min(text.length, i + size);
    const code = text.charCodeAt(end - 1);
    if (end < text.length && code >= 0xd800 && code <= 0xdbff) end++;
    out.push(text.slice(i, end));
    i = end;
  }
  return out;
}

/** The JSON text of function-call arguments. */
export function argumentsText(args: object | string): string {
  return typeof args === 'string' ? args : JSON.stringify(args);
}

/**
 * Usage for a turn: roughly 4 characters per token over the request body and the output, with
 * the turn's overrides applied (the total is recomputed unless overridden).
 */
export function mockUsage(requestChars: number, turn: MockTurn): TokenUsage {
  let outChars = 0;
  let reasoningChars = 0;
  for (const o of turn.output ?? []) outChars += outputChars(o, (n) => (reasoningChars += n));
  const base = {
    inputTokens: Math.ceil(requestChars / 4),
    cachedInputTokens: 0,
    outputTokens: Math.ceil(outChars / 4),
    reasoningOutputTokens: Math.ceil(reasoningChars / 4),
  };
  const u = { ...base, ...turn.usage };
  return { ...u, totalTokens: turn.usage?.totalTokens ?? u.inputTokens + u.outputTokens };
}

function outputChars(o: MockOutput, reasoning: (n: number) => void): number {
  switch (o.type) {
    case 'text':
      return o.text.length;
    case 'reasoning': {
      const n = (o.summary ?? []).reduce((a, s) => a + s.length, 0) + (o.text?.length ?? 0);
      reasoning(n);
      return n;
    }
    case 'function_call':
      return o.name.length + argumentsText(o.arguments).length;
    case 'custom_tool_call':
      return o.name.length + o.input.length;
  }
}

/** Default number of deltas for a text output. */
export const DEFAULT_TEXT_CHUNKS = 3;
