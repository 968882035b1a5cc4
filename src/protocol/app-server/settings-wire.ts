import type { ThreadGoal } from '../../core/goal.js';
import { collaborationModeOf, type ThreadSettings } from '../../core/settings.js';
import type { NotificationParams } from './schema/methods.js';
import { wireApprovalPolicy } from './wire.js';

type WireThreadSettings = NotificationParams<'thread/settings/updated'>['threadSettings'];
type WireGoal = NotificationParams<'thread/goal/updated'>['goal'];

const SUMMARIES = ['auto', 'concise', 'detailed', 'none'] as const;

/** A thread's settings as `thread/settings/updated` reports them. */
export function wireThreadSettings(s: ThreadSettings): WireThreadSettings {
  const mode = collaborationModeOf(s);
  const summary = SUMMARIES.find((x) => x === s.reasoningSummary) ?? null;
  return {
    cwd: s.cwd,
    approvalPolicy: wireApprovalPolicy(s.approvalPolicy),
    approvalsReviewer: 'user',
    sandboxPolicy: s.sandboxPolicy,
    activePermissionProfile: null,
    model: s.model,
    modelProvider: s.modelProvider,
    serviceTier: null,
    effort: s.reasoningEffort,
    summary,
    collaborationMode: {
      mode: mode.mode,
      settings: { model: s.model, reasoning_effort: s.reasoningEffort, developer_instructions: mode.developerInstructions },
    },
    personality: null,
    disabledPluginIds: [],
  };
}

/** A thread goal on the wire. */
export function wireGoal(threadId: string, g: ThreadGoal): WireGoal {
  return { threadId, ...g };
}
