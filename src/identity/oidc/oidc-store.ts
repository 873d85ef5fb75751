/**
 * Identity tokens' records in the identity mount's own storage view (replicated with the
 * mount, so a performance secondary signs with the same keys and serves the same JWKS):
 *
 *   oidc/config         { issuer }                       identity/oidc/config
 *   oidc/key/<name>     NamedKey (private keys included)  identity/oidc/key/:name
 *   oidc/role/<name>    OidcRole                          identity/oidc/role/:name
 *
 * Key rotation keeps three kinds of key pair per named key: the signing pair, the next pair
 * (already published, so verifiers that cache the JWKS know it before it signs), and retired
 * public keys, kept for verification until their verification_ttl runs out.
 */
import type { StorageView } from '../../logical/storage.js';
import { KeyedMutex } from '../../util/keyed-mutex.js';
import { type Algorithm, type KeyPair, type PublicJwk, newKeyPair } from './signing-keys.js';

const CONFIG_KEY = 'oidc/config';
const KEY_PREFIX = 'oidc/key/';
const ROLE_PREFIX = 'oidc/role/';

export interface OidcConfig {
  /** Base URL of the issuer; '' = the cluster's api_addr. */
  readonly issuer: string;
}

export interface NamedKey {
  readonly algorithm: Algorithm;
  /** Seconds. */
  readonly rotationPeriod: number;
  readonly verificationTtl: number;
  readonly allowedClientIds: readonly string[];
  readonly signing: KeyPair;
  readonly next: KeyPair;
  /** When the next pair takes over, ms since the epoch. */
  readonly nextRotation: number;
  /** Public keys of pairs that signed before, each until `expires` (ms since the epoch). */
  readonly retired: readonly { readonly jwk: PublicJwk; readonly expires: number }[];
}

export interface OidcRole {
  readonly key: string;
  /** The template as given (JSON, possibly base64-encoded); '' = none. */
  readonly template: string;
  readonly clientId: string;
  /** Token TTL, seconds. */
  readonly ttl: number;
}

export interface KeySettings {
  readonly algorithm: Algorithm;
  readonly rotationPeriod: number;
  readonly verificationTtl: number;
  readonly allowedClientIds: readonly string[];
}

export class OidcStore {
  /** Changes of one named key (settings, rotation) never interleave. */
  private readonly keyLocks = new KeyedMutex();

  constructor(private readonly storage: StorageView) {}

  async config(): Promise<OidcConfig> {
    return (await this.storage.getJSON<OidcConfig>(CONFIG_KEY)) ?? { issuer: '' };
  }

  putConfig(config: OidcConfig): Promise<void> {
    return this.storage.putJSON(CONFIG_KEY, config);
  }

  key(name: string): Promise<NamedKey | undefined> {
    return this.storage.getJSON<NamedKey>(KEY_PREFIX + name);
  }

  keyNames(): Promise<string[]> {
    return this.storage.list(KEY_PREFIX);
  }

  /**
   * Create the key, or change its settings (`settingsFor` decides them from the stored key,
   * under the key's lock). A new key, or a new algorithm, gets new signing and next pairs (the
   * old ones retire); a new rotation period restarts the rotation clock.
   */
  writeKey(name: string, settingsFor: (old: NamedKey | undefined) => Promise<KeySettings>, now: number): Promise<void> {
    return this.keyLocks.run(name, async () => {
      const old = await this.key(name);
      const settings = await settingsFor(old);
      const fresh = old === undefined || old.algorithm !== settings.algorithm;
      const [signing, next] = fresh ? await Promise.all([newKeyPair(settings.algorithm), newKeyPair(settings.algorithm)]) : [old.signing, old.next];
      const retired = old === undefined ? [] : fresh ? retire(old, [old.signing, old.next], settings.verificationTtl, now) : old.retired;
      const nextRotation = old !== undefined && !fresh && old.rotationPeriod === settings.rotationPeriod ? old.nextRotation : now + settings.rotationPeriod * 1000;
      const key: NamedKey = { ...settings, signing, next, nextRotation, retired };
      await this.storage.putJSON(KEY_PREFIX + name, key);
    });
  }

