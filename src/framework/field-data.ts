/**
 * Field schemas and the validated, typed values a handler receives. Every declared field the
 * caller sent is converted before the handler runs, so a type error is a 400 with no side
 * effects; handlers never see raw input for declared fields.
 */
import { BadRequestError } from '../errors.js';
import { coerce, zeroValue, type FieldType, type FieldValueTypes } from './field-types.js';

/** A default may be written as a readonly literal (`as const`); handlers get a fresh copy. */
type DefaultOf<V> = V extends (infer E)[] ? readonly E[] : V extends object ? Readonly<V> : V;

export interface FieldSchema<T extends FieldType = FieldType> {
  readonly type: T;
  readonly description: string;
  /** Value when the caller did not send the field; the type's zero value otherwise. */
  readonly default?: DefaultOf<FieldValueTypes[T]>;
  /** Never echo the input in a conversion error (the value may be a secret). */
  readonly sensitive?: boolean;
}

export type FieldSchemas = Readonly<Record<string, FieldSchema>>;

/** The handler-side type of one declared field. */
export type FieldValue<S> = S extends FieldSchema<infer T> ? FieldValueTypes[T] : never;

/** Validated fields of one request, typed by the path's schema. */
export class FieldData<F extends FieldSchemas> {
  constructor(
    private readonly schemas: F,
    private readonly values: ReadonlyMap<string, unknown>,
  ) {}

  /** The value sent, else the declared default, else the type's zero value. */
  get<K extends keyof F & string>(name: K): FieldValue<F[K]> {
    if (this.values.has(name)) return this.values.get(name) as FieldValue<F[K]>;
    const schema = this.schemas[name];
    if (schema === undefined) throw new Error(`field ${name} is not declared`);
    if (schema.default !== undefined) return structuredClone(schema.default) as FieldValue<F[K]>;
    return zeroValue(schema.type) as FieldValue<F[K]>;
  }

  /** The value only if the caller sent it (URL captures count as sent). */
  getOk<K extends keyof F & string>(name: K): FieldValue<F[K]> | undefined {
    return this.values.has(name) ? (this.values.get(name) as FieldValue<F[K]>) : undefined;
  }

  has(name: keyof F & string): boolean {
    return this.values.has(name);
  }
}

/** Vault's rendering of the offending input inside a conversion error. */
function renderInput(raw: unknown): string {
  if (typeof raw === 'string') return raw;
  return JSON.stringify(raw) ?? String(raw);
}

export interface ParsedFields<F extends FieldSchemas> {
  readonly fields: FieldData<F>;
  /** Sent names that no schema declares, sorted; the caller decides whether to warn. */
  readonly unknown: readonly string[];
}

/**
 * Convert the request data and URL captures against the schemas. Captures win over body
 * values of the same name; JSON null is treated as absent.
 */
export function parseFields<F extends FieldSchemas>(
  schemas: F,
  data: Readonly<Record<string, unknown>>,
  captures: Readonly<Record<string, string>>,
): ParsedFields<F> {
  const raw = new Map<string, unknown>();
  for (const [k, v] of Object.entries(data)) if (v !== null && v !== undefined) raw.set(k, v);
  for (const [k, v] of Object.entries(captures)) raw.set(k, v);

  const values = new Map<string, unknown>();
  const unknown: string[] = [];
  for (const [name, input] of raw) {
    const schema = Object.prototype.hasOwnProperty.call(schemas, name) ? schemas[name] : undefined;
    if (schema === undefined) {
      unknown.push(name);
      continue;
    }
    try {
      values.set(name, coerce(schema.type, input));
    } catch (err) {
      const shown = schema.sensitive === true ? '<redacted>' : renderInput(input);
      const detail = err instanceof Error ? err.message : String(err);
      throw new BadRequestError(`error converting input ${shown} for field ${JSON.stringify(name)}: ${detail}`);
    }
  }
  unknown.sort();
  return { fields: new FieldData(schemas, values), unknown };
}
