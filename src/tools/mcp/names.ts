import { createHash } from 'node:crypto';

/** What the model APIs accept as a function name (Responses and Chat Completions). */
export const TOOL_NAME_PATTERN = /^[a-zA-Z0-9_-]{1,64}$/;
const MAX_NAME = 64;
const PREFIX = 'mcp__';
const SEPARATOR = '__';
/** Prefix of a hashed name: no plain name has it (a plain server name never starts with `_`). */
const HASHED_PREFIX = 'mcp___';
const HASH_HEX = 16;
/** A server name that can stand in a plain name: `mcp__<server>__` then parses back unambiguously. */
const PLAIN_SERVER = /^[a-zA-Z0-9-]+(?:_[a-zA-Z0-9-]+)*$/;
const PLAIN_TOOL = /^[a-zA-Z0-9_-]+$/;

/** A name part reduced to the characters the APIs accept (others become `_`). */
function clean(part: string): string {
  const c = part.replace(/[^a-zA-Z0-9_-]/g, '_');
  return c === '' ? '_' : c;
}

function hash(server: string, tool: string): string {
  return createHash('sha256').update(`${server}\u0000${tool}`).digest('hex').slice(0, HASH_HEX);
}

/**
 * Assigns the names the model calls a thread's MCP tools by: `mcp__<server>__<tool>`, as Codex
 * does, so a name says which server a call goes to and can never be a built-in tool's (none starts
 * with `mcp__`). A name depends only on its own server and tool, never on the other tools listed:
 * a server that lists a new tool (`tools/list_changed`) can never take over the name the model
 * uses for another server's tool. So the plain form is used only when it reads back unambiguously
 * (the server name has no `__` and no `_` at either end, both names only use the characters the
 * APIs accept, and it fits in 64 characters); any other name is `mcp___`, the cleaned names cut to
 * fit, `_` and 16 hex digits of a hash of the exact server and tool names (stable across
 * restarts). Call in a stable order (servers by name, tools as listed).
 */
export class ToolNamer {
  private readonly taken = new Set<string>();

  name(server: string, tool: string): string {
    const plain = `${PREFIX}${server}${SEPARATOR}${tool}`;
    let name: string;
    if (PLAIN_SERVER.test(server) && PLAIN_TOOL.test(tool) && plain.length <= MAX_NAME) {
      name = plain;
    } else {
      const readable = `${clean(server)}${SEPARATOR}${clean(tool)}`.slice(0, MAX_NAME - HASHED_PREFIX.length - 1 - HASH_HEX);
      name = `${HASHED_PREFIX}${readable}_${hash(server, tool)}`;
    }
    // Only the same server listing the same tool name twice gets here.
    for (let i = 2; this.taken.has(name); i++) {
      const readable = `${clean(server)}${SEPARATOR}${clean(tool)}`.slice(0, MAX_NAME - HASHED_PREFIX.length - 1 - HASH_HEX);
      name = `${HASHED_PREFIX}${readable}_${hash(server, `${tool}\u0000${i}`)}`;
    }
    this.taken.add(name);
    return name;
  }
}
