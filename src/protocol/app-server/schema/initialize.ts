/** The `initialize` handshake and the `initialized` notification. */
import { z } from 'zod';
import { wire } from './registry.js';
import { AbsolutePathBuf } from './common.js';

export const ClientInfo = wire(
  'ClientInfo',
  z.object({ name: z.string(), title: z.string().nullish(), version: z.string() }),
);

export const InitializeCapabilities = wire(
  'InitializeCapabilities',
  z.object({
    experimentalApi: z.boolean().nullish(),
    /** Exact notification method names this connection does not want to receive. */
    optOutNotificationMethods: z.array(z.string()).nullish(),
  }),
);

export const InitializeParams = wire(
  'InitializeParams',
  z.object({ clientInfo: ClientInfo, capabilities: InitializeCapabilities.nullish() }),
);

export const InitializeResponse = wire(
  'InitializeResponse',
  z.object({
    userAgent: z.string(),
    /** The agentd home directory (Codex's `CODEX_HOME`). */
    codexHome: AbsolutePathBuf,
    /** `unix` or `windows`. */
    platformFamily: z.string(),
    /** Node's `process.platform` (`linux`, `macos`, …). */
    platformOs: z.string(),
    protocolVersion: z
      .string()
      .optional()
      .describe('agentd addition: the version (semver) of the app-server contract served; additive changes only within a major version.'),
    methods: z
      .object({
        clientRequests: z.array(z.string()),
        serverNotifications: z.array(z.string()),
        serverRequests: z.array(z.string()),
      })
      .optional()
      .describe('agentd addition: the methods this server serves (requests), may send (notifications) and may ask (server requests).'),
  }),
);

/** The `initialized` notification carries no params. */
export const InitializedNotification = wire('InitializedNotification', z.object({}).nullish());
