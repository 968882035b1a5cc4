import { describe, expect, it } from 'vitest';
import { imagesForModel, resultForItem, resultForModel, sanitizeInputSchema } from '../../../../src/tools/mcp/format.js';
import { TOOL_NAME_PATTERN, ToolNamer } from '../../../../src/tools/mcp/names.js';

describe('MCP tool names', () => {
  it('are mcp__<server>__<tool>, with refused characters replaced', () => {
    const n = new ToolNamer();
    expect(n.name('github', 'create_issue')).toBe('mcp__github__create_issue');
    // A cleaned name could be another tool's plain name (`my_server`, `do_it_now`): it gets a hash.
    expect(n.name('my server', 'do.it/now')).toMatch(/^mcp___my_server__do_it_now_[0-9a-f]{16}$/);
    expect(n.name('my_server', 'do_it_now')).toBe('mcp__my_server__do_it_now');
  });

  it('stay within ^[a-zA-Z0-9_-]{1,64}$, unique, and stable, however long or clashing', () => {
    const n = new ToolNamer();
    const long = n.name('a-very-long-server-name-that-goes-on', 'and_an_even_longer_tool_name_that_never_ends_at_all');
    expect(long).toMatch(TOOL_NAME_PATTERN);
    expect(long.length).toBe(64);
    const a = n.name('s', 'x.y');
    const b = n.name('s', 'x/y');
    const c = n.name('s', 'x_y');
    expect(new Set([a, b, c]).size).toBe(3);
    for (const x of [a, b, c]) expect(x).toMatch(TOOL_NAME_PATTERN);
    expect(new ToolNamer().name('a-very-long-server-name-that-goes-on', 'and_an_even_longer_tool_name_that_never_ends_at_all')).toBe(long);
    expect(n.name('', '')).toMatch(TOOL_NAME_PATTERN);
  });

  it('give a name to one server tool only, whatever other tools are listed (a server cannot take over a name)', () => {
    // Alone, the tool `c` of the server `a__b` is called `mcp__a__b__c`.
    const alone = new ToolNamer().name('a__b', 'c');
    // When the server `a` lists (later, via tools/list_changed) a tool `b__c`, it is named first
    // (servers by name): it must not take the name the model already uses for `a__b`'s `c`.
    const n = new ToolNamer();
    const hijacker = n.name('a', 'b__c');
    expect(n.name('a__b', 'c')).toBe(alone);
    expect(hijacker).not.toBe(alone);
    // Same with refused characters, trailing/leading underscores, and a crafted hash-like suffix.
    const pairs: [string, string][] = [
      ['s', 'x_y'],
      ['s', 'x.y'],
      ['a_', 'b'],
      ['a', '_b'],
      ['_a', 'b'],
      ['s', 'x'.repeat(70)],
    ];
    const single = pairs.map(([s, t]) => new ToolNamer().name(s, t));
    // The hashed name of the long one, offered as a plain tool name by a hostile server.
    const crafted = single[5]!.slice('mcp__s__'.length);
    const all = new ToolNamer();
    expect(all.name('s', crafted)).not.toBe(single[5]);
    for (const [i, [s, t]] of pairs.entries()) expect(all.name(s, t)).toBe(single[i]);
    expect(new Set(single).size).toBe(single.length);
  });

  it('never equal a built-in tool name', () => {
    const n = new ToolNamer();
    for (const builtin of ['exec_command', 'shell', 'apply_patch', 'update_plan']) expect(n.name(builtin, builtin).startsWith('mcp__')).toBe(true);
  });
});

describe('MCP schemas and results', () => {
  it('input schemas become object schemas without $schema; odd or huge ones an open object', () => {
    expect(sanitizeInputSchema({ $schema: 'x', type: 'object', properties: { a: { type: 'string' } }, required: ['a'] })).toEqual({
      type: 'object',
      properties: { a: { type: 'string' } },
      required: ['a'],
    });
    expect(sanitizeInputSchema({ type: 'string' })).toEqual({ type: 'object', properties: {} });
    expect(sanitizeInputSchema(null)).toEqual({ type: 'object', properties: {} });
    expect(sanitizeInputSchema({ type: 'object' })).toEqual({ type: 'object', properties: {} });
    const huge = { type: 'object', properties: Object.fromEntries(Array.from({ length: 5000 }, (_, i) => [`p${i}`, { type: 'string', description: 'x'.repeat(20) }])) };
    expect(sanitizeInputSchema(huge)).toEqual({ type: 'object', properties: {} });
  });

  it('the model gets text (images described, structured content when there is no text), truncated', () => {
    expect(resultForModel([{ type: 'text', text: 'a' }, { type: 'image', data: 'AAAA', mimeType: 'image/png' }], undefined, false)).toBe(
      'a\n[image: image/png, 3 bytes, attached below]',
    );
    expect(resultForModel([{ type: 'image', data: 'AAAA', mimeType: 'image/svg+xml' }], undefined, false)).toBe('[image: image/svg+xml, 3 bytes (not shown to the model)]');
    const five = Array.from({ length: 5 }, () => ({ type: 'image', data: 'AAAA', mimeType: 'image/png' }));
    expect(resultForModel(five, undefined, false).match(/attached below/g)).toHaveLength(4);
    expect(imagesForModel(five)).toHaveLength(4);
    expect(imagesForModel([{ type: 'image', data: 'not base64!', mimeType: 'image/png' }])).toEqual([]);
    expect(resultForModel([], { ok: 1 }, false)).toBe('{"ok":1}');
    expect(resultForModel([], undefined, true)).toMatch(/failed/);
    expect(resultForModel([{ type: 'text', text: 'x\n'.repeat(100_000) }], undefined, false).length).toBeLessThan(41_000);
  });

  it('the item keeps blocks but cuts long text and large binaries', () => {
    const item = resultForItem([{ type: 'text', text: 'y'.repeat(1_000_000) }, { type: 'image', data: 'A'.repeat(3_000_000), mimeType: 'image/png' }], undefined, undefined);
    expect(JSON.stringify(item).length).toBeLessThan(300_000);
    expect(item.content[1]).toMatchObject({ type: 'text' });
  });

  it('the item stays small and serialisable whatever a hostile server returns', () => {
    const deep = JSON.parse(`${'{"a":'.repeat(100_000)}1${'}'.repeat(100_000)}`) as unknown;
    const cases: [unknown[], unknown, unknown][] = [
      [[{ type: 'text', text: 'ok' }], undefined, deep],
      [[{ type: 'text', text: 'ok', annotations: deep }], undefined, undefined],
      [[{ type: 'resource', resource: { uri: 'x:y', text: 'r'.repeat(10_000_000) } }], undefined, undefined],
      [[{ type: 'text', text: 'ok', annotations: { junk: 'j'.repeat(5_000_000) } }], undefined, undefined],
      [Array.from({ length: 100_000 }, (_, i) => ({ type: 'text', text: `${i} ${'b'.repeat(1000)}` })), undefined, undefined],
      [['s'.repeat(5_000_000), 42, null], undefined, undefined],
      [[{ type: 'text', text: 'ok' }], undefined, { big: 'm'.repeat(5_000_000) }],
    ];
    for (const [content, structured, meta] of cases) {
      const item = resultForItem(content, structured, meta);
      expect(JSON.stringify(item).length).toBeLessThan(2_000_000);
    }
    // What is kept of an ordinary result is unchanged.
    expect(resultForItem([{ type: 'text', text: 'ok' }], { a: 1 }, { m: 1 })).toEqual({ content: [{ type: 'text', text: 'ok' }], structuredContent: { a: 1 }, _meta: { m: 1 } });
  });
});
