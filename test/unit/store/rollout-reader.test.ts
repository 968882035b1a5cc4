import { describe, expect, it } from 'vitest';
import type { HistoryItem } from '../../../src/model/types.js';
import { reconstructThread } from '../../../src/store/reconstruct.js';
import { LazyResponseItemLine, parseRolloutText, responseItemOf } from '../../../src/store/rollout-reader.js';
import type { RolloutLine } from '../../../src/store/types.js';

const user = (text: string): HistoryItem => ({ type: 'message', role: 'user', content: [{ type: 'input_text', text }] });
const jsonl = (lines: unknown[]) => lines.map((l) => `${JSON.stringify(l)}\n`).join('');

describe('parseRolloutText', () => {
  it('gives response_item lines back lazily, decoding each item only when the history is read', () => {
    const lines: RolloutLine[] = [
      { ts: 1, type: 'turn_started', turnId: 't1', settings: {} },
      { ts: 1_796_169_304_618, type: 'response_item', turnId: 't1', item: user('héllo "quoted"\n') },
      { ts: 3, type: 'response_item', turnId: null, item: user('copied') },
      { ts: 4, type: 'item_completed', turnId: 't1', item: { type: 'agentMessage', id: 'a', text: 'x' } },
    ];
    const { lines: read, tornTail } = parseRolloutText(jsonl(lines) + jsonl([{ ts: 5, type: 'settings', settings: {} }]));
    expect(tornTail).toBe(false);
    const lazy = read[1] as LazyResponseItemLine;
    expect(lazy).toBeInstanceOf(LazyResponseItemLine);
    expect([lazy.ts, lazy.turnId]).toEqual([1_796_169_304_618, 't1']);
    expect((read[2] as LazyResponseItemLine).turnId).toBeNull();
    expect(JSON.parse(JSON.stringify(read.slice(0, 4)))).toEqual(lines);
    expect(reconstructThread(read).history).toEqual([user('héllo "quoted"\n'), user('copied')]);
  });

  it('parses in full a response_item line of another shape (a key after the item, an escaped turn id)', () => {
    const after = '{"ts":1,"type":"response_item","turnId":"t1","item":{"type":"message","role":"user","content":[]},"extra":{"a":1}}';
    const escaped = JSON.stringify({ ts: 2, type: 'response_item', turnId: 't"2', item: user('two') });
    const { lines } = parseRolloutText(`${after}\n${escaped}\n{"ts":3,"type":"revert_undone"}\n`);
    expect(responseItemOf(lines[0] as Extract<RolloutLine, { type: 'response_item' }>)).toEqual({ type: 'message', role: 'user', content: [] });
    expect(lines[1]).not.toBeInstanceOf(LazyResponseItemLine);
    expect(lines[1]).toMatchObject({ turnId: 't"2', item: user('two') });
  });

  it('skips a corrupt item when the history is read, not when the rollout is, and still reports a torn last line', () => {
    const bad = '{"ts":1,"type":"response_item","turnId":"t1","item":{"type":"message",,}}';
    const good = JSON.stringify({ ts: 2, type: 'response_item', turnId: 't1', item: user('ok') });
    const torn = JSON.stringify({ ts: 3, type: 'response_item', turnId: 't1', item: user('cut') }).slice(0, 40);
    const bad1: number[] = [];
    const { lines, tornTail } = parseRolloutText(`${bad}\n${good}\n${torn}`, (n) => bad1.push(n));
    expect(tornTail).toBe(true);
    expect(bad1).toEqual([3]);
    expect(lines).toHaveLength(2);
    const thread = reconstructThread(lines);
    expect(thread.history).toEqual([user('ok')]);
    expect(() => (lines[0] as LazyResponseItemLine).item).toThrow(/corrupt/);
  });
});

describe('readRollout', () => {
  it('reads a file in pieces exactly as the whole text parses: long lines, multi-byte text at every cut, a torn tail', async () => {
    const { mkdtempSync, rmSync, writeFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { readRollout } = await import('../../../src/store/rollout-reader.js');
    const { silentLogger } = await import('../../../src/util/logger.js');
    const dir = mkdtempSync(join(tmpdir(), 'agentd-reader-'));
    try {
      // Line sizes around the 64 KiB piece and the 1 MiB buffer, with 2-, 3- and 4-byte characters.
      const sizes = [10, 65_530, 65_536, 70_000, 3, 1_048_570, 1_100_000, 100, ...Array.from({ length: 120 }, (_, i) => (997 * i) % 9001)];
      const lines: RolloutLine[] = sizes.map((n, i) =>
        i % 2 === 0
          ? { ts: i, type: 'response_item', turnId: `t${i}`, item: user('é€😀'.repeat(Math.ceil(n / 7)).slice(0, n)) }
          : { ts: i, type: 'item_completed', turnId: `t${i}`, item: { type: 'agentMessage', id: `a${i}`, text: 'x€'.repeat(n >> 1) } },
      );
      for (const [name, text] of [
        ['whole', jsonl(lines)],
        ['no-final-newline', jsonl(lines).slice(0, -1)],
        ['torn', `${jsonl(lines)}{"ts":1,"type":"item_completed","turnId":"x","item":{"ty`],
      ] as const) {
        const file = join(dir, `${name}.jsonl`);
        writeFileSync(file, text);
        const got = await readRollout(file, silentLogger());
        const want = parseRolloutText(text);
        expect(got.tornTail, name).toBe(want.tornTail);
        expect(got.tornTail, name).toBe(name === 'torn');
        expect(got.lines.length, name).toBe(lines.length);
        expect(JSON.stringify(got.lines) === JSON.stringify(lines), name).toBe(true);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('lazy history read from a file', () => {
  it('decodes the history with one read of the rollout, and refuses a rollout changed under it', async () => {
    const { mkdtempSync, rmSync, writeFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { readRollout } = await import('../../../src/store/rollout-reader.js');
    const { silentLogger } = await import('../../../src/util/logger.js');
    const dir = mkdtempSync(join(tmpdir(), 'agentd-lazy-'));
    try {
      const items = ['plain', 'ünïcödé ✓ 😀', 'x'.repeat(70_000), 'last'].map(user);
      const lines: RolloutLine[] = items.map((item, i) => ({ ts: i, type: 'response_item', turnId: i % 2 ? 'tü' : 't0', item }));
      lines.push({ ts: 9, type: 'settings', settings: {} });
      const file = join(dir, 'r.jsonl');
      writeFileSync(file, jsonl(lines));
      const read = await readRollout(file, silentLogger());
      expect(read.lines.slice(0, 4).every((l) => l instanceof LazyResponseItemLine)).toBe(true);
      expect(reconstructThread(read.lines).history).toEqual(items);
      expect(read.lines.slice(0, 4).map((l) => (l as LazyResponseItemLine).turnId)).toEqual(['t0', 'tü', 't0', 'tü']);

      const again = await readRollout(file, silentLogger());
      writeFileSync(file, 'replaced\n');
      expect(() => reconstructThread(again.lines).history).toThrow(/changed under the loaded thread/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
