/**
 * The version of the app-server contract agentd serves (semver). Within a major version changes
 * are additive only: no method, type, field or enum value is removed or renamed, no params field
 * becomes required, no result field becomes optional (test/unit/schema/schema-compat.test.ts
 * checks schema/ against the previous release kept in schema-history/). Bump the minor version
 * when the schema grows; keep this module free of imports (the fast `initialize` path reads it).
 */
export const PROTOCOL_VERSION = '0.2.0';
