import type { ToolSpec } from '../model/types.js';
import type { DynamicTools, ToolCall, ToolContext, ToolHandler, ToolOutput } from './types.js';

/** A handler plus the specs offered for it, per tool style. */
export interface ToolEntry {
  handler: ToolHandler;
  /** Specs for Codex-style models; omit to not offer the tool to them. */
  codex?: ToolSpec[];
  /** Specs for other models. */
  classic?: ToolSpec[];
}

/**
 * The tools a turn can offer: chooses the specs for the model's tool style and dispatches calls
 * by name. Unknown names go back to the model as a failed call instead of failing the turn.
 */
export class ToolRegistry {
  private readonly byName = new Map<string, ToolHandler>();

  constructor(
    private readonly entries: ToolEntry[],
    private readonly dynamic: DynamicTools | null = null,
  ) {
    for (const e of entries) {
      for (const spec of [...(e.codex ?? []), ...(e.classic ?? [])]) this.byName.set(spec.name, e.handler);
      this.byName.set(e.handler.name, e.handler);
    }
  }

  /** A registry offering and dispatching only the named tools (the others are unknown to it). */
  only(names: readonly string[]): ToolRegistry {
    const keep = new Set(names);
    return new ToolRegistry(this.entries.filter((e) => keep.has(e.handler.name)));
  }

  /** This registry plus a thread's dynamic tools (its MCP servers'), offered after the built-in ones. */
  withDynamic(dynamic: DynamicTools): ToolRegistry {
    return new ToolRegistry(this.entries, dynamic);
  }

  /** Waits until the dynamic tools are known (a no-op without any); rejects when the turn must not run. */
  async ready(signal: AbortSignal): Promise<void> {
    await this.dynamic?.ready(signal);
  }

  private handlerOf(name: string): ToolHandler | undefined {
    return this.byName.get(name) ?? this.dynamic?.find(name);
  }

  /** The specs to offer a model of the given tool style. */
  specs(style: 'codex' | 'classic'): ToolSpec[] {
    const out: ToolSpec[] = [];
    const seen = new Set<string>();
    for (const e of this.entries) {
      for (const spec of (style === 'codex' ? e.codex : e.classic) ?? []) {
        if (seen.has(spec.name)) continue;
        seen.add(spec.name);
        out.push(spec);
      }
    }
    for (const spec of this.dynamic?.specs() ?? []) {
      if (seen.has(spec.name)) continue;
      seen.add(spec.name);
      out.push(spec);
    }
    return out;
  }

  /** Whether a call may run alongside other such calls: a parallel-safe tool, and a read-only call. */
  isParallelSafe(call: ToolCall): boolean {
    const handler = this.handlerOf(call.name);
    if (!handler?.parallelSafe) return false;
    return handler.isReadOnly ? handler.isReadOnly(call) : true;
  }

  async dispatch(call: ToolCall, ctx: ToolContext): Promise<ToolOutput> {
    const handler = this.handlerOf(call.name);
    if (!handler) return { success: false, content: `unsupported call: ${call.name}` };
    return handler.handle(call, ctx);
  }
}
