import type { ToolSpec } from '../../model/types.js';
import type { PlanStep } from '../../core/items.js';
import type { ToolCall, ToolContext, ToolHandler, ToolOutput } from '../types.js';

export const updatePlanSpec: ToolSpec = {
  type: 'function',
  name: 'update_plan',
  description:
    'Updates the task plan. Provide an optional explanation and a list of plan items, each with a step and status. ' +
    'At most one step can be in_progress at a time.',
  parameters: {
    type: 'object',
    properties: {
      explanation: { type: 'string' },
      plan: {
        type: 'array',
        description: 'The list of steps',
        items: {
          type: 'object',
          properties: {
            step: { type: 'string' },
            status: { type: 'string', description: 'One of: pending, in_progress, completed' },
          },
          required: ['step', 'status'],
          additionalProperties: false,
        },
      },
    },
    required: ['plan'],
    additionalProperties: false,
  },
};

const STATUS: Record<string, PlanStep['status']> = {
  pending: 'pending',
  in_progress: 'inProgress',
  inProgress: 'inProgress',
  completed: 'completed',
};

/** Parses update_plan arguments; returns an error message for the model when they are wrong. */
export function parsePlanArgs(input: string): { explanation: string | null; plan: PlanStep[] } | string {
  let args: unknown;
  try {
    args = JSON.parse(input);
  } catch {
    return 'failed to parse function arguments: expected JSON';
  }
  const a = args as { explanation?: unknown; plan?: unknown };
  if (!Array.isArray(a.plan)) return 'failed to parse function arguments: `plan` must be an array';
  const plan: PlanStep[] = [];
  for (const [i, raw] of a.plan.entries()) {
    const s = raw as { step?: unknown; status?: unknown };
    const status = typeof s.status === 'string' ? STATUS[s.status] : undefined;
    if (typeof s.step !== 'string' || !status) {
      return `failed to parse function arguments: plan[${i}] needs a string step and a status of pending, in_progress or completed`;
    }
    plan.push({ step: s.step, status });
  }
  return { explanation: typeof a.explanation === 'string' ? a.explanation : null, plan };
}

function renderPlan(explanation: string | null, plan: PlanStep[]): string {
  const mark = { pending: '[ ]', inProgress: '[~]', completed: '[x]' } as const;
  const lines = plan.map((p) => `${mark[p.status]} ${p.step}`);
  return [explanation, ...lines].filter((l): l is string => !!l).join('\n');
}

/** `update_plan`: records the plan (turn/plan/updated) and shows it as a plan item. */
export const updatePlanHandler: ToolHandler = {
  name: 'update_plan',
  parallelSafe: true,
  async handle(call: ToolCall, ctx: ToolContext): Promise<ToolOutput> {
    const parsed = parsePlanArgs(call.input);
    if (typeof parsed === 'string') return { success: false, content: parsed };
    ctx.planUpdated(parsed.explanation, parsed.plan);
    const item = { type: 'plan' as const, id: call.callId, text: renderPlan(parsed.explanation, parsed.plan) };
    ctx.itemStarted(item);
    ctx.itemCompleted(item);
    return { success: true, content: 'Plan updated' };
  },
};
