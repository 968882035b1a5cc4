import { describe, expect, it } from 'vitest';
import type { HistoryItem } from '../../../src/model/types.js';
import { userMessages } from '../../../src/tasks/compact.js';
import { TOOL_IMAGES_PREFIX } from '../../../src/tasks/run-tools.js';

describe('userMessages', () => {
  it('keeps what the user said, not the message that carries tool images', () => {
    const history: HistoryItem[] = [
      { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'show me the chart' }] },
      { type: 'function_call', call_id: 'c1', name: 'mcp__charts__render', arguments: '{}' },
      { type: 'function_call_output', call_id: 'c1', output: '[image: image/png, 3 bytes, attached below]' },
      {
        type: 'message',
        role: 'user',
        content: [
          { type: 'input_text', text: `${TOOL_IMAGES_PREFIX} c1:` },
          { type: 'input_image', image_url: 'data:image/png;base64,AAAA' },
        ],
      },
    ];
    expect(userMessages(history)).toEqual(['show me the chart']);
  });
});
