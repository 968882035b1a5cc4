/**
 * The core's items as ACP v1 content: tool calls (kind, title, content, locations, raw input and
 * output), message chunks and plans. Pure functions, so a live turn and a replayed one (session/load)
 * produce the same final state for every item.
 */
import { isAbsolute, join } from 'node:path';
import type * as acp from '@agentclientprotocol/sdk';
import type { PlanStep, TurnItem, UserInput } from '../../core/items.js';

type CommandItem = Extract<TurnItem, { type: 'commandExecution' }>;
type FileChangeItem = Extract<TurnItem, { type: 'fileChange' }>;

/** The core's item status as an ACP tool call status (a declined call failed, from the editor's view). */
export function toolStatus(status: CommandItem['status']): acp.ToolCallStatus {
  switch (status) {
    case 'inProgress':
      return 'in_progress';
    case 'completed':
      return 'completed';
    case 'failed':
    case 'declined':
      return 'failed';
  }
}

/** Whether the item is shown as a tool call. */
export function isToolItem(
  item: TurnItem,
): item is Extract<TurnItem, { type: 'commandExecution' | 'fileChange' | 'imageView' | 'mcpToolCall' | 'contextCompaction' | 'enteredReviewMode' }> {
  return (
    item.type === 'commandExecution' ||
    item.type === 'fileChange' ||
    item.type === 'imageView' ||
    item.type === 'mcpToolCall' ||
    item.type === 'contextCompaction' ||
    item.type === 'enteredReviewMode'
  );
}

/** The full tool call an item shows (its state as of `item`). */
export function toolCallOf(item: TurnItem): acp.ToolCall | null {
  switch (item.type) {
    case 'commandExecution':
      return commandToolCall(item);
    case 'fileChange':
      return fileChangeToolCall(item);
    case 'imageView':
      return {
        toolCallId: item.id,
        title: `View image ${item.path}`,
        kind: 'read',
        status: 'completed',
        locations: [{ path: item.path }],
        rawInput: { path: item.path },
      };
    case 'mcpToolCall':
      return mcpToolCall(item);
    case 'contextCompaction':
      return { toolCallId: item.id, title: 'Compact the conversation', kind: 'other', status: 'completed', rawInput: {} };
    case 'enteredReviewMode':
      return { toolCallId: item.id, title: `Review: ${item.review}`, kind: 'think', status: 'completed', rawInput: { review: item.review } };
    default:
      return null;
  }
}

/** The tool call an item shows when it starts (in progress, no output yet). */
export function startedToolCall(item: TurnItem): acp.ToolCall | null {
  const call = toolCallOf(item);
  if (!call) return null;
  if (item.type === 'contextCompaction' || item.type === 'enteredReviewMode') call.status = 'in_progress';
  return call;
}

/**
 * An MCP tool call: kind `other` (agentd cannot tell what a server's tool does), the model's
 * arguments as raw input, the server's text and images as content, its result or error as raw output.
 */
function mcpToolCall(item: Extract<TurnItem, { type: 'mcpToolCall' }>): acp.ToolCall {
  const status: acp.ToolCallStatus = item.status === 'inProgress' ? 'in_progress' : item.status;
  const content: acp.ToolCallContent[] = [];
  for (const block of item.result?.content ?? []) {
    if (!block || typeof block !== 'object') continue;
    const b = block as { type?: unknown; text?: unknown; data?: unknown; mimeType?: unknown };
    if (b.type === 'text' && typeof b.text === 'string') content.push({ type: 'content', content: { type: 'text', text: b.text } });
    else if (b.type === 'image' && typeof b.data === 'string' && typeof b.mimeType === 'string') {
      content.push({ type: 'content', content: { type: 'image', data: b.data, mimeType: b.mimeType } });
    }
  }
  if (item.error) content.push({ type: 'content', content: { type: 'text', text: item.error.message } });
  const call: acp.ToolCall = {
    toolCallId: item.id,
    title: `${item.server}: ${item.tool}`,
    kind: 'other',
    status,
    rawInput: item.arguments ?? {},
  };
  if (content.length > 0) call.content = content;
  if (item.status !== 'inProgress') call.rawOutput = item.error ? { error: item.error.message } : (item.result ?? null);
  return call;
}

