/**
 * The registry of built-in backends: mount type -> factory, with every path table the factory
 * can produce. The router resolves mount types here; the overlap test walks every table here,
 * so an engine or auth method joins both by adding one entry.
 */
import type { BackendFactory } from '../logical/backend.js';
import type { PathDef } from '../framework/index.js';
import { KV_V1_PATHS, KV_V2_PATHS, kvFactory, kvV1Factory, kvV2Factory } from './kv/index.js';
import { USERPASS_PATHS, userpassFactory } from '../auth/userpass/backend.js';
import { APPROLE_PATHS, approleFactory } from '../auth/approle/backend.js';
import { CUBBYHOLE_PATHS, cubbyholeFactory } from './cubbyhole/backend.js';
import { DATABASE_PATHS, databaseFactory } from './database/backend.js';
import { TRANSIT_PATHS, transitFactory } from './transit/backend.js';

export interface BackendRegistration {
  /** Secrets engines mount below the root; auth methods below "auth/". */
  readonly kind: 'secret' | 'auth';
  readonly factory: BackendFactory;
  /** Every path table this factory can build a backend from. */
  readonly pathTables: readonly (readonly PathDef[])[];
}

export const BUILTIN_BACKENDS: ReadonlyMap<string, BackendRegistration> = new Map<string, BackendRegistration>([
  ['kv', { kind: 'secret', factory: kvFactory, pathTables: [KV_V1_PATHS, KV_V2_PATHS] }],
  ['generic', { kind: 'secret', factory: kvV1Factory, pathTables: [KV_V1_PATHS] }],
  ['kv-v2', { kind: 'secret', factory: kvV2Factory, pathTables: [KV_V2_PATHS] }],
  // Mounted once by the core at cubbyhole/; the factory refuses any other path.
  ['cubbyhole', { kind: 'secret', factory: cubbyholeFactory, pathTables: [CUBBYHOLE_PATHS] }],
  ['transit', { kind: 'secret', factory: transitFactory, pathTables: [TRANSIT_PATHS] }],
  ['database', { kind: 'secret', factory: databaseFactory, pathTables: [DATABASE_PATHS] }],
  ['userpass', { kind: 'auth', factory: userpassFactory, pathTables: [USERPASS_PATHS] }],
  ['approle', { kind: 'auth', factory: approleFactory, pathTables: [APPROLE_PATHS] }],
]);

/** The factory for a mount type of the given kind, or undefined when unknown. */
export function builtinFactory(kind: BackendRegistration['kind'], type: string): BackendFactory | undefined {
  const entry = BUILTIN_BACKENDS.get(type);
  return entry !== undefined && entry.kind === kind ? entry.factory : undefined;
}
