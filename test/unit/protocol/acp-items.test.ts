import { describe, expect, it } from 'vitest';
import { diffTexts, fence, promptInput, PromptContentError, toolCallOf, userContent } from '../../../src/protocol/acp/items.js';
import { configOptions, currentMode } from '../../../src/protocol/acp/modes.js';
import type { ThreadSettings } from '../../../src/core/settings.js';
import type { Config } from '../../../src/config/types.js';

describe('acp items', () => {
  it('an update diff gives the old and new text its hunks cover; moves name the destination', () => {
    const diff = '@@ -1,3 +1,3 @@\n a\n-b\n+B\n c\n@@ -10,2 +10,3 @@\n x\n+y\n z\n';
    expect(diffTexts({ path: '/w/f', kind: { type: 'update', move_path: null }, diff })).toEqual({ path: '/w/f', oldText: 'a\nb\nc\n\nx\nz', newText: 'a\nB\nc\n\nx\ny\nz' });
    const moved = diffTexts({ path: '/w/f', kind: { type: 'update', move_path: '/w/g' }, diff: '@@ -1 +1 @@\n-a\n+b\n\n\nMoved to: /w/g' });
    expect(moved).toEqual({ path: '/w/g', oldText: 'a', newText: 'b' });
  });

  it('adds and deletes carry the whole file', () => {
    expect(diffTexts({ path: '/w/n', kind: { type: 'add' }, diff: 'new\n' })).toEqual({ path: '/w/n', oldText: null, newText: 'new\n' });
    expect(diffTexts({ path: '/w/o', kind: { type: 'delete' }, diff: 'old\n' })).toEqual({ path: '/w/o', oldText: 'old\n', newText: '' });
  });

  it('a recognised read is a read of an absolute path; other commands execute', () => {
    const read = toolCallOf({ type: 'commandExecution', id: 'c', command: 'cat src/a.ts', cwd: '/w', status: 'inProgress', commandActions: [{ type: 'read', command: 'cat src/a.ts', name: 'a.ts', path: 'src/a.ts' }] });
    expect(read).toMatchObject({ kind: 'read', title: 'Read a.ts', locations: [{ path: '/w/src/a.ts' }], status: 'in_progress' });
    const run = toolCallOf({ type: 'commandExecution', id: 'c', command: 'make', cwd: '/w', status: 'declined', commandActions: [{ type: 'unknown', command: 'make' }], aggregatedOutput: 'no' });
    expect(run).toMatchObject({ kind: 'execute', status: 'failed', rawOutput: { status: 'declined' } });
  });

  it('a command title is a code span: its own Markdown (a comment, a link, backticks, line breaks) hides nothing', () => {
    const title = (command: string) => toolCallOf({ type: 'commandExecution', id: 'c', command, cwd: '/w', status: 'inProgress', commandActions: [{ type: 'unknown', command }] })!.title;
    expect(title('ls <!--\nrm -rf ~\n-->')).toBe('`ls <!--\nrm -rf ~\n-->`');
    expect(title('echo `id` [x](http://e)')).toBe('``echo `id` [x](http://e)``');
    expect(title('`id`')).toBe('`` `id` ``');
  });

  it('output is fenced so that its own backticks cannot end the block', () => {
    expect(fence('a ``` b')).toBe('````\na ``` b\n````');
  });

  it('prompt blocks become user input; audio is refused', () => {
    expect(
      promptInput([
        { type: 'text', text: 'hi' },
        { type: 'image', data: 'QUJD', mimeType: 'image/png' },
        { type: 'resource_link', name: 'x', uri: 'file:///x' },
        { type: 'resource', resource: { uri: 'file:///y', text: 'Y' } },
      ]),
    ).toEqual([
      { type: 'text', text: 'hi' },
      { type: 'image', url: 'data:image/png;base64,QUJD' },
      { type: 'text', text: '@file:///x' },
      { type: 'text', text: '<context ref="file:///y">\nY\n</context>' },
    ]);
    expect(() => promptInput([{ type: 'audio', data: 'AA', mimeType: 'audio/wav' }])).toThrow(PromptContentError);
    expect(userContent([{ type: 'image', url: 'data:image/png;base64,QUJD' }])).toEqual([{ type: 'image', mimeType: 'image/png', data: 'QUJD' }]);
  });
});

describe('acp modes and options', () => {
  const settings = (sandboxPolicy: ThreadSettings['sandboxPolicy'], model = 'gpt-5-codex'): ThreadSettings => ({
    model,
    modelProvider: 'openai',
    cwd: '/w',
    approvalPolicy: 'on-request',
    sandboxPolicy,
    reasoningEffort: null,
    reasoningSummary: null,
    baseInstructions: null,
    developerInstructions: null,
  });
  const config = { model: 'gpt-5-codex', modelContextWindow: null, toolStyle: 'auto' } as unknown as Config;

  it('every sandbox maps to one mode', () => {
    expect(currentMode(settings({ type: 'readOnly' }))).toBe('read-only');
    expect(currentMode(settings({ type: 'workspaceWrite', writableRoots: [], networkAccess: false, excludeTmpdirEnvVar: false, excludeSlashTmp: false }))).toBe('auto');
    expect(currentMode(settings({ type: 'dangerFullAccess' }))).toBe('full-access');
  });

  it('a model without efforts offers no effort option; an unknown model is still offered', () => {
    const ids = (m: string) => configOptions(settings({ type: 'readOnly' }, m), config).map((o) => o.id);
    expect(ids('gpt-5-codex')).toEqual(['mode', 'model', 'reasoning_effort']);
    expect(ids('gpt-4o')).toEqual(['mode', 'model']);
    const model = configOptions(settings({ type: 'readOnly' }, 'my-local'), config).find((o) => o.id === 'model');
    expect(model && model.type === 'select' && (model.options as { value: string }[]).some((o) => o.value === 'my-local')).toBe(true);
  });
});
