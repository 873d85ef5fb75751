/**
 * Who a token makes the caller, and the ACL that caller gets: one derivation shared by the
 * pipeline's token and ACL steps and by sys/capabilities*, so what the capabilities endpoints
 * report is exactly what the pipeline enforces.
 */
import type { CallerAuth } from '../logical/request.js';
import type { ACL } from '../policy/index.js';
import { callerFromEntry } from '../token/caller.js';
import type { TokenEntry } from '../token/token-entry.js';
import type { Core } from './core.js';

/**
 * The caller of a token entry, with its entity's and groups' policies as they are now (from
 * memory); undefined when the entity is disabled (its tokens are refused).
 */
export function callerOf(core: Core, entry: TokenEntry): CallerAuth | undefined {
  const identity = core.identity.resolve(entry.entityId);
  if (identity?.entity.disabled) return undefined;
  return callerFromEntry(entry, identity?.policies);
}

/** The compiled ACL of a caller (identity templates filled); undefined for root. */
export async function aclOf(core: Core, auth: CallerAuth): Promise<ACL | undefined> {
  if (auth.root) return undefined;
  const entityId = auth.entityId;
  return core.policies.acl(
    auth.policies,
    entityId === '' ? undefined : { entityId, context: () => core.identity.templateContext(entityId) },
  );
}
