import { applyPatchFreeformSpec, applyPatchFunctionSpec, applyPatchHandler } from './apply-patch/index.js';
import { updatePlanHandler, updatePlanSpec } from './plan/update-plan.js';
import { ToolRegistry } from './registry.js';
import { createShellHandlers } from './shell/handlers.js';
import { ShellRuntime } from './shell/runtime.js';
import { EXEC_COMMAND_TOOL_SPEC, SHELL_TOOL_SPEC, WRITE_STDIN_TOOL_SPEC } from './shell/specs.js';
import { viewImageHandler, viewImageSpec } from './view-image.js';

/**
 * The tools agentd offers: Codex-style models get `exec_command`/`write_stdin` and the freeform
 * `apply_patch`; other models the classic `shell` and the function-form `apply_patch`. Both shapes
 * run on one shell runtime.
 */
export function buildToolRegistry(runtime: ShellRuntime = new ShellRuntime()): ToolRegistry {
  const shell = createShellHandlers(runtime);
  return new ToolRegistry([
    { handler: shell.exec_command, codex: [EXEC_COMMAND_TOOL_SPEC] },
    { handler: shell.write_stdin, codex: [WRITE_STDIN_TOOL_SPEC] },
    { handler: shell.shell, classic: [SHELL_TOOL_SPEC] },
    { handler: applyPatchHandler, codex: [applyPatchFreeformSpec], classic: [applyPatchFunctionSpec] },
    { handler: updatePlanHandler, codex: [updatePlanSpec], classic: [updatePlanSpec] },
    { handler: viewImageHandler, codex: [viewImageSpec], classic: [viewImageSpec] },
  ]);
}
