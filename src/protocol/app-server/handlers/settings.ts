import { resolve } from 'node:path';
import type { GoalUpdate } from '../../../core/goal.js';
import type { ThreadSettings } from '../../../core/settings.js';
import type { Params } from '../schema/methods.js';
import { wireGoal } from '../settings-wire.js';
import { settingsOverrides } from './shared.js';
import type { HandlerDeps, HandlerGroup } from './types.js';

/** The settings a `thread/settings/update` changes (absent: unchanged). */
function settingsPatch(p: Params<'thread/settings/update'>, current: ThreadSettings): Partial<ThreadSettings> {
  const out: Partial<ThreadSettings> = {};
  const mode = p.collaborationMode;
  if (mode) {
    out.collaborationMode = { mode: mode.mode, developerInstructions: mode.settings.developer_instructions ?? null };
    out.model = mode.settings.model;
    if (mode.settings.reasoning_effort !== undefined) out.reasoningEffort = mode.settings.reasoning_effort;
  }
  if (p.cwd) out.cwd = resolve(current.cwd, p.cwd);
  return { ...out, ...settingsOverrides(p) };
}

/** The goal change of a `thread/goal/set` (absent: unchanged; a null budget removes it). */
function goalUpdate(p: Params<'thread/goal/set'>): GoalUpdate {
  const out: GoalUpdate = {};
  if (p.objective !== undefined && p.objective !== null) out.objective = p.objective;
  if (p.status) out.status = p.status;
  if (p.tokenBudget !== undefined) out.tokenBudget = p.tokenBudget;
  return out;
}

type SettingsMethods = 'thread/settings/update' | 'thread/goal/set' | 'thread/goal/get' | 'thread/goal/clear';

/** `thread/settings/update` and `thread/goal/*`: a loaded thread's settings and goal. */
export function settingsHandlers(d: HandlerDeps): HandlerGroup<SettingsMethods> {
  const { threads } = d;
  return {
    'thread/settings/update': (p) => {
      const { session } = threads.require(p.threadId);
      session.updateSettings(settingsPatch(p, session.settings()));
      return {};
    },

    'thread/goal/set': (p) => {
      const { session } = threads.require(p.threadId);
      return { goal: wireGoal(p.threadId, session.setGoal(goalUpdate(p))) };
    },

    'thread/goal/get': (p) => {
      const { session } = threads.require(p.threadId);
      const goal = session.goal();
      return { goal: goal ? wireGoal(p.threadId, goal) : null };
    },

    'thread/goal/clear': (p) => {
      const { session } = threads.require(p.threadId);
      return { cleared: session.clearGoal() };
    },
  };
}
