/**
 * What the token store keeps per token. Service tokens are stored (local storage, keyed by an
 * HMAC of the token); batch tokens carry this same record encrypted inside the token itself.
 * Times are ms since the epoch, durations whole seconds, 0 = none.
 */
export type TokenType = 'service' | 'batch';

export interface TokenEntry {
  readonly accessor: string;
  /** Sorted, de-duplicated; includes "default" unless the creator opted out. */
  readonly policies: readonly string[];
  /** Creation path, e.g. "auth/token/create", "auth/userpass/login/bob". */
  readonly path: string;
  readonly displayName: string;
  readonly meta: Readonly<Record<string, string>>;
  readonly creationTime: number;
  /** TTL granted at creation. */
  readonly creationTTL: number;
  /** When the token stops working; 0 = never. Moves on renewal. */
  readonly expireTime: number;
  readonly explicitMaxTTL: number;
  /** The lifetime ceiling from the creating mount or role, counted from creationTime; 0 = none. */
  readonly maxTTL: number;
  readonly period: number;
  /** Uses left; 0 = unlimited. */
  readonly numUses: number;
  readonly renewable: boolean;
  readonly type: TokenType;
  readonly orphan: boolean;
  /** ID hash of the parent token, "" for orphans. */
  readonly parent: string;
  readonly entityId: string;
  /** Token role it was created against, "" if none. */
  readonly role: string;
  readonly boundCidrs: readonly string[];
  readonly lastRenewalTime: number;
  /** Key of the token's cubbyhole (random; never derived from the token). */
  readonly cubbyholeId: string;
  /** Accessor of the auth mount that issued it (token store's own mount for auth/token). */
  readonly mountAccessor: string;
  /**
   * Entity alias name requested through a token role's allowed_entity_aliases (its entity is
   * `entityId`); absent when none was asked for.
   */
  readonly entityAlias?: string;
}

export function isRootEntry(entry: TokenEntry): boolean {
  return entry.policies.length === 1 && entry.policies[0] === 'root';
}

export function isExpired(entry: TokenEntry, nowMs: number): boolean {
  return entry.expireTime > 0 && entry.expireTime <= nowMs;
}

/** Whole seconds left, 0 for tokens that never expire. */
export function remainingTTL(entry: TokenEntry, nowMs: number): number {
  if (entry.expireTime === 0) return 0;
  return Math.max(0, Math.floor((entry.expireTime - nowMs) / 1000));
}
