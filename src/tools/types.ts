import type { OutputFlow } from '../util/flow.js';
import type { Logger } from '../util/logger.js';
import type { ProcessSessionManager } from './shell/process-sessions.js';
import type { ApprovalPolicy } from '../config/types.js';
import type { ToolSpec } from '../model/types.js';
import type { CommandAction, FileUpdateChange, PlanStep, TurnItem } from '../core/items.js';

export type { ApprovalPolicy };

/** The sandbox a command or patch runs under (app-server v2 `SandboxPolicy`). */
export type SandboxPolicy =
  | { type: 'dangerFullAccess' }
  | { type: 'readOnly'; networkAccess?: boolean }
  | {
      type: 'workspaceWrite';
      writableRoots: string[];
      networkAccess: boolean;
      excludeTmpdirEnvVar: boolean;
      excludeSlashTmp: boolean;
    };

/**
 * The user's answer. `acceptWithPrefixRule` accepts this command and asks to store a rule that
 * lets commands starting with `prefix` run later without asking (the tool checks the prefix
 * against the command before storing it).
 */
export type ApprovalDecision = 'accept' | 'acceptForSession' | 'decline' | 'cancel' | { type: 'acceptWithPrefixRule'; prefix: string[] };

/** What a tool asks the user to approve. `sessionKeys` are what `acceptForSession` remembers. */
export type ApprovalRequest =
  | {
      kind: 'command';
      itemId: string;
      command: string;
      cwd: string;
      commandActions: CommandAction[];
      reason?: string | null;
      /** What the command is and how it will run; a later call with the same keys is approved at once. */
      sessionKeys: string[];
      /** Ask the client even when the keys were approved for the session (`acceptForSession` still records them). */
      alwaysAsk?: boolean;
      /** A prefix rule the user may store instead of answering again (`proposedExecpolicyAmendment`). */
      proposedPrefixRule?: string[] | null;
    }
  | {
      kind: 'fileChange';
      itemId: string;
      reason?: string | null;
      grantRoot?: string | null;
      /** Absolute paths the patch touches. */
      sessionKeys: string[];
    }
  | {
      /** A call of a tool of one of the thread's MCP servers (its item is `itemId`). */
      kind: 'mcpToolCall';
      itemId: string;
      server: string;
      tool: string;
      toolTitle?: string | null;
      toolDescription?: string | null;
      reason?: string | null;
      /** The model's arguments (shown to the user; untrusted). */
      arguments: unknown;
      /** The server and tool: `acceptForSession` lets this tool of this server run for the rest of the thread. */
      sessionKeys: string[];
    };

/** One call the model made. */
export interface ToolCall {
  callId: string;
  name: string;
  /** `function`: `input` is the JSON arguments string; `custom`: `input` is raw text. */
  kind: 'function' | 'custom';
  input: string;
}

/** What goes back to the model for a call. */
export interface ToolOutput {
  content: string;
  success: boolean;
  /**
   * Images the tool returned (base64, a PNG, JPEG, GIF or WebP type): the model sees them in one
   * user message after the outputs of the calls it made together (function outputs hold text only).
   */
  images?: { mimeType: string; data: string }[];
}

/** Thrown by a tool when the user's `cancel` (or an interrupt) must end the turn. */
export class TurnAbortedError extends Error {
  constructor(message = 'turn aborted') {
    super(message);
    this.name = 'TurnAbortedError';
  }
}

/** Records file contents before the turn first touches them, and renders the turn's diff. */
export interface TurnDiffTracker {
  /** Call before changing `absPath` (add, update, delete, or move source/destination). */
  onBeforeChange(absPaths: string[]): Promise<void>;
  /** Records that `fromAbs` was moved to `toAbs` (so the diff shows a rename). */
  onMove(fromAbs: string, toAbs: string): void;
  /** A git-style unified diff of everything the turn changed so far ('' when nothing). */
  unifiedDiff(): Promise<string>;
  /** The paths the turn changed, with their exact content before it (for revert); optional. */
  fileChanges?(): Promise<TrackedFileChange[]>;
}

/** One path a turn changed: its regular-file image before (null: absent) and sha256 after (null: absent). */
export interface TrackedFileChange {
  path: string;
  before: { content: Buffer; mode: number } | null;
  afterSha256: string | null;
  /** Set when the image before the turn was not kept (`before` is then null): why it cannot be restored. */
  notKept?: string;
}

