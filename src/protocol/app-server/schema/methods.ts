/**
 * The method table of the app-server face: every method name we implement, mapped to the zod
 * schemas of its params and result. Handlers parse `params` with the entry's `params` schema
 * (output type `Params<M>`); results and notifications are built as the input type.
 */
import type { z } from 'zod';
import {
  ThreadItemsListParams,
  ThreadItemsListResponse,
  ThreadRevertedNotification,
  ThreadRevertParams,
  ThreadRevertResponse,
  ThreadRevertUndoParams,
  ThreadRevertUndoResponse,
  ThreadTurnsListParams,
  ThreadTurnsListResponse,
} from './history.js';
import {
  CommandExecutionRequestApprovalParams,
  CommandExecutionRequestApprovalResponse,
  FileChangeRequestApprovalParams,
  FileChangeRequestApprovalResponse,
} from './approvals.js';
import {
  CommandExecParams,
  CommandExecResponse,
  ConfigReadParams,
  ConfigReadResponse,
  ModelListParams,
  ModelListResponse,
  PermissionProfileListParams,
  PermissionProfileListResponse,
} from './config.js';
import {
  ThreadBackgroundTerminalsListParams,
  ThreadBackgroundTerminalsListResponse,
  ThreadBackgroundTerminalsTerminateParams,
  ThreadBackgroundTerminalsTerminateResponse,
} from './terminals.js';
import {
  ThreadGoalClearedNotification,
  ThreadGoalClearParams,
  ThreadGoalClearResponse,
  ThreadGoalGetParams,
  ThreadGoalGetResponse,
  ThreadGoalSetParams,
  ThreadGoalSetResponse,
  ThreadGoalUpdatedNotification,
} from './goals.js';
import { GetAccountParams, GetAccountRateLimitsParams, GetAccountRateLimitsResponse, GetAccountResponse } from './account.js';
import { ReviewStartParams, ReviewStartResponse } from './review.js';
import { InitializedNotification, InitializeParams, InitializeResponse } from './initialize.js';
import {
  ListMcpServerStatusParams,
  ListMcpServerStatusResponse,
  McpServerElicitationRequestParams,
  McpServerElicitationRequestResponse,
  McpServerRefreshParams,
  McpServerRefreshResponse,
  McpServerStatusUpdatedNotification,
  McpToolCallProgressNotification,
} from './mcp.js';
import {
  AccountRateLimitsUpdatedNotification,
  AgentMessageDeltaNotification,
  CommandExecutionOutputDeltaNotification,
  ConfigWarningNotification,
  ContextCompactedNotification,
  ErrorNotification,
  FileChangeOutputDeltaNotification,
  ItemCompletedNotification,
  ItemStartedNotification,
  ReasoningSummaryPartAddedNotification,
  ReasoningSummaryTextDeltaNotification,
  ReasoningTextDeltaNotification,
  ServerRequestResolvedNotification,
  ThreadArchivedNotification,
  ThreadClosedNotification,
  ThreadNameUpdatedNotification,
  ThreadStartedNotification,
  ThreadStatusChangedNotification,
  ThreadTokenUsageUpdatedNotification,
  ThreadUnarchivedNotification,
  TurnCompletedNotification,
  TurnDiffUpdatedNotification,
  TurnPlanUpdatedNotification,
  TurnStartedNotification,
  WarningNotification,
} from './notifications.js';
import {
  ThreadArchiveParams,
  ThreadArchiveResponse,
  ThreadDeleteParams,
  ThreadDeleteResponse,
  ThreadForkParams,
  ThreadForkResponse,
  ThreadListParams,
  ThreadListResponse,
  ThreadLoadedListParams,
  ThreadLoadedListResponse,
  ThreadReadParams,
  ThreadReadResponse,
  ThreadResumeParams,
  ThreadResumeResponse,
  ThreadSetNameParams,
  ThreadSetNameResponse,
  ThreadStartParams,
  ThreadStartResponse,
  ThreadUnarchiveParams,
  ThreadUnarchiveResponse,
  ThreadUnsubscribeParams,
  ThreadUnsubscribeResponse,
} from './thread-requests.js';
import { ThreadSettingsUpdatedNotification, ThreadSettingsUpdateParams, ThreadSettingsUpdateResponse } from './settings.js';
import {
  SkillsChangedNotification,
  SkillsExtraRootsSetParams,
  SkillsExtraRootsSetResponse,
  SkillsListParams,
  SkillsListResponse,
} from './skills.js';
import { ThreadCompactStartParams, ThreadCompactStartResponse } from './compact.js';
import {
  TurnInterruptParams,
  TurnInterruptResponse,
  TurnStartParams,
  TurnStartResponse,
  TurnSteerParams,
  TurnSteerResponse,
} from './turn.js';

