import type { TurnItem, UserInput } from '../core/items.js';
import type { HistoryItem } from '../model/types.js';
import type { SandboxPolicy, ToolContext } from '../tools/types.js';
import { newId } from '../util/ids.js';
import { sample } from './regular-turn.js';
import { parseReviewOutput, renderReview, REVIEW_INSTRUCTIONS, reviewHint, reviewHistoryMessage, reviewPrompt, type ReviewTarget } from './review-prompt.js';
import { runToolCalls } from './run-tools.js';
import type { Task, TurnContext } from './task.js';

export type { ReviewTarget } from './review-prompt.js';

/** The most model requests one review may make. */
const MAX_REVIEW_REQUESTS = 100;

/** The only tools a reviewer gets: commands (read-only, see below). No edits, no stdin to old processes. */
const REVIEW_TOOLS = ['exec_command', 'shell'];

/** The sandbox every command of a review runs in, whatever the thread's policy. */
const REVIEW_SANDBOX: SandboxPolicy = { type: 'readOnly', networkAccess: false };

/** What the thread is told when a review ends without an answer. */
const INTERRUPTED_TEXT = 'The review was interrupted before it finished; run it again to get its findings.';

/**
 * A review, inline on the thread. The reviewer works in its own conversation: the review
 * instructions, the target's request, and only read-only tools. Its commands run in the read-only
 * sandbox even when the thread has full access, and can never be escalated out of it (no
 * approval is asked; the call is refused). Its messages are not shown (its last one is the JSON
 * answer); its commands are. The thread's history gets only the outcome: a user-side record of
 * the review and its rendered findings as the assistant's answer, so the next turn can act on them.
 */
export class ReviewTask implements Task {
  readonly kind = 'review' as const;

  constructor(private readonly target: ReviewTarget) {}

  async run(ctx: TurnContext, _input: UserInput[]): Promise<void> {
    const hint = reviewHint(this.target);
    const entered: TurnItem = { type: 'enteredReviewMode', id: newId(), review: hint };
    ctx.itemStarted(entered);
    ctx.itemCompleted(entered);

    const conversation: HistoryItem[] = [{ type: 'message', role: 'user', content: [{ type: 'input_text', text: reviewPrompt(this.target) }] }];
    let lastMessage = '';
    const reviewer = reviewerContext(ctx, conversation, (text) => (lastMessage = text));
    let answer: string | null = null;
    try {
      for (let i = 0; i < MAX_REVIEW_REQUESTS; i++) {
        const calls = await sample(reviewer);
        if (ctx.signal.aborted) break;
        if (calls.length > 0) {
          await runToolCalls(reviewer, calls);
          if (ctx.signal.aborted) break;
          continue;
        }
        answer = lastMessage;
        break;
      }
      if (answer === null && !ctx.signal.aborted) {
        ctx.emit({ type: 'warning', turnId: ctx.turnId, message: `review stopped after ${MAX_REVIEW_REQUESTS} model requests` });
      }
    } finally {
      exitReview(ctx, hint, answer);
    }
  }
}

/** The reviewer's view of the turn: own instructions, history, tools and a read-only sandbox. */
function reviewerContext(ctx: TurnContext, conversation: HistoryItem[], onMessage: (text: string) => void): TurnContext {
  let toolCtx: ToolContext | null = null;
  return {
    ...ctx,
    settings: {
      ...ctx.settings,
      baseInstructions: REVIEW_INSTRUCTIONS,
      developerInstructions: null,
      collaborationMode: { mode: 'default', developerInstructions: null },
      sandboxPolicy: REVIEW_SANDBOX,
    },
    skills: [],
    tools: ctx.tools.only(REVIEW_TOOLS),
    goal: () => null,
    history: () => conversation.slice(),
    recordHistory: (items) => {
      conversation.push(...items);
    },
    emit: (event) => {
      if (event.type !== 'agent_message_delta') ctx.emit(event);
    },
    itemStarted: (item) => {
      if (item.type !== 'agentMessage') ctx.itemStarted(item);
    },
    itemCompleted: (item) => {
      if (item.type === 'agentMessage') onMessage(item.text);
      else ctx.itemCompleted(item);
    },
    toolContext: () => (toolCtx ??= { ...ctx.toolContext(), sandboxPolicy: REVIEW_SANDBOX, sandboxOnly: true }),
  };
}

/**
 * Ends review mode: the user-side record and the rendered review go into the thread's history
 * (persisted), and `exitedReviewMode` shows the review (or that it was interrupted).
 */
function exitReview(ctx: TurnContext, hint: string, answer: string | null): void {
  const rendered = answer === null ? null : renderReview(parseReviewOutput(answer));
  ctx.recordHistory([{ type: 'message', role: 'user', content: [{ type: 'input_text', text: reviewHistoryMessage(hint, rendered) }] }]);
  const exited: TurnItem = { type: 'exitedReviewMode', id: newId(), review: rendered ?? INTERRUPTED_TEXT };
  ctx.itemStarted(exited);
  ctx.itemCompleted(exited);
  ctx.recordHistory([{ type: 'message', role: 'assistant', content: [{ type: 'output_text', text: rendered ?? INTERRUPTED_TEXT }] }]);
}