/** Everything a tool handler may use. The core builds one per turn. */
export interface ToolContext {
  threadId: string;
  turnId: string;
  cwd: string;
  sandboxPolicy: SandboxPolicy;
  approvalPolicy: ApprovalPolicy;
  /** Aborted when the turn is interrupted: kill children, stop waiting. */
  signal: AbortSignal;
  logger: Logger;
  /** Emits `item/started`. */
  itemStarted(item: TurnItem): void;
  /** Emits `item/completed` (the item is persisted first). */
  itemCompleted(item: TurnItem): void;
  /**
   * Persists an item in its in-progress state before the tool acts on the world (a patch before
   * its first write), so a daemon killed meanwhile leaves a record the resumed thread shows; a
   * later `itemCompleted` supersedes it. Throws when it cannot be persisted: then do not act.
   */
  recordInProgress(item: TurnItem): void;
  /** Emits `item/commandExecution/outputDelta`. */
  commandOutputDelta(itemId: string, delta: string): void;
  /** Emits `item/mcpToolCall/progress` (absent: progress is dropped). */
  mcpProgress?(itemId: string, message: string): void;
  /**
   * Asks the client (or answers from the session's remembered approvals). Resolves `cancel` when
   * the turn is interrupted or the connection closes.
   */
  requestApproval(req: ApprovalRequest): Promise<ApprovalDecision>;
  /** The turn's diff tracker; tools call it before writing files. */
  diff: TurnDiffTracker;
  /** Emits `turn/diff/updated` with the tracker's diff as it is now; resolves once it is sent. */
  diffChanged(): Promise<void>;
  /** Replaces the turn's plan (`turn/plan/updated`). */
  planUpdated(explanation: string | null, plan: PlanStep[]): void;
  /** The thread's own `exec_command` sessions (never shared with another thread). */
  processes: ProcessSessionManager;
  /** Back-pressure from the client connection: wait on it instead of buffering output. */
  flow: OutputFlow;
  /**
   * Commands never run outside `sandboxPolicy` (a review): requests to escalate, a sandbox that
   * cannot start and retries after a denial are refused instead of asked about.
   */
  sandboxOnly?: boolean;
  /** The environment of the thread's commands when its own config sets one (else the runtime's). */
  commandEnv?: () => NodeJS.ProcessEnv;
  /** The editor's files, when the client offers them: patches read its buffers and write through it. */
  editorFiles?: EditorFiles;
}

/**
 * Text files as the client's editor has them (ACP `fs/read_text_file`, `fs/write_text_file`):
 * unsaved buffers included. Policy (paths, approvals) is decided by agentd before either is used.
 */
export interface EditorFiles {
  /** The file's text as the editor has it; throws when the editor cannot read it. */
  readText?(path: string): Promise<string>;
  /** Writes the file through the editor (its buffer and the disk). */
  writeText?(path: string, content: string): Promise<void>;
}

/**
 * Tools that come and go while a thread is loaded (its MCP servers): offered and dispatched after
 * the registry's own, under names that never collide with them.
 */
export interface DynamicTools {
  /** The specs to offer now (to a model of either tool style). */
  specs(): ToolSpec[];
  /** The handler of a name offered by `specs()`, or undefined. */
  find(name: string): ToolHandler | undefined;
  /**
   * Resolves once the tools are known (servers started or failed), or when `signal` aborts.
   * Rejects when the turn must not run (a required server is not running).
   */
  ready(signal: AbortSignal): Promise<void>;
}

/** A tool the registry can offer and dispatch. */
export interface ToolHandler {
  /** The specs offered to the model (usually one). */
  readonly name: string;
  /** Whether calls of this tool may run in parallel with other such calls. */
  readonly parallelSafe: boolean;
  /**
   * Whether this particular call only reads (e.g. a known-safe command). Only read-only calls run
   * in parallel; without this method every call of a parallel-safe tool counts as read-only.
   */
  isReadOnly?(call: ToolCall): boolean;
  handle(call: ToolCall, ctx: ToolContext): Promise<ToolOutput>;
}

export type { FileUpdateChange };
