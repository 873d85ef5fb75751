/**
 * The identity secrets engine, mounted once by the core at identity/ (a required mount). Its
 * handlers work on the IdentityStore (core.identity), whose records live under the identity
 * storage prefixes; the mount's own storage view is unused.
 */
import { PermissionDeniedError } from '../errors.js';
import { createBackend, type PathDef } from '../framework/index.js';
import type { BackendContext, LogicalBackend } from '../logical/backend.js';
import { aliasPaths } from './alias-paths.js';
import { entityPaths } from './entity-paths.js';
import { groupPaths } from './group-paths.js';
import type { IdentityStore } from './identity-store.js';
import { lookupPaths } from './lookup-paths.js';

export const IDENTITY_MOUNT_PATH = 'identity/';
export const IDENTITY_TYPE = 'identity';
export const IDENTITY_DESCRIPTION = 'identity store';

export const IDENTITY_HELP = `
The identity store keeps entities (the clients Vault knows), their aliases on auth
methods, and groups of entities. Policies attached to an entity or to its groups apply
to every token of that entity, in addition to the token's own policies.
`;

/** The path table (built per store: handlers close over it). */
export function identityPaths(store: IdentityStore): PathDef[] {
  return [...entityPaths(store), ...aliasPaths(store), ...groupPaths(store), ...lookupPaths(store)];
}

export function createIdentityBackend(store: IdentityStore, ctx: BackendContext): LogicalBackend {
  // One instance, at its fixed path, as Vault: a second mount would be a second door to one store.
  if (ctx.mount.path !== IDENTITY_MOUNT_PATH) throw new PermissionDeniedError(`mount type of "${IDENTITY_TYPE}" is not mountable`);
  return createBackend({ paths: identityPaths(store), help: IDENTITY_HELP }, ctx);
}
