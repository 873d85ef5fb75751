/**
 * The TTL a renewal grants, by Vault's rules (seconds; times ms): the increment asked for,
 * else the backend's TTL; never beyond the lease's ceiling counted from issue time (the
 * backend's max, else the mount's, never above the mount's).
 */
import { BadRequestError } from '../errors.js';

export interface RenewInputs {
  readonly now: number;
  readonly issueTime: number;
  readonly increment: number;
  readonly backendTTL: number;
  readonly backendMaxTTL: number;
  readonly mountMaxTTL: number;
}

export function calculateRenewTTL(i: RenewInputs): { ttl: number; warnings: string[] } {
  const warnings: string[] = [];
  const max = i.backendMaxTTL > 0 && (i.mountMaxTTL === 0 || i.backendMaxTTL < i.mountMaxTTL) ? i.backendMaxTTL : i.mountMaxTTL;
  let ttl = i.increment > 0 ? i.increment : i.backendTTL;
  if (max > 0) {
    const left = Math.floor((i.issueTime + max * 1000 - i.now) / 1000);
    if (left <= 0) throw new BadRequestError('lease is past its max TTL and cannot be renewed');
    if (ttl === 0 || ttl > left) {
      if (ttl > left) warnings.push(`TTL of "${ttl}s" exceeded the effective max_ttl of "${left}s"; TTL value is capped accordingly`);
      ttl = left;
    }
  }
  return { ttl, warnings };
}
