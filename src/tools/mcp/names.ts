import { createHash } from 'node:crypto';

/** What the model APIs accept as a function name (Responses and Chat Completions). */
export const TOOL_NAME_PATTERN = /^[a-zA-Z0-9_-]{1,64}$/;
const MAX_NAME = 64;
const PREFIX = 'mcp__';
const SEPARATOR = '__';

/** A name part reduced to the characters the APIs accept (others become `_`). */
function clean(part: string): string {
  const c = part.replace(/[^a-zA-Z0-9_-]/g, '_');
  return c === '' ? '_' : c;
}

function hash8(server: string, tool: string): string {
  return createHash('sha256').update(`${server}\u0000${tool}`).digest('hex').slice(0, 8);
}

/**
 * Assigns the names the model calls a thread's MCP tools by: `mcp__<server>__<tool>`, as Codex
 * does, so a name says which server a call goes to and can never be a built-in tool's (none starts
 * with `mcp__`). Characters the APIs refuse become `_`; a name longer than 64 characters, or one
 * that is already taken (two names that differ only in refused characters), is cut and ends with
 * `_` and 8 hex digits of a hash of the exact server and tool names, so it stays unique and stable
 * across restarts. Call in a stable order (servers by name, tools as listed).
 */
export class ToolNamer {
  private readonly taken = new Set<string>();

  name(server: string, tool: string): string {
    let name = `${PREFIX}${clean(server)}${SEPARATOR}${clean(tool)}`;
    if (name.length > MAX_NAME || this.taken.has(name)) {
      const suffix = `_${hash8(server, tool)}`;
      name = `${name.slice(0, MAX_NAME - suffix.length)}${suffix}`;
      for (let i = 2; this.taken.has(name); i++) {
        const more = `_${hash8(server, `${tool}\u0000${i}`)}`;
        name = `${name.slice(0, MAX_NAME - more.length)}${more}`;
      }
    }
    this.taken.add(name);
    return name;
  }
}
