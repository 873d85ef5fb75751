/**
 * The identity secrets engine, mounted once by the core at identity/ (a required mount). Its
 * handlers work on the IdentityStore (core.identity), whose records live under the identity
 * storage prefixes; the mount's own storage view is unused.
 */
import { PermissionDeniedError } from '../errors.js';
import { createBackend, type PathDef } from '../framework/index.js';
import { followsPrimary, type BackendContext, type LogicalBackend } from '../logical/backend.js';
import { aliasPaths } from './alias-paths.js';
import { entityPaths } from './entity-paths.js';
import { groupPaths } from './group-paths.js';
import type { IdentityStore } from './identity-store.js';
import { lookupPaths } from './lookup-paths.js';
import { OidcStore } from './oidc/oidc-store.js';
import { type OidcEnvironment, oidcPaths } from './oidc/oidc-paths.js';
import { providerFlowPaths } from './oidc/provider-flow.js';
import { providerConfigPaths } from './oidc/provider-paths.js';
import { ProviderStore } from './oidc/provider-store.js';

export const IDENTITY_MOUNT_PATH = 'identity/';
export const IDENTITY_TYPE = 'identity';
export const IDENTITY_DESCRIPTION = 'identity store';

export const IDENTITY_HELP = `
The identity store keeps entities (the clients Vault knows), their aliases on auth
methods, and groups of entities. Policies attached to an entity or to its groups apply
to every token of that entity, in addition to the token's own policies.
Under oidc/ it issues signed OIDC identity tokens for entities, with the
discovery documents verifiers need, and acts as an OIDC provider
(authorization-code flow) for client applications.
`;

/**
 * How often the primary checks for named keys due to rotate (and retired keys to drop), and
 * drops expired provider authorization codes and access tokens.
 */
export const OIDC_ROTATION_CHECK_MS = 30_000;

/** The path table (built per store: handlers close over it). */
export function identityPaths(store: IdentityStore, ctx: BackendContext, oidc: OidcEnvironment): PathDef[] {
  return [...entityPaths(store), ...aliasPaths(store), ...groupPaths(store), ...lookupPaths(store), ...oidcPaths(store, ctx, oidc), ...providerConfigPaths(ctx, oidc), ...providerFlowPaths(store, ctx, oidc)];
}

export function createIdentityBackend(store: IdentityStore, ctx: BackendContext, oidc: OidcEnvironment): LogicalBackend {
  // One instance, at its fixed path, as Vault: a second mount would be a second door to one store.
  if (ctx.mount.path !== IDENTITY_MOUNT_PATH) throw new PermissionDeniedError(`mount type of "${IDENTITY_TYPE}" is not mountable`);
  let stopRotation: (() => void) | undefined;
  return createBackend(
    {
      paths: identityPaths(store, ctx, oidc),
      help: IDENTITY_HELP,
      // OIDC discovery is for verifiers, who hold no Vault token; a provider's token and
      // userinfo endpoints authenticate clients and access tokens themselves.
      specialPaths: { unauthenticated: ['oidc/.well-known/*', 'oidc/provider/+/.well-known/*', 'oidc/provider/+/token', 'oidc/provider/+/userinfo'] },
      // Named keys rotate on the node that writes the mount's storage (a secondary gets the result by replication).
      initialize: async (c) => {
        const keys = new OidcStore(c.storage);
        const provider = new ProviderStore(c.storage);
        let running = true;
        let cancel: (() => void) | undefined;
        const arm = (): void => {
          cancel = c.clock.setTimer(OIDC_ROTATION_CHECK_MS, () => {
            const at = c.clock.now();
            const pass = followsPrimary(c) ? Promise.resolve() : Promise.all([keys.rotateDue(at), provider.sweep(at)]);
            void pass.catch(() => undefined).finally(() => {
              if (running) arm();
            });
          });
        };
        arm();
        stopRotation = () => {
          running = false;
          cancel?.();
        };
      },
      cleanup: async () => {
        stopRotation?.();
        stopRotation = undefined;
      },
    },
    ctx,
  );
}
