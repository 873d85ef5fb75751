/**
 * HMAC of sensitive audit values, keyed per device: the same secret hashes differently on two
 * devices, and `sys/audit-hash/:path` recomputes a device's hash so an operator can look a known
 * value up in that device's log without the log ever holding it.
 */
import { createHmac } from 'node:crypto';

export const HMAC_PREFIX = 'hmac-sha256:';

/** A string transform applied to sensitive values: the HMAC, or identity for log_raw devices. */
export type HashFn = (value: string) => string;

export class Hasher {
  /** `salt` is the device's random key, kept in the (local, encrypted) audit table. */
  constructor(private readonly salt: Buffer) {}

  readonly hash: HashFn = (value) => HMAC_PREFIX + createHmac('sha256', this.salt).update(value, 'utf8').digest('hex');
}

export const identity: HashFn = (value) => value;

/**
 * Every string inside a JSON-like value replaced by its hash; numbers, booleans and null pass
 * (Vault hashes strings only). Keys are kept. Keys named in `skip` keep their whole value
 * (the mount's audit_non_hmac_*_keys), at any depth.
 */
export function hashStructure(value: unknown, hash: HashFn, skip: ReadonlySet<string> | undefined): unknown {
  if (typeof value === 'string') return hash(value);
  if (value === null || typeof value !== 'object') return value;
  const json = (value as { toJSON?: () => unknown }).toJSON;
  if (typeof json === 'function') return hashStructure(json.call(value), hash, skip);
  if (Array.isArray(value)) return value.map((v) => hashStructure(v, hash, skip));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    if (v === undefined) continue;
    out[k] = skip?.has(k) ? v : hashStructure(v, hash, skip);
  }
  return out;
}