function commandToolCall(item: CommandItem): acp.ToolCall {
  const only = item.commandActions.length === 1 ? item.commandActions[0] : undefined;
  let kind: acp.ToolKind = 'execute';
  let title = codeSpan(item.command);
  let locations: acp.ToolCallLocation[] = [];
  if (only?.type === 'read') {
    kind = 'read';
    title = `Read ${only.name}`;
    locations = [{ path: isAbsolute(only.path) ? only.path : join(item.cwd, only.path) }];
  } else if (only?.type === 'search') {
    kind = 'search';
    title = only.query ? `Search ${only.query}${only.path ? ` in ${only.path}` : ''}` : codeSpan(item.command);
  } else if (only?.type === 'listFiles') {
    kind = 'search';
    title = `List ${only.path ?? item.cwd}`;
  }
  const call: acp.ToolCall = {
    toolCallId: item.id,
    title,
    kind,
    status: toolStatus(item.status),
    locations,
    rawInput: { command: item.command, cwd: item.cwd },
  };
  if (item.status !== 'inProgress') {
    const output = item.aggregatedOutput ?? '';
    call.content = output ? [{ type: 'content', content: { type: 'text', text: fence(output) } }] : [];
    call.rawOutput = { output, exitCode: item.exitCode ?? null, durationMs: item.durationMs ?? null, status: item.status };
  }
  return call;
}

/**
 * A command as an inline code span: editors render titles as Markdown, where a command's own
 * markup (an HTML comment, a link, line breaks) could hide part of what runs. In a code span every
 * character shows, line breaks as spaces.
 */
export function codeSpan(text: string): string {
  let ticks = '`';
  while (text.includes(ticks)) ticks += '`';
  const pad = text.startsWith('`') || text.endsWith('`') || /^ .* $/s.test(text) ? ' ' : '';
  return `${ticks}${pad}${text}${pad}${ticks}`;
}

/** Output as a fenced block that its own backticks cannot close. */
export function fence(text: string): string {
  let ticks = '```';
  while (text.includes(ticks)) ticks += '`';
  return `${ticks}\n${text}${text.endsWith('\n') ? '' : '\n'}${ticks}`;
}

function fileChangeToolCall(item: FileChangeItem): acp.ToolCall {
  const moveOf = (c: FileChangeItem['changes'][number]) => (c.kind.type === 'update' && c.kind.move_path && c.kind.move_path !== c.path ? c.kind.move_path : null);
  const paths = [...new Set(item.changes.flatMap((c) => [c.path, ...(moveOf(c) ? [moveOf(c)!] : [])]))];
  const allDeletes = item.changes.length > 0 && item.changes.every((c) => c.kind.type === 'delete');
  // The title names every file touched and how: a delete or a move is never shown as a mere edit.
  const plain = item.changes.every((c) => c.kind.type !== 'delete' && !moveOf(c));
  const title = allDeletes || plain
    ? `${allDeletes ? 'Delete' : 'Edit'} ${paths.join(', ')}`
    : item.changes
        .map((c, i) => {
          const verb = c.kind.type === 'delete' ? 'delete' : moveOf(c) ? 'move' : 'edit';
          const text = `${verb} ${c.path}${moveOf(c) ? ` to ${moveOf(c)}` : ''}`;
          return i === 0 ? text[0]!.toUpperCase() + text.slice(1) : text;
        })
        .join(', ');
  const call: acp.ToolCall = {
    toolCallId: item.id,
    title,
    kind: allDeletes ? 'delete' : 'edit',
    status: toolStatus(item.status),
    content: item.changes.map((c) => ({ type: 'diff' as const, ...diffTexts(c) })),
    locations: paths.map((path) => ({ path })),
    rawInput: { changes: item.changes.map((c) => ({ path: c.path, kind: c.kind.type, ...(c.kind.type === 'update' && c.kind.move_path ? { movePath: c.kind.move_path } : {}) })) },
  };
  if (item.status !== 'inProgress') call.rawOutput = { status: item.status };
  return call;
}

