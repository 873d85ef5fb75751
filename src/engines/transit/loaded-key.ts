/**
 * A key as the cache holds it: the immutable stored record plus every version parsed into
 * usable material. Built once per change of the record; versions that did not change are
 * carried over, so a rotation of an RSA key parses only the new version.
 */
import type { KeyObject } from 'node:crypto';
import { BadRequestError } from '../../errors.js';
import { deriveKey } from './derive.js';
import { loadVersion, type LoadedVersion } from './key-material.js';
import type { KeyPolicy } from './key-policy.js';
import { typeInfo } from './key-types.js';

export interface LoadedKey {
  readonly policy: KeyPolicy;
  readonly versions: ReadonlyMap<number, LoadedVersion>;
}

export function loadKey(policy: KeyPolicy, previous?: LoadedKey): LoadedKey {
  const versions = new Map<number, LoadedVersion>();
  for (const [v, stored] of Object.entries(policy.versions)) {
    const n = Number(v);
    const prior = previous?.policy.versions[v] === stored ? previous.versions.get(n) : undefined;
    versions.set(n, prior ?? loadVersion(policy.type, n, stored));
  }
  return { policy, versions };
}

export const MISSING_CONTEXT =
  "missing 'context' for key derivation; the key was created using a derived key, which means additional, per-request information must be included in order to perform operations with the key";

/** The material of a version, or a user error naming why it cannot be used. */
export function versionOf(key: LoadedKey, version: number): LoadedVersion {
  const v = key.versions.get(version);
  if (v === undefined) throw new BadRequestError('no such key version');
  return v;
}

/**
 * The symmetric key (or Ed25519 seed) for a version and context: the stored bytes, or for a
 * derived key the HKDF of them with the context (which must then be given).
 */
export function secretFor(key: LoadedKey, v: LoadedVersion, context: Buffer | undefined): Buffer {
  if (!key.policy.derived) return v.secret!;
  if (context === undefined || context.length === 0) throw new BadRequestError(MISSING_CONTEXT);
  return deriveKey(v.secret!, context, typeInfo(key.policy.type).keyBytes);
}

/** The cipher key of a symmetric version: the cached KeyObject, or the per-context derived key. */
export function cipherKeyFor(key: LoadedKey, v: LoadedVersion, context: Buffer | undefined): KeyObject | Buffer {
  return key.policy.derived ? secretFor(key, v, context) : v.secretKey!;
}
