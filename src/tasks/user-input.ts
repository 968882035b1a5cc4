import { readFile } from 'node:fs/promises';
import { extname, isAbsolute, resolve } from 'node:path';
import type { UserInput } from '../core/items.js';
import type { ContentPart, HistoryItem } from '../model/types.js';

const MIME: Record<string, string> = {
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
};

/** Reads a local image into a data URL the model APIs accept. */
export async function localImageDataUrl(path: string, cwd: string): Promise<string> {
  const abs = isAbsolute(path) ? path : resolve(cwd, path);
  const mime = MIME[extname(abs).toLowerCase()] ?? 'application/octet-stream';
  const bytes = await readFile(abs);
  return `data:${mime};base64,${bytes.toString('base64')}`;
}

/** Converts the user's input into one user message for the model. */
export async function userInputToHistory(input: UserInput[], cwd: string): Promise<HistoryItem> {
  const content: ContentPart[] = [];
  for (const part of input) {
    if (part.type === 'text') content.push({ type: 'input_text', text: part.text });
    else if (part.type === 'image') content.push({ type: 'input_image', image_url: part.url });
    else {
      try {
        content.push({ type: 'input_image', image_url: await localImageDataUrl(part.path, cwd) });
      } catch (err) {
        content.push({ type: 'input_text', text: `[image ${part.path} could not be read: ${(err as Error).message}]` });
      }
    }
  }
  return { type: 'message', role: 'user', content };
}
