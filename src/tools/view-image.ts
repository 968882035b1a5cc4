import { isAbsolute, resolve } from 'node:path';
import { LocalImageError, readLocalImage } from '../util/read-local-image.js';
import type { ToolSpec } from '../model/types.js';
import type { ToolCall, ToolContext, ToolHandler, ToolOutput } from './types.js';

export const viewImageSpec: ToolSpec = {
  type: 'function',
  name: 'view_image',
  description: 'Attach a local image (by filesystem path) to the conversation so you can see it.',
  parameters: {
    type: 'object',
    properties: { path: { type: 'string', description: 'Local filesystem path to an image file' } },
    required: ['path'],
    additionalProperties: false,
  },
};

/**
 * `view_image`: checks that the path is a real image with the same safe reader as `localImage`
 * (regular file, size cap, image bytes, abortable by the turn) and reports an imageView item.
 * Nothing of a refused file reaches the model: it gets a one-line reason.
 */
export const viewImageHandler: ToolHandler = {
  name: 'view_image',
  parallelSafe: true,
  async handle(call: ToolCall, ctx: ToolContext): Promise<ToolOutput> {
    let path: unknown;
    try {
      path = (JSON.parse(call.input) as { path?: unknown }).path;
    } catch {
      return { success: false, content: 'failed to parse function arguments: expected JSON with a `path`' };
    }
    if (typeof path !== 'string' || !path) return { success: false, content: '`path` must be a non-empty string' };
    const abs = isAbsolute(path) ? path : resolve(ctx.cwd, path);
    let mime: string;
    try {
      mime = (await readLocalImage(abs, { signal: ctx.signal })).mime;
    } catch (err) {
      if (err instanceof LocalImageError) return { success: false, content: err.message };
      throw err;
    }
    const item = { type: 'imageView' as const, id: call.callId, path: abs };
    ctx.itemStarted(item);
    ctx.itemCompleted(item);
    return { success: true, content: `attached local image path (${mime})` };
  },
};
