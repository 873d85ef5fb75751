/**
 * The declarative description of one path of a backend: a pattern, typed fields, and a
 * handler per operation. A backend is nothing but a table of these.
 */
import type { BackendContext, BackendRequest } from '../logical/backend.js';
import type { Response } from '../logical/request.js';
import type { FieldData, FieldSchemas } from './field-data.js';

/** Operations a path can declare handlers for (help is answered by the framework). */
export type PathOperation = 'read' | 'create' | 'update' | 'patch' | 'delete' | 'list';

export const PATH_OPERATIONS: readonly PathOperation[] = ['read', 'create', 'update', 'patch', 'delete', 'list'];

export type PathHandler<F extends FieldSchemas> = (
  req: BackendRequest,
  fields: FieldData<F>,
  ctx: BackendContext,
) => Promise<Response | undefined>;

/** Whether the target of a create/update already exists (decides create vs update for ACLs). */
export type ExistenceCheck<F extends FieldSchemas> = (
  req: BackendRequest,
  fields: FieldData<F>,
  ctx: BackendContext,
) => Promise<boolean>;

export interface PathDef<F extends FieldSchemas = FieldSchemas> {
  /** Regex source in the framework's dialect, relative to the mount; compiled anchored. */
  readonly pattern: string;
  /** Every body/query field and every named capture of the pattern. */
  readonly fields: F;
  readonly operations: { readonly [Op in PathOperation]?: PathHandler<F> };
  readonly existenceCheck?: ExistenceCheck<F>;
  /**
   * The path stores arbitrary caller keys (KV v1), so undeclared fields are expected and do
   * not produce the "ignored these unrecognized parameters" warning.
   */
  readonly takesArbitraryInput?: boolean;
  readonly synopsis: string;
  readonly description: string;
}

/**
 * Declare a path with its field types inferred for the handlers, and return it in the
 * erased form a path table holds.
 */
export function definePath<F extends FieldSchemas>(def: PathDef<F>): PathDef {
  return def as unknown as PathDef;
}
