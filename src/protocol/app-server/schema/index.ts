/** The app-server v2 wire contract: zod schemas, the method table and the JSON Schema generator. */
export * from './registry.js';
export * from './common.js';
export * from './items.js';
export * from './thread.js';
export * from './thread-requests.js';
export * from './turn.js';
export * from './initialize.js';
export * from './config.js';
export * from './notifications.js';
export * from './approvals.js';
export * from './settings.js';
export * from './goals.js';
export * from './skills.js';
export * from './account.js';
export * from './mcp.js';
export * from './methods.js';
export * from './generate.js';
