import { isAbsolute, resolve } from 'node:path';
import type { UserInput } from '../core/items.js';
import type { ContentPart, HistoryItem } from '../model/types.js';
import { imageDataUrl, readLocalImage } from '../util/read-local-image.js';

/**
 * Reads a local image into a data URL the model APIs accept. Only a regular file, within the
 * size cap, whose bytes are a PNG, JPEG, GIF or WebP (see `readLocalImage`); throws a
 * `LocalImageError` naming the path and the reason otherwise.
 */
export async function localImageDataUrl(path: string, cwd: string, signal?: AbortSignal): Promise<string> {
  const abs = isAbsolute(path) ? path : resolve(cwd, path);
  return imageDataUrl(await readLocalImage(abs, signal ? { signal } : {}));
}

/**
 * Converts the user's input into one user message for the model. A `localImage` that is not a
 * usable image throws (`LocalImageError`): the turn fails with that error before anything of
 * the input reaches the model, rather than silently sending the rest.
 */
export async function userInputToHistory(input: UserInput[], cwd: string, signal?: AbortSignal): Promise<HistoryItem> {
  const content: ContentPart[] = [];
  for (const part of input) {
    if (part.type === 'text') content.push({ type: 'input_text', text: part.text });
    else if (part.type === 'image') content.push({ type: 'input_image', image_url: part.url });
    else content.push({ type: 'input_image', image_url: await localImageDataUrl(part.path, cwd, signal) });
  }
  return { type: 'message', role: 'user', content };
}
