import { describe, expect, it } from 'vitest';
import type { HistoryItem } from '../../../src/model/types.js';
import {
  buildCompactedHistory,
  estimateRequestTokens,
  IMAGE_OMITTED,
  IMAGE_TOKENS,
  SUMMARY_BRIDGE_PREFIX,
  userMessages,
} from '../../../src/tasks/compact.js';

const IMG = `data:image/png;base64,${'A'.repeat(400_000)}`;
const image = (url = IMG) => ({ type: 'input_image' as const, image_url: url });
const text = (t: string) => ({ type: 'input_text' as const, text: t });
const user = (...content: HistoryItem extends infer H ? (H extends { content: infer C } ? C : never) : never): HistoryItem => ({ type: 'message', role: 'user', content });

describe('compaction keeps the images of the user messages it keeps', () => {
  const history: HistoryItem[] = [
    user(text('old text only')),
    { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'reply' }] },
    user(text('look at this'), image(), text('and this')),
    user(image('https://example.com/only-an-image.png')),
    user(text(`${SUMMARY_BRIDGE_PREFIX}\n\nold summary`)),
  ];

  it('finds image-only messages too, and keeps parts in order; text-only messages stay one text', () => {
    expect(userMessages(history)).toEqual(['old text only', [text('look at this'), image(), text('and this')], [image('https://example.com/only-an-image.png')]]);
    const out = buildCompactedHistory(userMessages(history), 'S');
    expect(out.slice(0, 3)).toEqual([user(text('old text only')), user(text('look at this'), image(), text('and this')), user(image('https://example.com/only-an-image.png'))]);
    expect(out[3]).toEqual(user(text(`${SUMMARY_BRIDGE_PREFIX}\n\nS`)));
  });

  it('counts an image as IMAGE_TOKENS within the budget, and puts a placeholder for one that does not fit', () => {
    // Budget for the newest message (an image) and a little text: the older image does not fit.
    const budget = IMAGE_TOKENS + 5;
    const out = buildCompactedHistory(userMessages(history), 'S', budget);
    expect(out).toHaveLength(3);
    expect(out[0]).toMatchObject({ content: [{ type: 'input_text' }, { type: 'input_text', text: IMAGE_OMITTED }, { type: 'input_text' }] });
    expect(out[1]).toEqual(user(image('https://example.com/only-an-image.png')));
    // Nothing of the 400 kB data URL went into the estimate beyond IMAGE_TOKENS.
    const est = estimateRequestTokens('', [user(image())]);
    expect(est).toBeGreaterThanOrEqual(IMAGE_TOKENS);
    expect(est).toBeLessThan(IMAGE_TOKENS + 50);
  });
});
