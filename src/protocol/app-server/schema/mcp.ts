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
    /** `notStarted` until agentd runs MCP servers; `disabled` for `enabled = false`. */
    runtimeStatus: McpServerConnectionStatus.nullish(),
    /** Why no tool catalogue is given. */
    toolsError: z.string().nullish(),
    /** Scheme, host and port of an HTTP server's URL; null for stdio. */
    httpOrigin: z.string().nullish(),
  }),
);

export const ListMcpServerStatusResponse = wire(
  'ListMcpServerStatusResponse',
  z.object({ data: z.array(McpServerStatus), nextCursor: z.string().nullish() }),
);
