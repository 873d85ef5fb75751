/**
 * A lease as stored (local storage, under LEASE_PREFIX). Times ms since the epoch, TTLs in
 * seconds. Only what renewal and revocation need is kept: the backend's internal data, never
 * the secret the client received.
 */
export interface LeaseEntry {
  readonly leaseId: string;
  /** Request path that created it; routes renew/revoke to the backend. */
  readonly path: string;
  readonly secretType: string;
  readonly internalData: Readonly<Record<string, unknown>>;
  readonly issueTime: number;
  readonly expireTime: number;
  readonly lastRenewalTime: number;
  /** TTL granted at issue or last renewal. */
  readonly ttl: number;
  /** The backend's ceiling (0 = the mount's max lease TTL). */
  readonly maxTTL: number;
  readonly renewable: boolean;
  /** ID hash of the token that created it ("" = none); its revocation revokes the lease. */
  readonly tokenHash: string;
  /** Failed revocation attempts so far; the lease stays until one succeeds or it is forced. */
  readonly revokeAttempts: number;
  readonly lastRevokeError: string;
}

/** sys/leases/lookup's answer. */
export function renderLease(entry: LeaseEntry, nowMs: number): Record<string, unknown> {
  const out: Record<string, unknown> = {
    id: entry.leaseId,
    issue_time: new Date(entry.issueTime).toISOString(),
    expire_time: entry.expireTime === 0 ? null : new Date(entry.expireTime).toISOString(),
    last_renewal: entry.lastRenewalTime === 0 ? null : new Date(entry.lastRenewalTime).toISOString(),
    renewable: entry.renewable,
    ttl: entry.expireTime === 0 ? 0 : Math.max(0, Math.floor((entry.expireTime - nowMs) / 1000)),
  };
  if (entry.revokeAttempts > 0) {
    out['revoke_attempts'] = entry.revokeAttempts;
    out['revoke_error'] = entry.lastRevokeError;
  }
  return out;
}

/** Delay before revocation attempt n+1 after n failures: 1 s doubling, capped at 10 minutes. */
export function revokeBackoffMs(attempts: number): number {
  return Math.min(1000 * 2 ** Math.max(0, attempts - 1), 600_000);
}
