import type { ApprovalDecision, SessionEvent } from '../../core/events.js';
import type { ThreadManager } from '../../core/thread-manager.js';
import type { Logger } from '../../util/logger.js';

type ApprovalEvent = Extract<SessionEvent, { type: 'approval_requested' }>;

/** What the hub needs of one client connection (an `AppServer`). */
export interface HubMember {
  /** Whether this connection is open and subscribed to the thread. */
  subscribedTo(threadId: string): boolean;
  /** Passes one of the thread's events (not an approval request) on to this connection. */
  deliver(threadId: string, event: SessionEvent): void;
  /**
   * Puts an approval to this connection's client: its decision, or `closed` when the connection
   * went away before an answer (the hub then asks another subscriber).
   */
  askApproval(threadId: string, event: ApprovalEvent): Promise<ApprovalDecision | 'closed'>;
}

/**
 * The clients of one daemon and the threads they share. Every subscriber of a thread gets its
 * notifications. An approval goes to the connection that started the turn (`turn/start`,
 * `review/start`, `thread/compact/start`); if it is gone, or leaves before answering, to another
 * subscriber (the longest connected first); with no subscriber left it is cancelled.
 */
export class ConnectionHub {
  private readonly members: HubMember[] = [];
  /** The connection that started each thread's latest turn. */
  private readonly turnOwner = new Map<string, HubMember>();

  constructor(
    private readonly threads: ThreadManager,
    private readonly logger: Logger,
  ) {
    threads.onEvent((threadId, event) => this.onEvent(threadId, event));
  }

  join(m: HubMember): () => void {
    this.members.push(m);
    return () => {
      const i = this.members.indexOf(m);
      if (i >= 0) this.members.splice(i, 1);
      for (const [t, owner] of this.turnOwner) if (owner === m) this.turnOwner.delete(t);
    };
  }

  /** Records `m` as the owner of the thread's next turn; returns a function restoring the previous owner. */
  claimTurn(threadId: string, m: HubMember): () => void {
    const before = this.turnOwner.get(threadId);
    this.turnOwner.set(threadId, m);
    return () => {
      if (this.turnOwner.get(threadId) !== m) return;
      if (before) this.turnOwner.set(threadId, before);
      else this.turnOwner.delete(threadId);
    };
  }

  /** Whether a connection other than `m` is subscribed to the thread. */
  subscribedElsewhere(threadId: string, m: HubMember): boolean {
    return this.members.some((x) => x !== m && x.subscribedTo(threadId));
  }

  private onEvent(threadId: string, event: SessionEvent): void {
    if (event.type === 'approval_requested') {
      void this.route(threadId, event);
      return;
    }
    for (const m of [...this.members]) if (m.subscribedTo(threadId)) m.deliver(threadId, event);
  }

  /** The subscriber to ask next: the turn's owner first, then the others in order of arrival. */
  private next(threadId: string, tried: Set<HubMember>): HubMember | undefined {
    const owner = this.turnOwner.get(threadId);
    if (owner && !tried.has(owner) && owner.subscribedTo(threadId)) return owner;
    return this.members.find((m) => !tried.has(m) && m.subscribedTo(threadId));
  }

  private async route(threadId: string, event: ApprovalEvent): Promise<void> {
    const session = this.threads.get(threadId)?.session;
    if (!session) return;
    const tried = new Set<HubMember>();
    let decision: ApprovalDecision = 'cancel';
    for (let m = this.next(threadId, tried); m; m = this.next(threadId, tried)) {
      tried.add(m);
      const answer = await m.askApproval(threadId, event);
      if (answer !== 'closed') {
        decision = answer;
        break;
      }
      this.logger.info({ threadId, requestId: event.requestId }, 'approval client left; asking another subscriber');
    }
    // Bound to the turn that asked: a late answer never settles a later turn's request.
    session.resolveApproval(event.requestId, decision, event.turnId);
  }
}