  /**
   * Rotate: the next pair signs from now on, a new next pair is made, and the signing pair's
   * public key stays published for `verificationTtl` seconds (the key's own when undefined).
   * Returns false when there is no such key.
   */
  rotateKey(name: string, now: number, verificationTtl?: number): Promise<boolean> {
    return this.keyLocks.run(name, async () => {
      const old = await this.key(name);
      if (old === undefined) return false;
      await this.storage.putJSON(KEY_PREFIX + name, await rotated(old, now, verificationTtl ?? old.verificationTtl));
      return true;
    });
  }

  /** Rotate every key whose time has come and drop retired public keys past their time. */
  async rotateDue(now: number): Promise<void> {
    for (const name of await this.keyNames()) {
      await this.keyLocks.run(name, async () => {
        const key = await this.key(name);
        if (key === undefined) return;
        if (now >= key.nextRotation) {
          await this.storage.putJSON(KEY_PREFIX + name, await rotated(key, now, key.verificationTtl));
          return;
        }
        const live = key.retired.filter((r) => r.expires > now);
        if (live.length !== key.retired.length) await this.storage.putJSON(KEY_PREFIX + name, { ...key, retired: live });
      });
    }
  }

  /** Create the key with `settings` unless it exists (the `default` key clients sign with is made on first use). */
  async ensureKey(name: string, settings: KeySettings, now: number): Promise<void> {
    if ((await this.key(name)) !== undefined) return;
    await this.writeKey(name, async (old) => (old === undefined ? settings : { algorithm: old.algorithm, rotationPeriod: old.rotationPeriod, verificationTtl: old.verificationTtl, allowedClientIds: old.allowedClientIds }), now);
  }

  deleteKey(name: string): Promise<void> {
    return this.keyLocks.run(name, () => this.storage.delete(KEY_PREFIX + name));
  }

  role(name: string): Promise<OidcRole | undefined> {
    return this.storage.getJSON<OidcRole>(ROLE_PREFIX + name);
  }

  roleNames(): Promise<string[]> {
    return this.storage.list(ROLE_PREFIX);
  }

  putRole(name: string, role: OidcRole): Promise<void> {
    return this.storage.putJSON(ROLE_PREFIX + name, role);
  }

  deleteRole(name: string): Promise<void> {
    return this.storage.delete(ROLE_PREFIX + name);
  }

  /** Names of the roles that sign with the named key. */
  async rolesUsing(keyName: string): Promise<string[]> {
    const out: string[] = [];
    for (const name of await this.roleNames()) if ((await this.role(name))?.key === keyName) out.push(name);
    return out;
  }

  /**
   * The public keys of the named keys only (signing, next, unexpired retired; each once) and
   * when that set next changes (ms since the epoch): what a provider's JWKS publishes.
   */
  async publicKeysOf(names: readonly string[], now: number): Promise<{ keys: PublicJwk[]; changes: number }> {
    const keys = new Map<string, PublicJwk>();
    let changes = Number.POSITIVE_INFINITY;
    for (const name of new Set(names)) {
      const key = await this.key(name);
      if (key === undefined) continue;
      for (const jwk of [key.signing.publicJwk, key.next.publicJwk]) keys.set(jwk.kid, jwk);
      for (const r of key.retired) if (r.expires > now) keys.set(r.jwk.kid, r.jwk);
      changes = Math.min(changes, key.nextRotation, ...key.retired.filter((r) => r.expires > now).map((r) => r.expires));
    }
    return { keys: [...keys.values()], changes };
  }

  /** Every public key a verifier may need now: signing, next and unexpired retired keys of every named key. */
  async publicKeys(now: number): Promise<PublicJwk[]> {
    return (await this.publicKeysOf(await this.keyNames(), now)).keys;
  }
}

async function rotated(key: NamedKey, now: number, verificationTtl: number): Promise<NamedKey> {
  return {
    ...key,
    signing: key.next,
    next: await newKeyPair(key.algorithm),
    nextRotation: now + key.rotationPeriod * 1000,
    retired: retire(key, [key.signing], verificationTtl, now),
  };
}

/** The key's unexpired retired keys plus `pairs`, published for `ttl` more seconds. */
function retire(key: NamedKey, pairs: readonly KeyPair[], ttl: number, now: number): NamedKey['retired'] {
  const kept = key.retired.filter((r) => r.expires > now);
  return ttl > 0 ? [...kept, ...pairs.map((p) => ({ jwk: p.publicJwk, expires: now + ttl * 1000 }))] : kept;
}
