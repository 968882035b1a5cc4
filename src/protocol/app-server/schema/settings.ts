/** `thread/settings/update` and `thread/settings/updated`: a thread's settings for its next turns. */
import { z } from 'zod';
import { wire } from './registry.js';
import { AbsolutePathBuf, ApprovalsReviewer, AskForApproval, AskForApprovalParam, ReasoningEffort, ReasoningSummary, SandboxPolicy } from './common.js';

export const ModeKind = wire(
  'ModeKind',
  z.enum(['plan', 'default']),
  '`plan`: the agent plans and changes nothing; `default`: the agent does the work.',
);

/** The settings of a collaboration mode (snake_case keys, as the reference spells them). */
export const CollaborationModeSettings = wire(
  'Settings',
  z.object({
    model: z.string().min(1),
    reasoning_effort: ReasoningEffort.nullish(),
    developer_instructions: z.string().nullish(),
  }),
  'Settings of a collaboration mode. `developer_instructions` null: the built-in instructions of the mode.',
);

export const CollaborationMode = wire(
  'CollaborationMode',
  z.object({ mode: ModeKind, settings: CollaborationModeSettings }),
  'Collaboration mode of a thread. Setting it also sets the model and reasoning effort of its settings.',
);

/** The effective settings of a thread, as `thread/settings/updated` reports them. */
export const ThreadSettings = wire(
  'ThreadSettings',
  z.object({
    cwd: AbsolutePathBuf,
    approvalPolicy: AskForApproval,
    approvalsReviewer: ApprovalsReviewer,
    sandboxPolicy: SandboxPolicy,
    /** agentd has no permission profiles. */
    activePermissionProfile: z.null().optional(),
    model: z.string(),
    modelProvider: z.string(),
    /** agentd has no service tiers. */
    serviceTier: z.string().nullish(),
    effort: ReasoningEffort.nullish(),
    summary: ReasoningSummary.nullish(),
    collaborationMode: CollaborationMode,
    /** agentd has no personalities. */
    personality: z.null().optional(),
    /** agentd has no plugins. */
    disabledPluginIds: z.array(z.string()).optional(),
  }),
);

export const ThreadSettingsUpdateParams = wire(
  'ThreadSettingsUpdateParams',
  z.object({
    threadId: z.string(),
    /** Relative paths resolve against the thread's current cwd. */
    cwd: z.string().min(1).nullish(),
    approvalPolicy: AskForApprovalParam.nullish(),
    /** Only `user`: agentd has no automatic reviewer. */
    approvalsReviewer: z.literal('user').nullish(),
    sandboxPolicy: SandboxPolicy.nullish(),
    model: z.string().min(1).nullish(),
    effort: ReasoningEffort.nullish(),
    summary: ReasoningSummary.nullish(),
    /** Also sets the model and effort of its settings, unless `model` / `effort` are given too. */
    collaborationMode: CollaborationMode.nullish(),
  }),
  'Changes a loaded thread\'s settings for the turns that start after it; a turn already running keeps the settings it started with. ' +
    'Omitted or null fields are unchanged. The settings are persisted (a resumed thread keeps them) and reported with `thread/settings/updated`.',
);
export const ThreadSettingsUpdateResponse = wire('ThreadSettingsUpdateResponse', z.object({}));

export const ThreadSettingsUpdatedNotification = wire(
  'ThreadSettingsUpdatedNotification',
  z.object({ threadId: z.string(), threadSettings: ThreadSettings }),
  'Sent after `thread/settings/update`, and when the overrides of a `turn/start` changed the thread\'s settings.',
);
