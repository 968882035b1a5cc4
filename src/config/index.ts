export { loadConfig, type LoadConfigOptions } from './load-config.js';
export { parseOverride, type ConfigOverride } from './overrides.js';
export { BUILT_IN_PROVIDER_IDS } from './providers.js';
export { modelInfo, listModels, DEFAULT_CONTEXT_WINDOW } from './models.js';
export { configReadView, REDACTED } from './config-view.js';
export * from './types.js';
export { threadConfig, threadConfigFromLayer, normalizeThreadLayer, type ThreadConfig } from './thread-config.js';
export { requiresOpenaiAuth } from './providers.js';
