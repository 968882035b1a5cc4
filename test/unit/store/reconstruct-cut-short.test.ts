import { describe, expect, it } from 'vitest';
import type { FileUpdateChange } from '../../../src/core/items.js';
import type { HistoryItem } from '../../../src/model/types.js';
import { CALL_CUT_SHORT_OUTPUT, PATCH_CUT_SHORT_OUTPUT, reconstructThread } from '../../../src/store/reconstruct.js';
import type { RolloutLine } from '../../../src/store/types.js';

const changes: FileUpdateChange[] = [{ path: '/w/a.txt', kind: { type: 'add' }, diff: '+a\n' }];
const patchCall: HistoryItem = { type: 'custom_tool_call', call_id: 'p1', name: 'apply_patch', input: '*** Begin Patch' };
const execCall: HistoryItem = { type: 'function_call', call_id: 'e1', name: 'exec_command', arguments: '{}' };
const user: HistoryItem = { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'go' }] };

function crashed(extra: RolloutLine[] = []): RolloutLine[] {
  return [
    { ts: 1000, type: 'turn_started', turnId: 't1', settings: {} },
    { ts: 1000, type: 'response_item', turnId: 't1', item: user },
    { ts: 1100, type: 'response_item', turnId: 't1', item: patchCall },
    { ts: 1100, type: 'response_item', turnId: 't1', item: execCall },
    { ts: 1200, type: 'item_started', turnId: 't1', item: { type: 'fileChange', id: 'p1', changes, status: 'inProgress' } },
    ...extra,
  ];
}

describe('a rollout cut short in the middle of a patch', () => {
  it('reads the started patch back as a failed fileChange of an interrupted turn', () => {
    const [turn] = reconstructThread(crashed()).turns;
    expect(turn!.status).toBe('interrupted');
    expect(turn!.items).toEqual([{ type: 'fileChange', id: 'p1', changes, status: 'failed' }]);
  });

  it('answers every call left without output, after the run of calls, the patch saying it may be partly written', () => {
    const { history } = reconstructThread(crashed());
    expect(history).toEqual([
      user,
      patchCall,
      execCall,
      { type: 'custom_tool_call_output', call_id: 'p1', output: PATCH_CUT_SHORT_OUTPUT },
      { type: 'function_call_output', call_id: 'e1', output: CALL_CUT_SHORT_OUTPUT },
    ]);
  });

  it('lets a later item_completed win over the started record', () => {
    const done: RolloutLine = { ts: 1300, type: 'item_completed', turnId: 't1', item: { type: 'fileChange', id: 'p1', changes, status: 'completed' } };
    expect(reconstructThread(crashed([done])).turns[0]!.items).toEqual([{ type: 'fileChange', id: 'p1', changes, status: 'completed' }]);
  });

  it('answers the calls left without output after the outputs saved for the same run, in call order', () => {
    const first: RolloutLine = { ts: 1300, type: 'response_item', turnId: 't1', item: { type: 'custom_tool_call_output', call_id: 'p1', output: 'Success.' } };
    const { history } = reconstructThread([...crashed([first]), { ts: 1400, type: 'response_item', turnId: null, item: user }]);
    expect(history).toEqual([
      user,
      patchCall,
      execCall,
      { type: 'custom_tool_call_output', call_id: 'p1', output: 'Success.' },
      { type: 'function_call_output', call_id: 'e1', output: CALL_CUT_SHORT_OUTPUT },
      user,
    ]);
  });

  it('leaves answered calls alone', () => {
    const outputs: RolloutLine[] = [
      { ts: 1300, type: 'response_item', turnId: 't1', item: { type: 'custom_tool_call_output', call_id: 'p1', output: 'Success.' } },
      { ts: 1300, type: 'response_item', turnId: 't1', item: { type: 'function_call_output', call_id: 'e1', output: 'ok' } },
    ];
    const { history } = reconstructThread(crashed(outputs));
    expect(history.filter((i) => i.type.endsWith('_output'))).toHaveLength(2);
    expect(JSON.stringify(history)).not.toContain('did not finish');
  });
});
