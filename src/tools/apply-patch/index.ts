/** The `apply_patch` tool: parse, plan, check paths, commit, and the tool handler. */
export { parsePatch, PatchParseError, type ParsedPatch, type PatchHunk, type UpdateChunk } from './parser.js';
export { LineMatcher, normaliseLine, type MatchLevel, type SeekMatch } from './seek-sequence.js';
export { applyChunks, planPatch, PatchApplyError, type PatchPlan, type PlannedFile } from './plan.js';
export { checkPatchPaths, planPaths, sessionKeysFor, type PatchPathCheck } from './paths.js';
export { commitPatch } from './commit.js';
export { commitPatchSandboxed, writerPolicy, type SandboxedCommitOptions } from './sandboxed-commit.js';
export { applyPatchHandler, decidePatch, decideWrite, patchSummary, planChanges, type PatchDecision, type WriteDecision } from './handler.js';
export { applyPatchFreeformSpec, applyPatchFunctionSpec, APPLY_PATCH_LARK_GRAMMAR } from './spec.js';
export { applyPatchToText } from './bench.js';
