import { configReadView } from '../../../config/config-view.js';
import { listModels } from '../../../config/models.js';
import type { HandlerDeps, HandlerGroup } from './types.js';
import { paginate, sandboxPolicyFrom } from './shared.js';
import { initializeResult } from '../initialize-result.js';

/** `initialize`, `model/list`, `config/read`, `command/exec`. */
export function systemHandlers(d: HandlerDeps): HandlerGroup<'initialize' | 'model/list' | 'config/read' | 'command/exec'> {
  const { threads, conn } = d;
  return {
    initialize: (p) => {
      for (const m of p.capabilities?.optOutNotificationMethods ?? []) conn.optOut.add(m);
      return initializeResult(d.version, d.config.home);
    },

    'model/list': (p) => {
      const all = listModels(d.config).map((m) => ({
        id: m.id,
        model: m.model,
        displayName: m.displayName,
        description: m.description,
        hidden: false,
        isDefault: m.isDefault,
        supportedReasoningEfforts: m.supportedReasoningEfforts.map((e) => ({ reasoningEffort: e, description: e })),
        defaultReasoningEffort: m.defaultReasoningEffort ?? 'medium',
        inputModalities: ['text' as const, 'image' as const],
      }));
      return paginate(all, p.cursor, p.limit);
    },

    'config/read': () => configReadView(d.config),

    'command/exec': (p) =>
      d.execCommand({
        command: p.command,
        cwd: p.cwd,
        env: p.env,
        sandboxPolicy: sandboxPolicyFrom(p.sandboxPolicy) ?? threads.sandboxPolicyFor(d.config.sandboxMode),
        timeoutMs: p.timeoutMs,
      }),
  };
}
