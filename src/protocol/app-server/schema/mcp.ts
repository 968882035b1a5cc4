/** Params and results of `mcpServerStatus/list`. */
import { z } from 'zod';
import { wire } from './registry.js';

export const McpServerStatusDetail = wire('McpServerStatusDetail', z.enum(['full', 'toolsAndAuthOnly']));

export const ListMcpServerStatusParams = wire(
  'ListMcpServerStatusParams',
  z.object({
    cursor: z.string().nullish(),
    limit: z.int().nonnegative().nullish(),
    detail: McpServerStatusDetail.nullish(),
    /** Only this server. */
    serverName: z.string().nullish(),
    /** Also the servers of this loaded thread's own config. */
    threadId: z.string().nullish(),
  }),
);

export const McpAuthStatus = wire('McpAuthStatus', z.enum(['unknown', 'unsupported', 'notLoggedIn', 'bearerToken', 'oAuth']));

export const McpServerConnectionStatus = wire(
  'McpServerConnectionStatus',
  z.enum(['notStarted', 'starting', 'connected', 'authenticationRequired', 'failed', 'cancelled', 'disabled']),
);

/** An MCP tool as the server describes it. */
export const McpTool = wire(
  'Tool',
  z.looseObject({
    name: z.string(),
    title: z.string().nullish(),
    description: z.string().nullish(),
    inputSchema: z.unknown(),
    outputSchema: z.unknown().optional(),
    annotations: z.unknown().optional(),
  }),
);

export const McpResource = wire(
  'Resource',
  z.looseObject({
    name: z.string(),
    uri: z.string(),
    title: z.string().nullish(),
    description: z.string().nullish(),
    mimeType: z.string().nullish(),
    size: z.int().nullish(),
  }),
);

export const McpResourceTemplate = wire(
  'ResourceTemplate',
  z.looseObject({
    name: z.string(),
    uriTemplate: z.string(),
    title: z.string().nullish(),
    description: z.string().nullish(),
    mimeType: z.string().nullish(),
  }),
);

export const McpServerStatus = wire(
  'McpServerStatus',
  z.object({
    name: z.string(),
    tools: z.record(z.string(), McpTool),
    resources: z.array(McpResource),
    resourceTemplates: z.array(McpResourceTemplate),
    authStatus: McpAuthStatus,
    /** Of a loaded thread's server: `starting`, `connected` or `failed`; else `notStarted` (`disabled` for `enabled = false`). */
    runtimeStatus: McpServerConnectionStatus.nullish(),
    /** Why no tool catalogue is given. */
    toolsError: z.string().nullish(),
    /** Scheme, host and port of an HTTP server's URL; null for stdio. */
    httpOrigin: z.string().nullish(),
    /** What the running server said of itself at initialize. */
    serverInfo: z.looseObject({ name: z.string(), version: z.string() }).nullish(),
  }),
);

export const ListMcpServerStatusResponse = wire(
  'ListMcpServerStatusResponse',
  z.object({ data: z.array(McpServerStatus), nextCursor: z.string().nullish() }),
);

/** `config/mcpServer/reload` takes no params (null or absent reads as {}). */
export const McpServerRefreshParams = wire('McpServerRefreshParams', z.object({}));
export const McpServerRefreshResponse = wire('McpServerRefreshResponse', z.object({}));

export const McpServerStartupState = wire('McpServerStartupState', z.enum(['starting', 'ready', 'failed', 'cancelled']));

/** `mcpServer/startupStatus/updated`: one of a thread's MCP servers changed state. */
export const McpServerStatusUpdatedNotification = wire(
  'McpServerStatusUpdatedNotification',
  z.object({
    threadId: z.string().nullish(),
    name: z.string(),
    status: McpServerStartupState,
    error: z.string().nullish(),
    failureReason: z.enum(['reauthenticationRequired']).nullish(),
  }),
);

/** `item/mcpToolCall/progress`: a progress notification of a running MCP tool call. */
export const McpToolCallProgressNotification = wire(
  'McpToolCallProgressNotification',
  z.object({ threadId: z.string(), turnId: z.string(), itemId: z.string(), message: z.string() }),
);

/**
 * `mcpServer/elicitation/request`, form mode, as agentd sends it: the approval of an MCP tool
 * call (`_meta.codex_approval_kind` = `mcp_tool_call`, as Codex marks it) with an empty form.
 */
export const McpServerElicitationRequestParams = wire(
  'McpServerElicitationRequestParams',
  z.object({
    threadId: z.string(),
    turnId: z.string().nullish(),
    serverName: z.string(),
    mode: z.literal('form'),
    message: z.string(),
    requestedSchema: z.object({ type: z.literal('object'), properties: z.record(z.string(), z.unknown()), required: z.array(z.string()).nullish() }),
    _meta: z.unknown().optional(),
  }),
);

export const McpServerElicitationAction = wire('McpServerElicitationAction', z.enum(['accept', 'decline', 'cancel']));

/** The answer: `accept` with `_meta.persist` `session` (or `always`) accepts for the rest of the thread. */
export const McpServerElicitationRequestResponse = wire(
  'McpServerElicitationRequestResponse',
  z.object({
    action: McpServerElicitationAction,
    content: z.unknown().optional(),
    _meta: z.unknown().optional(),
  }),
);
