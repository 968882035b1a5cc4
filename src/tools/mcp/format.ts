import type { McpToolCallResult } from '../../core/items.js';
import { truncateForModel } from '../shell/truncate.js';

/** The model's budget for one MCP result, as for command output (≈ 10k tokens). */
export const MODEL_OUTPUT_MAX_BYTES = 40_000;
/** Text kept per content block in the item the client sees and the rollout stores. */
export const ITEM_TEXT_MAX_BYTES = 256 * 1024;
/** Base64 data kept per image block in the item (larger images are described instead). */
const ITEM_DATA_MAX_BYTES = 2 * 1024 * 1024;
/** Image types the model APIs take, and how much of them one result may send (base64 bytes). */
const MODEL_IMAGE_TYPES = new Set(['image/png', 'image/jpeg', 'image/gif', 'image/webp']);
const MODEL_IMAGE_MAX_BYTES = 8 * 1024 * 1024;
const MODEL_IMAGES_MAX = 4;

/** The largest input schema passed to the model; a larger one is replaced by an open object schema. */
const MAX_SCHEMA_BYTES = 64 * 1024;
const MAX_DESCRIPTION = 2048;

/**
 * The input schema offered to the model: an object schema as the function-calling APIs require.
 * A schema that is not an object schema, or is larger than 64 KiB, becomes `{type: object}` with
 * open properties (the server still validates what it receives). `$schema` and `$id` are dropped.
 */
export function sanitizeInputSchema(schema: unknown): Record<string, unknown> {
  const open = { type: 'object', properties: {} };
  if (typeof schema !== 'object' || schema === null || Array.isArray(schema)) return open;
  let copy: Record<string, unknown>;
  try {
    const json = JSON.stringify(schema);
    if (json.length > MAX_SCHEMA_BYTES) return open;
    copy = JSON.parse(json) as Record<string, unknown>;
  } catch {
    return open;
  }
  if (copy['type'] !== undefined && copy['type'] !== 'object') return open;
  delete copy['$schema'];
  delete copy['$id'];
  copy['type'] = 'object';
  if (typeof copy['properties'] !== 'object' || copy['properties'] === null || Array.isArray(copy['properties'])) copy['properties'] = {};
  return copy;
}

/** A tool description, cut to a length that keeps the request small. */
export function toolDescription(server: string, title: string | undefined, description: string | undefined): string {
  const text = description?.trim() || title?.trim() || `Tool of the MCP server ${server}.`;
  return text.length > MAX_DESCRIPTION ? `${text.slice(0, MAX_DESCRIPTION)}…` : text;
}

type Block = Record<string, unknown>;

function asBlock(v: unknown): Block | null {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Block) : null;
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

/** One content block as text for the model. */
function blockText(b: Block, shownImages = { n: MODEL_IMAGES_MAX }): string {
  switch (b['type']) {
    case 'text':
      return str(b['text']) ?? '';
    case 'image':
    case 'audio': {
      const data = str(b['data']) ?? '';
      const shown = imageForModel(b) !== null && shownImages.n++ < MODEL_IMAGES_MAX;
      return `[${b['type']}: ${str(b['mimeType']) ?? 'unknown type'}, ${Math.floor((data.length * 3) / 4)} bytes${shown ? ', attached below' : ' (not shown to the model)'}]`;
    }
    case 'resource': {
      const r = asBlock(b['resource']);
      if (r && typeof r['text'] === 'string') return r['text'];
      return `[resource: ${str(r?.['uri']) ?? 'unknown'}]`;
    }
    case 'resource_link':
      return `[resource link: ${str(b['uri']) ?? 'unknown'}${b['name'] ? ` (${String(b['name'])})` : ''}]`;
    default:
      return `[${String(b['type'] ?? 'unknown')} content]`;
  }
}

/** An image block the model can be shown (a type the APIs take, base64 within the size cap), or null. */
function imageForModel(b: Block): { mimeType: string; data: string } | null {
  const mimeType = str(b['mimeType']);
  const data = str(b['data']);
  if (b['type'] !== 'image' || !mimeType || !MODEL_IMAGE_TYPES.has(mimeType) || !data || data.length > MODEL_IMAGE_MAX_BYTES) return null;
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(data)) return null;
  return { mimeType, data };
}

