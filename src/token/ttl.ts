/**
 * TTL rules for new tokens, as Vault applies them (all values in seconds, 0 = unset):
 *  - a periodic token lives for its period, never beyond explicit_max_ttl;
 *  - otherwise the requested TTL, else the mount's default; capped by explicit_max_ttl, by the
 *    role/method's max TTL and by the mount's (or system's) max lease TTL;
 *  - a root token asked for no TTL never expires.
 * Renewal applies the same ceilings counted from the token's creation (token-renew.ts).
 */
import { formatDuration } from '../util/duration.js';

export interface TTLInputs {
  readonly requested: number;
  readonly period: number;
  readonly explicitMaxTTL: number;
  /** Role or auth method ceiling (token_max_ttl). */
  readonly roleMaxTTL: number;
  readonly mountDefaultTTL: number;
  readonly mountMaxTTL: number;
  readonly root: boolean;
}

export interface TTLResult {
  readonly ttl: number;
  /** Ceiling counted from creation that renewals must respect (0 = none). */
  readonly maxTTL: number;
  readonly warnings: readonly string[];
}

export function computeCreateTTL(i: TTLInputs): TTLResult {
  const maxTTL = minPositive(i.roleMaxTTL, i.mountMaxTTL);
  if (i.period > 0) {
    const ttl = i.explicitMaxTTL > 0 ? Math.min(i.period, i.explicitMaxTTL) : i.period;
    return { ttl, maxTTL: 0, warnings: [] };
  }
  if (i.root && i.requested === 0 && i.explicitMaxTTL === 0) return { ttl: 0, maxTTL: 0, warnings: [] };
  const wanted = i.requested > 0 ? i.requested : i.mountDefaultTTL;
  const ceiling = minPositive(i.explicitMaxTTL, maxTTL);
  if (ceiling === 0 || (wanted > 0 && wanted <= ceiling)) return { ttl: wanted, maxTTL, warnings: [] };
  // Vault's wording, durations as Go prints them.
  const warnings =
    wanted > ceiling ? [`TTL of ${JSON.stringify(formatDuration(wanted))} exceeded the effective max_ttl of ${JSON.stringify(formatDuration(ceiling))}; TTL value is capped accordingly`] : [];
  return { ttl: ceiling, maxTTL, warnings };
}

function minPositive(a: number, b: number): number {
  if (a > 0 && b > 0) return Math.min(a, b);
  return a > 0 ? a : b;
}
