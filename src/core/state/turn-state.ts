import type { ApprovalDecision, ApprovalRequest, TurnDiffTracker } from '../../tools/types.js';
import { deferred, type Deferred } from '../../util/deferred.js';
import type { PlanStep } from '../items.js';
import type { UserInput } from '../items.js';

/** An approval the turn is waiting on. */
export interface ApprovalWaiter {
  request: ApprovalRequest;
  startedAtMs: number;
  decision: Deferred<ApprovalDecision>;
}

/**
 * The mutable state of one running turn: steered input waiting for the next model request,
 * approval waiters, the diff tracker, the plan and the last agent message.
 */
export class TurnState {
  private pendingInput: UserInput[][] = [];
  private readonly approvals = new Map<string, ApprovalWaiter>();
  private planValue: { explanation: string | null; plan: PlanStep[] } | null = null;
  private lastAgentMessageValue: string | null = null;

  constructor(readonly diff: TurnDiffTracker) {}

  // --- pending input (turn/steer)

  pushPendingInput(input: UserInput[]): void {
    this.pendingInput.push(input);
  }

  hasPendingInput(): boolean {
    return this.pendingInput.length > 0;
  }

  takePendingInput(): UserInput[][] {
    const taken = this.pendingInput;
    this.pendingInput = [];
    return taken;
  }

  // --- approvals

  /** Registers a waiter; the returned promise settles with the client's decision. */
  insertApproval(requestId: string, request: ApprovalRequest, startedAtMs: number): ApprovalWaiter {
    const waiter: ApprovalWaiter = { request, startedAtMs, decision: deferred<ApprovalDecision>() };
    this.approvals.set(requestId, waiter);
    return waiter;
  }

  /** Removes and returns the waiter, or undefined if it was already settled. */
  takeApproval(requestId: string): ApprovalWaiter | undefined {
    const w = this.approvals.get(requestId);
    this.approvals.delete(requestId);
    return w;
  }

  pendingApprovalCount(): number {
    return this.approvals.size;
  }

  /** Settles every waiter as `cancel`; returns the ids settled. */
  clearApprovals(): string[] {
    const ids = [...this.approvals.keys()];
    for (const w of this.approvals.values()) w.decision.resolve('cancel');
    this.approvals.clear();
    return ids;
  }

  // --- plan and messages

  setPlan(explanation: string | null, plan: PlanStep[]): void {
    this.planValue = { explanation, plan };
  }

  plan(): { explanation: string | null; plan: PlanStep[] } | null {
    return this.planValue;
  }

  setLastAgentMessage(text: string): void {
    this.lastAgentMessageValue = text;
  }

  lastAgentMessage(): string | null {
    return this.lastAgentMessageValue;
  }
}