/** The images of a result the model is shown (at most 4). */
export function imagesForModel(content: unknown[]): { mimeType: string; data: string }[] {
  return content
    .map(asBlock)
    .filter((b): b is Block => b !== null)
    .map(imageForModel)
    .filter((i): i is { mimeType: string; data: string } => i !== null)
    .slice(0, MODEL_IMAGES_MAX);
}

/**
 * What the model gets for a result: the text of its content blocks (images and audio described;
 * up to 4 PNG, JPEG, GIF or WebP images are also sent, see {@link imagesForModel}), or the structured content as JSON when there is no text; truncated head and tail
 * like command output.
 */
export function resultForModel(content: unknown[], structured: unknown, isError: boolean): string {
  const shownImages = { n: 0 };
  const parts = content
    .map(asBlock)
    .filter((b): b is Block => b !== null)
    .map((b) => blockText(b, shownImages))
    .filter((t) => t !== '');
  let text = parts.join('\n');
  if (text === '' && structured !== undefined) {
    try {
      text = JSON.stringify(structured);
    } catch {
      text = '[structured content that is not JSON]';
    }
  }
  if (text === '') text = isError ? 'the tool failed without a message' : '(no output)';
  return truncateForModel(text, { maxBytes: MODEL_OUTPUT_MAX_BYTES });
}

/** All content blocks kept in one item (serialised): the rest are counted, not kept. */
export const ITEM_CONTENT_MAX_BYTES = 1024 * 1024;
/** `_meta` kept in the item (serialised). */
const ITEM_META_MAX_BYTES = 64 * 1024;

/** The serialised length of a value, or null when it cannot be serialised (a cycle, nesting too deep for the stack). */
function jsonLength(v: unknown): number | null {
  try {
    return JSON.stringify(v)?.length ?? 0;
  } catch {
    return null;
  }
}

/**
 * The result as kept in the item (sent to the client, stored in the rollout): content blocks as
 * the server sent them, with long text cut head and tail and large binary data replaced by a
 * description, so a 10 MB result never becomes a 10 MB notification. Whatever else a server puts
 * in (huge or deeply nested fields, thousands of blocks, a huge `_meta`) is described instead of
 * kept: the item always serialises, within about {@link ITEM_CONTENT_MAX_BYTES}.
 */
export function resultForItem(content: unknown[], structured: unknown, meta: unknown): McpToolCallResult {
  const blocks: unknown[] = [];
  let total = 0;
  for (const [i, v] of content.entries()) {
    const b = asBlock(v);
    let kept: unknown = v;
    if (b && b['type'] === 'text' && typeof b['text'] === 'string' && b['text'].length > ITEM_TEXT_MAX_BYTES) {
      kept = { ...b, text: truncateForModel(b['text'], { maxBytes: ITEM_TEXT_MAX_BYTES }) };
    } else if (b && (b['type'] === 'image' || b['type'] === 'audio') && typeof b['data'] === 'string' && b['data'].length > ITEM_DATA_MAX_BYTES) {
      kept = { type: 'text', text: blockText(b) };
    }
    let size = jsonLength(kept);
    if (size === null || size > ITEM_TEXT_MAX_BYTES + 4096) {
      // Not serialisable, or large beyond its text (a huge resource or annotation): its text only.
      const text = b ? blockText(b) : typeof v === 'string' ? v : '[content that is not JSON]';
      kept = { type: 'text', text: truncateForModel(text, { maxBytes: ITEM_TEXT_MAX_BYTES }) };
      size = jsonLength(kept) ?? 0;
    }
    if (total + size > ITEM_CONTENT_MAX_BYTES) {
      blocks.push({ type: 'text', text: `[${content.length - i} more content blocks not kept]` });
      break;
    }
    total += size;
    blocks.push(kept);
  }
  const out: McpToolCallResult = { content: blocks };
  if (structured !== undefined) {
    const size = jsonLength(structured) ?? Infinity;
    out.structuredContent = size > ITEM_TEXT_MAX_BYTES ? { truncated: `structured content of ${size} bytes not kept` } : structured;
  }
  if (meta !== undefined) {
    const size = jsonLength(meta) ?? Infinity;
    out._meta = size > ITEM_META_MAX_BYTES ? { truncated: `_meta of ${size} bytes not kept` } : meta;
  }
  return out;
}
