/**
 * Session modes (approval and sandbox presets) and config options (model, reasoning effort) of the
 * ACP face, read from and written to the thread's settings.
 */
import type * as acp from '@agentclientprotocol/sdk';
import { listModels, modelInfo } from '../../config/models.js';
import type { Config } from '../../config/types.js';
import type { ApprovalPolicy, SandboxPolicy, ThreadSettings } from '../../core/settings.js';

export type ModeId = 'read-only' | 'auto' | 'full-access';

interface ModeDef {
  id: ModeId;
  name: string;
  description: string;
  approvalPolicy: ApprovalPolicy;
  sandbox: 'read-only' | 'workspace-write' | 'danger-full-access';
}

export const MODES: readonly ModeDef[] = [
  {
    id: 'read-only',
    name: 'Read-only',
    description: 'Reads files; asks before editing files or running commands that write.',
    approvalPolicy: 'on-request',
    sandbox: 'read-only',
  },
  {
    id: 'auto',
    name: 'Auto',
    description: 'Edits files and runs commands in the workspace; asks before going outside it or using the network.',
    approvalPolicy: 'on-request',
    sandbox: 'workspace-write',
  },
  {
    id: 'full-access',
    name: 'Full access',
    description: 'Edits any file and runs any command, with network access, without asking. Use with care.',
    approvalPolicy: 'never',
    sandbox: 'danger-full-access',
  },
];

export function findMode(id: string): ModeDef | undefined {
  return MODES.find((m) => m.id === id);
}

/** The mode a thread's settings are in (by their sandbox; every sandbox maps to one mode). */
export function currentMode(settings: ThreadSettings): ModeId {
  return modeOfSandbox(settings.sandboxPolicy);
}

function modeOfSandbox(p: SandboxPolicy): ModeId {
  if (p.type === 'readOnly') return 'read-only';
  if (p.type === 'dangerFullAccess') return 'full-access';
  return 'auto';
}

export function modeState(settings: ThreadSettings): acp.SessionModeState {
  return {
    currentModeId: currentMode(settings),
    availableModes: MODES.map((m) => ({ id: m.id, name: m.name, description: m.description })),
  };
}

export const MODE_OPTION = 'mode';
export const MODEL_OPTION = 'model';
export const EFFORT_OPTION = 'reasoning_effort';

/** The session's config options: mode, model (the catalogue) and reasoning effort (the model's). */
export function configOptions(settings: ThreadSettings, config: Config): acp.SessionConfigOption[] {
  const models = listModels(config);
  const modelOptions = models.map((m) => ({ value: m.model, name: m.displayName, description: m.description }));
  if (!models.some((m) => m.model === settings.model)) modelOptions.unshift({ value: settings.model, name: settings.model, description: 'Custom model.' });
  const out: acp.SessionConfigOption[] = [
    {
      type: 'select',
      id: MODE_OPTION,
      name: 'Mode',
      description: 'Approval and sandbox preset',
      category: 'mode',
      currentValue: currentMode(settings),
      options: MODES.map((m) => ({ value: m.id, name: m.name, description: m.description })),
    },
    { type: 'select', id: MODEL_OPTION, name: 'Model', category: 'model', currentValue: settings.model, options: modelOptions },
  ];
  const efforts = modelInfo(settings.model, config).supportedReasoningEfforts;
  if (efforts.length > 0) {
    const current = settings.reasoningEffort && efforts.includes(settings.reasoningEffort) ? settings.reasoningEffort : (modelInfo(settings.model, config).defaultReasoningEffort ?? efforts[0]!);
    out.push({
      type: 'select',
      id: EFFORT_OPTION,
      name: 'Reasoning effort',
      category: 'thought_level',
      currentValue: current,
      options: efforts.map((e) => ({ value: e, name: e[0]!.toUpperCase() + e.slice(1) })),
    });
  }
  return out;
}
