/**
 * Head+tail truncation of command output for the model. The client receives the full stream;
 * the model gets the beginning and the end with a marker saying how much was cut.
 */

/** A budget in bytes, or in tokens (≈ 4 bytes each, as Codex estimates). */
export type TruncationLimit = number | { maxBytes: number } | { maxTokens: number };

/** Bytes per token used to turn a token budget into a byte budget. */
export const BYTES_PER_TOKEN = 4;

function budgetBytes(limit: TruncationLimit): number {
  if (typeof limit === 'number') return limit;
  if ('maxBytes' in limit) return limit.maxBytes;
  return limit.maxTokens * BYTES_PER_TOKEN;
}

/** Approximate token count of a text (bytes / 4, rounded up). */
export function approxTokenCount(text: string): number {
  return Math.ceil(Buffer.byteLength(text, 'utf8') / BYTES_PER_TOKEN);
}

function isContinuation(byte: number | undefined): boolean {
  return byte !== undefined && (byte & 0xc0) === 0x80;
}

function countNewlines(buf: Buffer, from: number, to: number): number {
  let n = 0;
  for (let i = from; i < to; i++) if (buf[i] === 0x0a) n++;
  return n;
}

/**
 * Keeps about half the budget from the start and half from the end, cut at line boundaries when
 * a line boundary is near, and never inside a UTF-8 character. Text within budget is returned
 * unchanged.
 */
export function truncateForModel(text: string, limit: TruncationLimit): string {
  const max = Math.max(0, Math.floor(budgetBytes(limit)));
  const buf = Buffer.from(text, 'utf8');
  if (buf.length <= max) return text;

  const half = Math.floor(max / 2);
  let headEnd = half;
  while (headEnd > 0 && isContinuation(buf[headEnd])) headEnd--;
  const lastNl = buf.lastIndexOf(0x0a, headEnd - 1);
  // Prefer whole lines, unless that would throw away most of the head.
  if (lastNl >= 0 && lastNl + 1 >= headEnd / 2) headEnd = lastNl + 1;

  let tailStart = buf.length - (max - half);
  while (tailStart < buf.length && isContinuation(buf[tailStart])) tailStart++;
  const nextNl = buf.indexOf(0x0a, tailStart > 0 ? tailStart - 1 : 0);
  if (nextNl >= 0 && nextNl + 1 < buf.length && nextNl + 1 - tailStart <= (buf.length - tailStart) / 2) {
    tailStart = nextNl + 1;
  }
  if (tailStart < headEnd) tailStart = headEnd;

  const omittedBytes = tailStart - headEnd;
  const omittedLines = countNewlines(buf, headEnd, tailStart);
  const head = buf.subarray(0, headEnd).toString('utf8');
  const tail = buf.subarray(tailStart).toString('utf8');
  const marker = `[... ${omittedLines} lines / ${omittedBytes} bytes omitted ...]`;
  const sepBefore = head.length === 0 || head.endsWith('\n') ? '' : '\n';
  return `${head}${sepBefore}${marker}\n${tail}`;
}
