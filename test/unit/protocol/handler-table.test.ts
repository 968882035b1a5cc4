/**
 * The wire contract is typed: the handler table has exactly the methods of `clientRequests`, each
 * typed by its schemas. The `@ts-expect-error` lines are checked by `npm run typecheck` (part of
 * `npm test`): if a table missing a method, or a handler returning the wrong shape, ever compiled,
 * the directive itself would fail the typecheck.
 */
import { describe, expect, it } from 'vitest';
import { createHandlers, type Handler, type HandlerDeps, type HandlerTable } from '../../../src/protocol/app-server/handlers/index.js';
import { clientRequests } from '../../../src/protocol/app-server/schema/methods.js';

describe('the handler table', () => {
  it('has a handler for exactly the methods the schema table lists', () => {
    // Building the table only captures its dependencies; no handler runs.
    const table = createHandlers({ conn: { initialized: false, optOut: new Set(), subscribed: new Set(), closed: false } } as unknown as HandlerDeps);
    expect(Object.keys(table).sort()).toEqual(Object.keys(clientRequests).sort());
    expect(Object.values(table).every((h) => typeof h === 'function')).toBe(true);
  });

  it('does not compile without a method, or with a handler of the wrong shape', () => {
    const partial = {} as Omit<HandlerTable, 'thread/read'>;
    // @ts-expect-error a table without `thread/read` is not a HandlerTable
    const missing: HandlerTable = partial;
    // @ts-expect-error `thread/read` answers `{thread}`, not a number
    const wrongResult: Handler<'thread/read'> = () => ({ thread: 42 });
    // @ts-expect-error the params of `turn/start` have no `threadIdd`
    const wrongParams: Handler<'turn/start'> = (p) => p.threadIdd;
    expect([missing, wrongResult, wrongParams]).toHaveLength(3);
  });
});
