/** The caller context the pipeline derives from a token entry. */
import type { CallerAuth } from '../logical/request.js';
import { isRootEntry, type TokenEntry } from './token-entry.js';

/**
 * `identityPolicies` are the policies of the token's entity and its groups, computed at request
 * time; the caller's `policies` are the token's own plus those.
 */
export function callerFromEntry(entry: TokenEntry, identityPolicies: readonly string[] = []): CallerAuth {
  const policies = identityPolicies.length === 0 ? entry.policies : [...new Set([...entry.policies, ...identityPolicies])].sort();
  return {
    accessor: entry.accessor,
    policies,
    tokenPolicies: entry.policies,
    identityPolicies,
    displayName: entry.displayName,
    entityId: entry.entityId,
    metadata: entry.meta,
    root: isRootEntry(entry),
    tokenType: entry.type,
    orphan: entry.orphan,
    issuedAt: entry.creationTime,
    cubbyholeId: entry.cubbyholeId,
  };
}
