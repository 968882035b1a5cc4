export { ThreadMcpServers, MAX_MCP_TOOLS, type McpServerView, type ThreadMcpDeps } from './manager.js';
export { type McpRuntimeStatus, type McpToolInfo } from './connection.js';
export { ToolNamer, TOOL_NAME_PATTERN } from './names.js';
export { McpFactory, type McpFactoryDeps, type ThreadMcpOptions } from './factory.js';
