import type { ThreadSettings } from '../core/settings.js';
import type { HistoryItem } from '../model/types.js';
import { renderSkillsSection, skillsBudgetChars, type SkillMetadata } from '../skills/index.js';

/** The base instructions used when neither the thread nor config sets `base_instructions`. */
export const DEFAULT_BASE_INSTRUCTIONS = `You are a coding agent running in agentd, a daemon that an editor or script drives.
You help the user with software engineering tasks in their workspace.

- Use the shell tool to inspect the workspace and run commands; prefer fast read-only tools (rg, ls, cat) to explore.
- Use apply_patch to edit files; keep changes minimal and focused on the request.
- Use update_plan for multi-step work and keep it current.
- Commands may run in a sandbox and may need the user's approval; if a command is declined, adapt instead of retrying it unchanged.
- When you are done, reply with a concise summary of what you did and anything the user should check.`;

/** What the context messages show besides the settings. */
export interface ContextExtras {
  /** The enabled skills of the turn's cwd (a developer message lists them). */
  skills?: readonly SkillMetadata[];
  /** The model's context window, which bounds the size of the skills list. */
  contextWindow?: number | null;
}

/**
 * The context messages that precede the history in every request: developer instructions, the
 * skills available, and the environment (cwd, policies). They are derived from settings, not
 * stored, so a resumed thread sends the same history with its current settings.
 */
export function contextMessages(settings: ThreadSettings, extras: ContextExtras = {}): HistoryItem[] {
  const out: HistoryItem[] = [];
  if (settings.developerInstructions) {
    out.push({ type: 'message', role: 'developer', content: [{ type: 'input_text', text: settings.developerInstructions }] });
  }
  const skills = renderSkillsSection(extras.skills ?? [], skillsBudgetChars(extras.contextWindow));
  if (skills) out.push({ type: 'message', role: 'developer', content: [{ type: 'input_text', text: skills }] });
  const sandbox = settings.sandboxPolicy.type;
  const network =
    settings.sandboxPolicy.type === 'dangerFullAccess' ? 'enabled' : settings.sandboxPolicy.networkAccess ? 'enabled' : 'restricted';
  const env =
    `<environment_context>\n  <cwd>${settings.cwd}</cwd>\n  <approval_policy>${settings.approvalPolicy}</approval_policy>\n` +
    `  <sandbox_mode>${sandbox}</sandbox_mode>\n  <network_access>${network}</network_access>\n  <shell>bash</shell>\n</environment_context>`;
  out.push({ type: 'message', role: 'user', content: [{ type: 'input_text', text: env }] });
  return out;
}