/**
 * The old and new text of one change: an add's whole new file, a delete's whole old file, and for
 * an update the lines its hunks cover (context and changed lines) before and after, hunks
 * separated by a blank line. Derived from the item alone, so a replay shows what the live turn did.
 */
export function diffTexts(change: FileChangeItem['changes'][number]): { path: string; oldText: string | null; newText: string } {
  if (change.kind.type === 'add') return { path: change.path, oldText: null, newText: change.diff };
  if (change.kind.type === 'delete') return { path: change.path, oldText: change.diff, newText: '' };
  const moved = change.kind.move_path ?? null;
  const body = moved ? change.diff.replace(/\n\nMoved to: [^\n]*$/, '') : change.diff;
  const oldHunks: string[][] = [];
  const newHunks: string[][] = [];
  for (const line of body.split('\n')) {
    if (line.startsWith('@@')) {
      oldHunks.push([]);
      newHunks.push([]);
      continue;
    }
    if (oldHunks.length === 0 || line.startsWith('\\')) continue;
    const o = oldHunks[oldHunks.length - 1]!;
    const n = newHunks[newHunks.length - 1]!;
    if (line.startsWith('-')) o.push(line.slice(1));
    else if (line.startsWith('+')) n.push(line.slice(1));
    else if (line.startsWith(' ')) {
      o.push(line.slice(1));
      n.push(line.slice(1));
    }
  }
  const join2 = (hunks: string[][]) => hunks.map((h) => h.join('\n')).join('\n\n');
  return { path: moved ?? change.path, oldText: join2(oldHunks), newText: join2(newHunks) };
}

/** The text of a reasoning item as thought chunks show it: summary parts, else the raw reasoning. */
export function thoughtText(item: Extract<TurnItem, { type: 'reasoning' }>): string {
  if (item.summary.length > 0) return item.summary.join('\n\n');
  return item.content.join('\n\n');
}

/** A user message's inputs as ACP content blocks. */
export function userContent(content: UserInput[]): acp.ContentBlock[] {
  const out: acp.ContentBlock[] = [];
  for (const c of content) {
    if (c.type === 'text') out.push({ type: 'text', text: c.text });
    else if (c.type === 'image') {
      const m = /^data:([^;,]+);base64,(.*)$/s.exec(c.url);
      out.push(m ? { type: 'image', mimeType: m[1]!, data: m[2]! } : { type: 'resource_link', name: c.url, uri: c.url });
    } else out.push({ type: 'resource_link', name: c.path, uri: `file://${c.path}` });
  }
  return out;
}

/** The plan as ACP plan entries. */
export function planEntries(plan: PlanStep[]): acp.PlanEntry[] {
  return plan.map((s) => ({
    content: s.step,
    priority: 'medium',
    status: s.status === 'inProgress' ? 'in_progress' : s.status,
  }));
}

/**
 * A prompt's content blocks as the core's user input. Embedded resources become text the model
 * reads as context; links are named by their URI; images become data URLs.
 */
export function promptInput(blocks: acp.ContentBlock[]): UserInput[] {
  const out: UserInput[] = [];
  for (const b of blocks) {
    switch (b.type) {
      case 'text':
        out.push({ type: 'text', text: b.text });
        break;
      case 'image':
        out.push({ type: 'image', url: b.uri && /^https?:/.test(b.uri) && !b.data ? b.uri : `data:${b.mimeType};base64,${b.data}` });
        break;
      case 'resource_link':
        out.push({ type: 'text', text: `@${b.uri}` });
        break;
      case 'resource': {
        const r = b.resource;
        if ('text' in r) out.push({ type: 'text', text: `<context ref="${r.uri}">\n${r.text}\n</context>` });
        else if (r.mimeType?.startsWith('image/')) out.push({ type: 'image', url: `data:${r.mimeType};base64,${r.blob}` });
        else out.push({ type: 'text', text: `@${r.uri}` });
        break;
      }
      case 'audio':
        throw new PromptContentError('audio prompts are not supported (promptCapabilities.audio is false)');
    }
  }
  return out;
}

export class PromptContentError extends Error {}
