import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv, type ValidateFunction } from 'ajv';
import type { RawMessage } from '../client/index.js';

/** The package's `schema/` directory (from src/, dist/src/ or the bundle). */
export function schemaDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'schema', 'app-server.schemas.json'))) return join(dir, 'schema');
    dir = dirname(dir);
  }
  throw new Error('cannot find schema/app-server.schemas.json above ' + fileURLToPath(import.meta.url));
}

type MethodTable = Record<string, Record<string, { params?: { $ref: string }; result?: { $ref: string } }>>;

/** One message that does not fit the schema. */
export interface SchemaViolation {
  where: string;
  errors: string;
}

/**
 * Validates every message a client reads against the committed JSON Schema (`schema/`, draft-07):
 * results by the method of the request they answer, notifications and server requests by
 * their method. Methods the schema does not declare are counted, not judged.
 */
export class SchemaChecker {
  private readonly ajv = new Ajv({ strict: false, allErrors: true });
  private readonly validators = new Map<string, ValidateFunction>();
  private readonly methods: MethodTable;
  readonly violations: SchemaViolation[] = [];
  readonly unknownMethods = new Map<string, number>();
  checked = 0;

  constructor(dir = schemaDir()) {
    const bundle = JSON.parse(readFileSync(join(dir, 'app-server.schemas.json'), 'utf8')) as { methods: MethodTable };
    this.methods = bundle.methods;
    this.ajv.addSchema(bundle, 'app-server');
  }

  private validator(ref: string): ValidateFunction {
    let v = this.validators.get(ref);
    if (!v) {
      v = this.ajv.getSchema(`app-server${ref}`);
      if (!v) throw new Error(`schema has no ${ref}`);
      this.validators.set(ref, v);
    }
    return v;
  }

  private ref(table: string, method: string, key: 'params' | 'result'): string | undefined {
    const entry = Object.hasOwn(this.methods[table] ?? {}, method) ? this.methods[table]![method] : undefined;
    return entry?.[key]?.$ref;
  }

  private validate(ref: string, value: unknown, where: string): void {
    this.checked++;
    const v = this.validator(ref);
    if (!v(value)) {
      this.violations.push({ where, errors: this.ajv.errorsText(v.errors, { separator: '; ' }).slice(0, 600) });
    }
  }

  /** Checks one message read by a client; `requestMethod` names the request a response answers. */
  check(msg: RawMessage | null, text: string, requestMethod: (id: string | number) => string | undefined): void {
    if (!msg) {
      this.violations.push({ where: 'a line that is not a JSON object', errors: text.slice(0, 200) });
      return;
    }
    const hasId = msg.id !== undefined && msg.id !== null;
    if (msg.method === undefined) {
      if (msg.error !== undefined) {
        this.checked++;
        const e = msg.error as { code?: unknown; message?: unknown };
        if (!Number.isInteger(e.code) || typeof e.message !== 'string') this.violations.push({ where: 'error response', errors: JSON.stringify(msg.error).slice(0, 300) });
        return;
      }
      const method = hasId ? requestMethod(msg.id!) : undefined;
      if (!method) return;
      const ref = this.ref('clientRequests', method, 'result');
      if (ref) this.validate(ref, msg.result, `result of ${method}`);
      return;
    }
    const table = hasId ? 'serverRequests' : 'serverNotifications';
    const ref = this.ref(table, msg.method, 'params');
    if (!ref) {
      const key = `${hasId ? 'request' : 'notification'} ${msg.method}`;
      this.unknownMethods.set(key, (this.unknownMethods.get(key) ?? 0) + 1);
      return;
    }
    this.validate(ref, msg.params ?? {}, `${hasId ? 'server request' : 'notification'} ${msg.method}`);
  }
}
