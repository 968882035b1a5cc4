import type { Config, ModelInfo } from './types.js';

/** Context window assumed for a model we know nothing about. */
export const DEFAULT_CONTEXT_WINDOW = 128_000;

type CatalogueEntry = Omit<ModelInfo, 'id' | 'isDefault' | 'toolStyle'>;

const GPT5_EFFORTS = ['minimal', 'low', 'medium', 'high'];
const O_SERIES_EFFORTS = ['low', 'medium', 'high'];

/** The built-in catalogue for `model/list`; order is the order clients show. */
const CATALOGUE: readonly CatalogueEntry[] = [
  entry('gpt-5-codex', 'GPT-5-Codex', 'GPT-5 tuned for agentic coding.', 272_000, ['low', 'medium', 'high'], 'medium'),
  entry('gpt-5', 'GPT-5', 'General-purpose reasoning model.', 272_000, GPT5_EFFORTS, 'medium'),
  entry('gpt-5-mini', 'GPT-5 mini', 'Faster, cheaper GPT-5.', 272_000, GPT5_EFFORTS, 'medium'),
  entry('gpt-4.1', 'GPT-4.1', 'Non-reasoning model with a long context.', 1_047_576, [], null),
  entry('gpt-4o', 'GPT-4o', 'Fast general-purpose model.', 128_000, [], null),
  entry('o3', 'o3', 'Reasoning model.', 200_000, O_SERIES_EFFORTS, 'medium'),
  entry('o4-mini', 'o4-mini', 'Small reasoning model.', 200_000, O_SERIES_EFFORTS, 'medium'),
  entry('llama3.1', 'Llama 3.1 (Ollama)', 'Local model served by Ollama.', 128_000, [], null),
  entry('qwen2.5-coder', 'Qwen2.5-Coder (Ollama)', 'Local coding model served by Ollama.', 32_768, [], null),
];

function entry(
  model: string,
  displayName: string,
  description: string,
  contextWindow: number,
  supportedReasoningEfforts: string[],
  defaultReasoningEffort: string | null,
): CatalogueEntry {
  return { model, displayName, description, contextWindow, supportedReasoningEfforts, defaultReasoningEffort };
}

/**
 * Finds the catalogue entry for a model name: exact match, else the longest entry that prefixes
 * it (`gpt-4o-2024-08-06` → gpt-4o, `llama3.1:8b` → llama3.1), so dated and tagged variants
 * inherit their family's window.
 */
function lookup(model: string): CatalogueEntry | undefined {
  const exact = CATALOGUE.find((e) => e.model === model);
  if (exact) return exact;
  let best: CatalogueEntry | undefined;
  for (const e of CATALOGUE) {
    if (model.startsWith(e.model) && /^[-:.@_]/.test(model.slice(e.model.length))) {
      if (!best || e.model.length > best.model.length) best = e;
    }
  }
  return best;
}

/** Codex-style tools (exec_command, freeform apply_patch) suit the gpt-5 and codex families. */
function familyToolStyle(model: string): ModelInfo['toolStyle'] {
  return model.startsWith('gpt-5') || model.includes('codex') ? 'codex' : 'classic';
}

/**
 * Describes `model` for a turn: the catalogue's data (or defaults for an unknown name), with the
 * config's `model_context_window` and a non-`auto` `tool_style` taking precedence.
 */
export function modelInfo(model: string, config?: Config): ModelInfo {
  const info = baseInfo(model, config);
  if (config?.modelContextWindow != null) info.contextWindow = config.modelContextWindow;
  return info;
}

function baseInfo(model: string, config: Config | undefined): ModelInfo {
  const e = lookup(model);
  const toolStyle = config && config.toolStyle !== 'auto' ? config.toolStyle : familyToolStyle(model);
  return {
    id: model,
    model,
    displayName: e && e.model === model ? e.displayName : model,
    description: e?.description ?? 'Custom model.',
    contextWindow: e?.contextWindow ?? DEFAULT_CONTEXT_WINDOW,
    supportedReasoningEfforts: [...(e?.supportedReasoningEfforts ?? [])],
    defaultReasoningEffort: e?.defaultReasoningEffort ?? null,
    isDefault: config?.model === model,
    toolStyle,
  };
}

/**
 * The models for `model/list`: the configured model first (marked `isDefault`, with config
 * overrides applied), then the rest of the catalogue with its own windows.
 */
export function listModels(config: Config): ModelInfo[] {
  const out = [modelInfo(config.model, config)];
  for (const e of CATALOGUE) {
    if (e.model !== config.model) out.push(baseInfo(e.model, config));
  }
  return out;
}
