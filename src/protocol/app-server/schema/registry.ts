import { z } from 'zod';

/** Metadata attached to a named wire type; becomes its JSON Schema definition name and doc. */
export interface WireMeta {
  id?: string;
  description?: string;
}

/**
 * Every named app-server wire type registers here (not in zod's global registry, so another
 * face's schemas can reuse a name). The JSON Schema generator walks this registry.
 */
export const appServerRegistry = z.registry<WireMeta>();

/** Names `schema` as the wire type `id` (a JSON Schema definition) and returns it unchanged. */
export function wire<T extends z.ZodType>(id: string, schema: T, description?: string): T {
  const meta: WireMeta = description === undefined ? { id } : { id, description };
  appServerRegistry.add(schema as z.ZodType, meta);
  return schema;
}
