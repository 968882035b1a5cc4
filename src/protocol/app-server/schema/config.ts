/** Params and results of `model/list`, `config/read` and `command/exec`. */
import { z } from 'zod';
import { wire } from './registry.js';
import {
  AbsolutePathBuf,
  ApprovalsReviewer,
  AskForApproval,
  ReasoningEffort,
  ReasoningSummary,
  SandboxMode,
  SandboxPolicy,
} from './common.js';

export const ReasoningEffortOption = wire(
  'ReasoningEffortOption',
  z.object({ reasoningEffort: ReasoningEffort, description: z.string() }),
);

export const InputModality = wire('InputModality', z.enum(['text', 'image', 'audio']));

/** A model the client may pick, from the built-in catalogue and config. */
export const Model = wire(
  'Model',
  z.object({
    id: z.string(),
    model: z.string(),
    displayName: z.string(),
    description: z.string(),
    hidden: z.boolean(),
    isDefault: z.boolean(),
    defaultReasoningEffort: ReasoningEffort,
    supportedReasoningEfforts: z.array(ReasoningEffortOption),
    inputModalities: z.array(InputModality).optional(),
    upgrade: z.string().nullish(),
  }),
);

export const ModelListParams = wire(
  'ModelListParams',
  z.object({
    cursor: z.string().nullish(),
    limit: z.int().nonnegative().nullish(),
    includeHidden: z.boolean().nullish(),
    modelProvider: z.string().nullish(),
  }),
);
export const ModelListResponse = wire(
  'ModelListResponse',
  z.object({ data: z.array(Model), nextCursor: z.string().nullish() }),
);

export const ConfigReadParams = wire(
  'ConfigReadParams',
  z.object({ cwd: z.string().nullish(), includeLayers: z.boolean().nullish() }),
);

/** Where a config layer came from (subset of the reference sources). */
export const ConfigLayerSource = wire(
  'ConfigLayerSource',
  z.discriminatedUnion('type', [
    z.object({ type: z.literal('system'), file: AbsolutePathBuf }),
    z.object({ type: z.literal('user'), file: AbsolutePathBuf, profile: z.string().nullish() }),
    z.object({ type: z.literal('project'), dotCodexFolder: AbsolutePathBuf }),
    z.object({ type: z.literal('sessionFlags') }),
  ]),
);

export const ConfigLayerMetadata = wire(
  'ConfigLayerMetadata',
  z.object({ name: ConfigLayerSource, version: z.string() }),
);

export const ConfigLayer = wire(
  'ConfigLayer',
  z.object({
    name: ConfigLayerSource,
    version: z.string(),
    config: z.unknown(),
    disabledReason: z.string().nullish(),
  }),
);

export const SandboxWorkspaceWrite = wire(
  'SandboxWorkspaceWrite',
  z.object({
    writable_roots: z.array(z.string()).optional(),
    network_access: z.boolean().optional(),
    exclude_tmpdir_env_var: z.boolean().optional(),
    exclude_slash_tmp: z.boolean().optional(),
  }),
);

/** The effective configuration with Codex `config.toml` key names; other keys pass through. */
export const Config = wire(
  'Config',
  z.looseObject({
    model: z.string().nullish(),
    model_provider: z.string().nullish(),
    approval_policy: AskForApproval.nullish(),
    approvals_reviewer: ApprovalsReviewer.nullish(),
    sandbox_mode: SandboxMode.nullish(),
    sandbox_workspace_write: SandboxWorkspaceWrite.nullish(),
    model_context_window: z.int().nullish(),
    model_auto_compact_token_limit: z.int().nullish(),
    model_reasoning_effort: ReasoningEffort.nullish(),
    model_reasoning_summary: ReasoningSummary.nullish(),
    instructions: z.string().nullish(),
    developer_instructions: z.string().nullish(),
    compact_prompt: z.string().nullish(),
    review_model: z.string().nullish(),
  }),
);

export const ConfigReadResponse = wire(
  'ConfigReadResponse',
  z.object({
    config: Config,
    /** Which layer set each (dotted) key. */
    origins: z.record(z.string(), ConfigLayerMetadata),
    layers: z.array(ConfigLayer).nullish(),
  }),
);

export const CommandExecParams = wire(
  'CommandExecParams',
  z.object({
    /** argv; the first element is the program. */
    command: z.array(z.string()),
    cwd: z.string().nullish(),
    /** Variables to set; `null` removes one from the inherited environment. */
    env: z.record(z.string(), z.string().nullable()).nullish(),
    sandboxPolicy: SandboxPolicy.nullish(),
    timeoutMs: z.int().nullish(),
  }),
  'Runs one command outside any thread and returns its buffered output.',
);
export const CommandExecResponse = wire(
  'CommandExecResponse',
  z.object({ exitCode: z.int(), stdout: z.string(), stderr: z.string() }),
);

export const PermissionProfileSummary = wire(
  'PermissionProfileSummary',
  z.object({ id: z.string(), description: z.string().nullish(), allowed: z.boolean() }),
);
export const PermissionProfileListParams = wire(
  'PermissionProfileListParams',
  z.object({ cwd: z.string().nullish(), cursor: z.string().nullish(), limit: z.int().nonnegative().nullish() }),
);
export const PermissionProfileListResponse = wire(
  'PermissionProfileListResponse',
  z.object({ data: z.array(PermissionProfileSummary), nextCursor: z.string().nullish() }),
  'The built-in sandbox presets (ids start with `:`); agentd has no user-defined permission profiles.',
);
