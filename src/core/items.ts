/**
 * Thread items as the core produces them. Their shape is the app-server v2 `ThreadItem` for the
 * subset we produce, so a face can send them as they are.
 */

export type UserInput =
  | { type: 'text'; text: string; text_elements?: unknown[] }
  | { type: 'image'; url: string; detail?: 'auto' | 'low' | 'high' | 'original' | null }
  | { type: 'localImage'; path: string; detail?: 'auto' | 'low' | 'high' | 'original' | null };

export type CommandAction =
  | { type: 'read'; command: string; name: string; path: string }
  | { type: 'listFiles'; command: string; path?: string | null }
  | { type: 'search'; command: string; query?: string | null; path?: string | null }
  | { type: 'unknown'; command: string };

export type PatchChangeKind = { type: 'add' } | { type: 'delete' } | { type: 'update'; move_path?: string | null };

export interface FileUpdateChange {
  path: string;
  kind: PatchChangeKind;
  diff: string;
}

export type McpToolCallStatus = 'inProgress' | 'completed' | 'failed';

/** What an MCP tool returned (content blocks as the server sent them, text possibly truncated). */
export interface McpToolCallResult {
  content: unknown[];
  structuredContent?: unknown;
  _meta?: unknown;
}

export type ItemStatus = 'inProgress' | 'completed' | 'failed' | 'declined';

export type TurnItem =
  | { type: 'userMessage'; id: string; content: UserInput[] }
  | { type: 'agentMessage'; id: string; text: string }
  | { type: 'reasoning'; id: string; summary: string[]; content: string[] }
  | { type: 'plan'; id: string; text: string }
  | {
      type: 'commandExecution';
      id: string;
      command: string;
      cwd: string;
      processId?: string | null;
      status: ItemStatus;
      commandActions: CommandAction[];
      aggregatedOutput?: string | null;
      exitCode?: number | null;
      durationMs?: number | null;
    }
  | { type: 'fileChange'; id: string; changes: FileUpdateChange[]; status: ItemStatus }
  | { type: 'imageView'; id: string; path: string }
  /** A call of a tool of one of the thread's MCP servers (`arguments`: the model's, as parsed). */
  | {
      type: 'mcpToolCall';
      id: string;
      server: string;
      tool: string;
      status: McpToolCallStatus;
      arguments: unknown;
      result?: McpToolCallResult | null;
      error?: { message: string } | null;
      durationMs?: number | null;
    }
  | { type: 'contextCompaction'; id: string }
  /** A review started (`review`: what is reviewed) or ended (`review`: the findings as text). */
  | { type: 'enteredReviewMode'; id: string; review: string }
  | { type: 'exitedReviewMode'; id: string; review: string };

export interface PlanStep {
  step: string;
  status: 'pending' | 'inProgress' | 'completed';
}
