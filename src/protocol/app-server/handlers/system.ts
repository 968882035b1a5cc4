import { configReadView } from '../../../config/config-view.js';
import { listModels } from '../../../config/models.js';
import type { HandlerDeps, HandlerGroup } from './types.js';
import { wireApprovalPolicy } from '../wire.js';
import { paginate, sandboxPolicyFrom } from './shared.js';
import { initializeResult } from '../initialize-result.js';

const BUILT_IN_PROFILES = [
  { id: ':read-only', description: 'Read files anywhere; no writes, no network (sandbox_mode read-only).', allowed: true },
  { id: ':workspace', description: 'Write inside the workspace and writable roots (sandbox_mode workspace-write).', allowed: true },
  { id: ':danger-full-access', description: 'No sandbox (sandbox_mode danger-full-access).', allowed: true },
];

/** `initialize`, `model/list`, `config/read`, `command/exec`. */
export function systemHandlers(d: HandlerDeps): HandlerGroup<'initialize' | 'model/list' | 'config/read' | 'command/exec' | 'permissionProfile/list'> {
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

    'config/read': () => {
      const view = configReadView(d.config);
      return { ...view, config: { ...view.config, approval_policy: wireApprovalPolicy(d.config.approvalPolicy) } };
    },

    // The sandbox modes are agentd's only permission profiles (built in: ids start with `:`).
    'permissionProfile/list': (p) => paginate(BUILT_IN_PROFILES, p.cursor, p.limit),

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
