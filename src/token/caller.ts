/** The caller context the pipeline derives from a token entry. */
import type { CallerAuth } from '../logical/request.js';
import { isRootEntry, type TokenEntry } from './token-entry.js';

export function callerFromEntry(entry: TokenEntry): CallerAuth {
  return {
    accessor: entry.accessor,
    policies: entry.policies,
    tokenPolicies: entry.policies,
    identityPolicies: [],
    displayName: entry.displayName,
    entityId: entry.entityId,
    metadata: entry.meta,
    root: isRootEntry(entry),
    tokenType: entry.type,
    orphan: entry.orphan,
    cubbyholeId: entry.cubbyholeId,
  };
}
