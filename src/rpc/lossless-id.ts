/**
 * Request ids that JavaScript numbers cannot hold. JSON-RPC allows any integer id and Codex
 * echoes ids digit for digit, but `JSON.parse` rounds integers above 2^53
 * (`9007199254740993` → `9007199254740992`). The reader keeps such an id as its literal text in a
 * {@link LosslessId}; {@link stringifyMessage} writes it back verbatim.
 */
export class LosslessId {
  /** @param raw the integer literal exactly as the client wrote it, e.g. `9007199254740993` */
  constructor(readonly raw: string) {}

  /** For logs: the digits, as a string. */
  toJSON(): string {
    return this.raw;
  }
}

/** A request id as the transport carries it. */
export type WireId = string | number | LosslessId;

const INTEGER_LITERAL = /^-?(?:0|[1-9][0-9]*)$/;

/** `JSON.stringify`, except that a top-level `id` holding a {@link LosslessId} is written as its literal. */
export function stringifyMessage(value: unknown): string {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return JSON.stringify(value);
  const obj = value as Record<string, unknown>;
  if (!(obj.id instanceof LosslessId)) return JSON.stringify(value);
  const parts: string[] = [];
  for (const [key, v] of Object.entries(obj)) {
    const text = key === 'id' ? (v as LosslessId).raw : JSON.stringify(v);
    if (text !== undefined) parts.push(`${JSON.stringify(key)}:${text}`);
  }
  return `{${parts.join(',')}}`;
}

/**
 * The integer literal at `path` (object keys from the top) in the valid JSON `text`, or
 * undefined when there is none or the value there is not an integer literal. With duplicate
 * keys the last one counts, as in `JSON.parse`. Iterative: nesting depth costs no stack.
 */
export function rawIntegerAt(text: string, path: readonly string[]): string | undefined {
  let pos = skipWs(text, 0);
  for (const key of path) {
    if (text[pos] !== '{') return undefined;
    const found = lastValueOf(text, pos, key);
    if (found === undefined) return undefined;
    pos = found;
  }
  const end = scalarEnd(text, pos);
  const literal = text.slice(pos, end);
  return INTEGER_LITERAL.test(literal) ? literal : undefined;
}

/** Start of the value of the last `key` in the object opening at `open`. */
function lastValueOf(text: string, open: number, key: string): number | undefined {
  let found: number | undefined;
  let i = skipWs(text, open + 1);
  if (text[i] === '}') return undefined;
  while (i < text.length) {
    const keyEnd = stringEnd(text, i);
    const name = JSON.parse(text.slice(i, keyEnd)) as string;
    i = skipWs(text, keyEnd);
    i = skipWs(text, i + 1); // ':'
    if (name === key) found = i;
    i = skipWs(text, valueEnd(text, i));
    if (text[i] !== ',') break;
    i = skipWs(text, i + 1);
  }
  return found;
}

/** End (exclusive) of the value starting at `i`. */
function valueEnd(text: string, i: number): number {
  const c = text[i];
  if (c === '"') return stringEnd(text, i);
  if (c !== '{' && c !== '[') return scalarEnd(text, i);
  let depth = 0;
  while (i < text.length) {
    const ch = text[i];
    if (ch === '"') {
      i = stringEnd(text, i);
      continue;
    }
    if (ch === '{' || ch === '[') depth++;
    else if (ch === '}' || ch === ']') {
      depth--;
      if (depth === 0) return i + 1;
    }
    i++;
  }
  return i;
}

/** End (exclusive) of the string literal opening at `i`. */
function stringEnd(text: string, i: number): number {
  for (let j = i + 1; j < text.length; j++) {
    const ch = text[j];
    if (ch === '\\') j++;
    else if (ch === '"') return j + 1;
  }
  return text.length;
}

/** End (exclusive) of a number, `true`, `false` or `null` starting at `i`. */
function scalarEnd(text: string, i: number): number {
  let j = i;
  while (j < text.length && !',}] \t\r\n'.includes(text[j]!)) j++;
  return j;
}

function skipWs(text: string, i: number): number {
  while (i < text.length && ' \t\r\n'.includes(text[i]!)) i++;
  return i;
}
