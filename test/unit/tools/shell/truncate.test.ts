import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { approxTokenCount, truncateForModel } from '../../../../src/tools/shell/truncate.js';

describe('truncateForModel', () => {
  it('returns text within budget unchanged', () => {
    expect(truncateForModel('short\n', 100)).toBe('short\n');
    expect(truncateForModel('x'.repeat(40), { maxTokens: 10 })).toBe('x'.repeat(40));
  });

  it('keeps head and tail lines with a marker counting what was cut', () => {
    const text = Array.from({ length: 1000 }, (_, i) => `line ${i}`).join('\n') + '\n';
    const out = truncateForModel(text, { maxBytes: 200 });
    expect(out.startsWith('line 0\nline 1\n')).toBe(true);
    expect(out.endsWith('line 999\n')).toBe(true);
    const m = /\[\.\.\. (\d+) lines \/ (\d+) bytes omitted \.\.\.\]/.exec(out);
    expect(m).not.toBeNull();
    const kept = out.replace(/\[\.\.\. .* omitted \.\.\.\]\n/, '');
    expect(Buffer.byteLength(kept) + Number(m?.[2])).toBe(Buffer.byteLength(text));
    // Cut at line boundaries: every kept line is a whole original line.
    for (const line of kept.split('\n').filter(Boolean)) expect(line).toMatch(/^line \d+$/);
  });

  it('treats a token budget as about four bytes per token', () => {
    const out = truncateForModel('a'.repeat(10_000), { maxTokens: 100 });
    expect(Buffer.byteLength(out)).toBeLessThan(500);
    expect(approxTokenCount('abcd')).toBe(1);
  });

  it('never splits a UTF-8 character and stays near the budget', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 400 }), fc.integer({ min: 8, max: 300 }), (text, max) => {
        const out = truncateForModel(text, max);
        expect(out).not.toContain('\uFFFD');
        if (Buffer.byteLength(text) <= max) expect(out).toBe(text);
        else expect(Buffer.byteLength(out)).toBeLessThanOrEqual(max + 60);
      }),
    );
  });
});