/** Client → server requests. */
export const clientRequests = {
  initialize: { params: InitializeParams, result: InitializeResponse },
  'thread/start': { params: ThreadStartParams, result: ThreadStartResponse },
  'thread/resume': { params: ThreadResumeParams, result: ThreadResumeResponse },
  'thread/fork': { params: ThreadForkParams, result: ThreadForkResponse },
  'thread/read': { params: ThreadReadParams, result: ThreadReadResponse },
  'thread/turns/list': { params: ThreadTurnsListParams, result: ThreadTurnsListResponse },
  'thread/items/list': { params: ThreadItemsListParams, result: ThreadItemsListResponse },
  'thread/revert': { params: ThreadRevertParams, result: ThreadRevertResponse },
  'thread/revert/undo': { params: ThreadRevertUndoParams, result: ThreadRevertUndoResponse },
  'thread/list': { params: ThreadListParams, result: ThreadListResponse },
  'thread/loaded/list': { params: ThreadLoadedListParams, result: ThreadLoadedListResponse },
  'thread/archive': { params: ThreadArchiveParams, result: ThreadArchiveResponse },
  'thread/unarchive': { params: ThreadUnarchiveParams, result: ThreadUnarchiveResponse },
  'thread/delete': { params: ThreadDeleteParams, result: ThreadDeleteResponse },
  'thread/unsubscribe': { params: ThreadUnsubscribeParams, result: ThreadUnsubscribeResponse },
  'thread/name/set': { params: ThreadSetNameParams, result: ThreadSetNameResponse },
  'thread/settings/update': { params: ThreadSettingsUpdateParams, result: ThreadSettingsUpdateResponse },
  'thread/goal/set': { params: ThreadGoalSetParams, result: ThreadGoalSetResponse },
  'thread/goal/get': { params: ThreadGoalGetParams, result: ThreadGoalGetResponse },
  'thread/goal/clear': { params: ThreadGoalClearParams, result: ThreadGoalClearResponse },
  'thread/compact/start': { params: ThreadCompactStartParams, result: ThreadCompactStartResponse },
  'turn/start': { params: TurnStartParams, result: TurnStartResponse },
  'turn/steer': { params: TurnSteerParams, result: TurnSteerResponse },
  'turn/interrupt': { params: TurnInterruptParams, result: TurnInterruptResponse },
  'review/start': { params: ReviewStartParams, result: ReviewStartResponse },
  'model/list': { params: ModelListParams, result: ModelListResponse },
  'config/read': { params: ConfigReadParams, result: ConfigReadResponse },
  'command/exec': { params: CommandExecParams, result: CommandExecResponse },
  'permissionProfile/list': { params: PermissionProfileListParams, result: PermissionProfileListResponse },
  'thread/backgroundTerminals/list': { params: ThreadBackgroundTerminalsListParams, result: ThreadBackgroundTerminalsListResponse },
  'thread/backgroundTerminals/terminate': {
    params: ThreadBackgroundTerminalsTerminateParams,
    result: ThreadBackgroundTerminalsTerminateResponse,
  },
  'skills/list': { params: SkillsListParams, result: SkillsListResponse },
  'skills/extraRoots/set': { params: SkillsExtraRootsSetParams, result: SkillsExtraRootsSetResponse },
  'account/read': { params: GetAccountParams, result: GetAccountResponse },
  'account/rateLimits/read': { params: GetAccountRateLimitsParams, result: GetAccountRateLimitsResponse },
  'mcpServerStatus/list': { params: ListMcpServerStatusParams, result: ListMcpServerStatusResponse },
  'config/mcpServer/reload': { params: McpServerRefreshParams, result: McpServerRefreshResponse },
} as const;

