import type { ClientRequestMethod, Params, Result } from '../schema/methods.js';
import type { AppServerDeps, Connection } from '../app-server.js';
import type { NotificationParams, ServerNotificationMethod } from '../schema/methods.js';

/** One request handler: the params its schema parsed → the result its schema describes. */
export type Handler<M extends ClientRequestMethod> = (params: Params<M>) => Result<M> | Promise<Result<M>>;

/** Handlers for the methods `K`: a group of the table, one file per area. */
export type HandlerGroup<K extends ClientRequestMethod> = { [M in K]: Handler<M> };

/** The whole table: a listed method without a handler fails to compile. */
export type HandlerTable = HandlerGroup<ClientRequestMethod>;

/** What every handler group gets: the face's dependencies and this connection. */
export interface HandlerDeps extends AppServerDeps {
  conn: Connection;
  notify<M extends ServerNotificationMethod>(method: M, params: NotificationParams<M>): void;
  /** Whether another client connection is subscribed to the thread (listeners serve several). */
  subscribedElsewhere(threadId: string): boolean;
}
