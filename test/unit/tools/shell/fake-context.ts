import type { TurnItem } from '../../../../src/core/items.js';
import type { ApprovalDecision, ApprovalRequest, SandboxPolicy, ToolCall, ToolContext } from '../../../../src/tools/types.js';
import type { ApprovalPolicy } from '../../../../src/config/types.js';
import { ProcessSessionManager } from '../../../../src/tools/shell/process-sessions.js';
import { ALWAYS_READY } from '../../../../src/util/flow.js';
import { silentLogger } from '../../../../src/util/logger.js';

const managers = new Set<ProcessSessionManager>();

/** Kills the sessions of every fake context made so far (call in teardown). */
export function killFakeContextProcesses(): void {
  for (const m of managers) m.killAll();
  managers.clear();
}

/** A ToolContext that records what a tool emits and answers approvals from a script. */
export interface FakeContext extends ToolContext {
  started: TurnItem[];
  completed: TurnItem[];
  deltas: string[];
  approvals: ApprovalRequest[];
  controller: AbortController;
}

export function fakeContext(opts: {
  cwd: string;
  sandboxPolicy: SandboxPolicy;
  approvalPolicy: ApprovalPolicy;
  /** Answers approvals in order; the last one repeats. */
  decisions?: ApprovalDecision[];
  onDelta?(text: string): void;
  /** Share one thread's sessions between contexts (default: a new manager). */
  processes?: ProcessSessionManager;
}): FakeContext {
  const controller = new AbortController();
  const processes = opts.processes ?? new ProcessSessionManager();
  managers.add(processes);
  const decisions = [...(opts.decisions ?? ['accept'])];
  const ctx: FakeContext = {
    threadId: 'thread-1',
    turnId: 'turn-1',
    cwd: opts.cwd,
    sandboxPolicy: opts.sandboxPolicy,
    approvalPolicy: opts.approvalPolicy,
    signal: controller.signal,
    logger: silentLogger(),
    controller,
    started: [],
    completed: [],
    deltas: [],
    approvals: [],
    itemStarted: (item) => void ctx.started.push(item),
    itemCompleted: (item) => void ctx.completed.push(item),
    commandOutputDelta: (_id, delta) => {
      ctx.deltas.push(delta);
      opts.onDelta?.(delta);
    },
    requestApproval: async (req) => {
      ctx.approvals.push(req);
      return (decisions.length > 1 ? decisions.shift() : decisions[0]) as ApprovalDecision;
    },
    diff: {
      onBeforeChange: async () => {},
      onMove: () => {},
      unifiedDiff: async () => '',
    },
    diffChanged: async () => {},
    planUpdated: () => {},
    recordInProgress: () => {},
    processes,
    flow: ALWAYS_READY,
  };
  return ctx;
}

/** A function call with JSON arguments. */
export function call(name: string, args: unknown, callId = 'call-1'): ToolCall {
  return { callId, name, kind: 'function', input: JSON.stringify(args) };
}