/** Client → server notifications (method → params schema). */
export const clientNotifications = {
  initialized: InitializedNotification,
} as const;

/** Server → client notifications (method → params schema). */
export const serverNotifications = {
  error: ErrorNotification,
  'thread/started': ThreadStartedNotification,
  'thread/status/changed': ThreadStatusChangedNotification,
  'thread/archived': ThreadArchivedNotification,
  'thread/unarchived': ThreadUnarchivedNotification,
  'thread/closed': ThreadClosedNotification,
  'thread/name/updated': ThreadNameUpdatedNotification,
  'thread/tokenUsage/updated': ThreadTokenUsageUpdatedNotification,
  'thread/settings/updated': ThreadSettingsUpdatedNotification,
  'thread/goal/updated': ThreadGoalUpdatedNotification,
  'thread/goal/cleared': ThreadGoalClearedNotification,
  'thread/reverted': ThreadRevertedNotification,
  'thread/compacted': ContextCompactedNotification,
  'turn/started': TurnStartedNotification,
  'turn/completed': TurnCompletedNotification,
  'turn/diff/updated': TurnDiffUpdatedNotification,
  'turn/plan/updated': TurnPlanUpdatedNotification,
  'item/started': ItemStartedNotification,
  'item/completed': ItemCompletedNotification,
  'item/agentMessage/delta': AgentMessageDeltaNotification,
  'item/reasoning/summaryTextDelta': ReasoningSummaryTextDeltaNotification,
  'item/reasoning/summaryPartAdded': ReasoningSummaryPartAddedNotification,
  'item/reasoning/textDelta': ReasoningTextDeltaNotification,
  'item/commandExecution/outputDelta': CommandExecutionOutputDeltaNotification,
  'item/fileChange/outputDelta': FileChangeOutputDeltaNotification,
  'item/mcpToolCall/progress': McpToolCallProgressNotification,
  'mcpServer/startupStatus/updated': McpServerStatusUpdatedNotification,
  'serverRequest/resolved': ServerRequestResolvedNotification,
  'account/rateLimits/updated': AccountRateLimitsUpdatedNotification,
  warning: WarningNotification,
  configWarning: ConfigWarningNotification,
  'skills/changed': SkillsChangedNotification,
} as const;

/** Server → client requests (approvals): params we send, result the client answers with. */
export const serverRequests = {
  'item/commandExecution/requestApproval': {
    params: CommandExecutionRequestApprovalParams,
    result: CommandExecutionRequestApprovalResponse,
  },
  'item/fileChange/requestApproval': {
    params: FileChangeRequestApprovalParams,
    result: FileChangeRequestApprovalResponse,
  },
  'mcpServer/elicitation/request': {
    params: McpServerElicitationRequestParams,
    result: McpServerElicitationRequestResponse,
  },
} as const;

export type ClientRequestMethod = keyof typeof clientRequests;
export type ClientNotificationMethod = keyof typeof clientNotifications;
export type ServerNotificationMethod = keyof typeof serverNotifications;
export type ServerRequestMethod = keyof typeof serverRequests;

/** Parsed params of a client request (defaults applied). */
export type Params<M extends ClientRequestMethod> = z.output<(typeof clientRequests)[M]['params']>;
/** What a handler returns for a client request (optional and defaulted fields may be omitted). */
export type Result<M extends ClientRequestMethod> = z.input<(typeof clientRequests)[M]['result']>;
/** Params of a server notification, as the face builds them. */
export type NotificationParams<M extends ServerNotificationMethod> = z.input<(typeof serverNotifications)[M]>;
/** Params of a server → client request, as the face builds them. */
export type ServerRequestParams<M extends ServerRequestMethod> = z.input<(typeof serverRequests)[M]['params']>;
/** The client's parsed answer to a server → client request. */
export type ServerRequestResult<M extends ServerRequestMethod> = z.output<(typeof serverRequests)[M]['result']>;

/** True when `method` is a client request this face implements. */
export function isClientRequestMethod(method: string): method is ClientRequestMethod {
  return Object.hasOwn(clientRequests, method);
}

/** True when `method` is a server notification this face may send. */
export function isServerNotificationMethod(method: string): method is ServerNotificationMethod {
  return Object.hasOwn(serverNotifications, method);
}
