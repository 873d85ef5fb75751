/**
 * A named key ("policy" in Vault's vocabulary): its settings and every live version, stored
 * as one JSON record. Records are immutable values: a change builds a new record, which is
 * persisted and only then published to the cache, so readers never see half a change.
 */
import { formatTime } from '../../framework/index.js';
import { ed25519FromSeed, formatPublicKey, generateVersion, type LoadedVersion, type StoredVersion } from './key-material.js';
import { deriveKey } from './derive.js';
import { MAX_HMAC_KEY_SIZE, MIN_HMAC_KEY_SIZE, isKeyType, typeInfo, type KeyType } from './key-types.js';

export interface Stamp {
  /** Milliseconds since the epoch. */
  readonly time: number;
  readonly version: number;
}

export interface KeyPolicy {
  readonly name: string;
  readonly type: KeyType;
  readonly derived: boolean;
  readonly convergentEncryption: boolean;
  readonly exportable: boolean;
  readonly allowPlaintextBackup: boolean;
  readonly deletionAllowed: boolean;
  readonly minDecryptionVersion: number;
  readonly minEncryptionVersion: number;
  readonly minAvailableVersion: number;
  readonly latestVersion: number;
  /** Seconds; 0 = never. */
  readonly autoRotatePeriod: number;
  /** hmac keys: bytes of key material per version (absent: the type's default). */
  readonly keySize?: number;
  /** Brought in with keys/<name>/import rather than generated here. */
  readonly imported?: boolean;
  /** An imported key may be rotated (new versions generated here) only with this set. */
  readonly allowRotation?: boolean;
  /** Version number (decimal string) -> material. Versions below minAvailableVersion are gone. */
  readonly versions: Readonly<Record<string, StoredVersion>>;
  readonly backupInfo?: Stamp;
  readonly restoreInfo?: Stamp;
}

/** Vault's KDF name for keys derived with HKDF-SHA256 (the only KDF new keys get). */
export const KDF_NAME = 'hkdf_sha256';
/** Vault's current convergent scheme number: the nonce is derived, never supplied. */
export const CONVERGENT_VERSION = 3;
/** Vault refuses auto-rotation periods shorter than this (seconds). */
export const MIN_AUTO_ROTATE_SECONDS = 3600;

export interface NewKeyOptions {
  readonly name: string;
  readonly type: KeyType;
  readonly derived: boolean;
  readonly convergentEncryption: boolean;
  readonly exportable: boolean;
  readonly allowPlaintextBackup: boolean;
  readonly autoRotatePeriod: number;
  readonly keySize?: number;
}

export function createPolicy(opts: NewKeyOptions, nowMs: number): KeyPolicy {
  return policyWithFirstVersion(opts, generateVersion(opts.type, nowMs, opts.keySize));
}

/** A new key whose version 1 is `first` (generated, or imported). */
export function policyWithFirstVersion(opts: NewKeyOptions, first: StoredVersion): KeyPolicy {
  return {
    ...opts,
    deletionAllowed: false,
    minDecryptionVersion: 1,
    minEncryptionVersion: 0,
    minAvailableVersion: 0,
    latestVersion: 1,
    versions: { '1': first },
  };
}

/** Whether versions may be generated here: always, except for imported keys without allow_rotation. */
export function rotationAllowed(p: KeyPolicy): boolean {
  return p.imported !== true || p.allowRotation === true;
}

export function rotatePolicy(p: KeyPolicy, nowMs: number): KeyPolicy {
  const next = p.latestVersion + 1;
  return { ...p, latestVersion: next, versions: { ...p.versions, [String(next)]: generateVersion(p.type, nowMs, p.keySize) } };
}

/** Drop every version below minAvailable. */
export function trimPolicy(p: KeyPolicy, minAvailable: number): KeyPolicy {
  const versions: Record<string, StoredVersion> = {};
  for (const [v, material] of Object.entries(p.versions)) if (Number(v) >= minAvailable) versions[v] = material;
  return { ...p, minAvailableVersion: minAvailable, versions };
}

/** Seconds since the latest version was created reached the auto-rotation period. */
export function rotationDue(p: KeyPolicy, nowMs: number): boolean {
  if (p.autoRotatePeriod <= 0 || !rotationAllowed(p)) return false;
  const latest = p.versions[String(p.latestVersion)];
  return latest !== undefined && nowMs - latest.creationTime >= p.autoRotatePeriod * 1000;
}

const stamp = (s: Stamp): Record<string, unknown> => ({ time: formatTime(s.time), version: s.version });

/**
 * Vault's read-key answer. `versions` are the loaded versions (for public keys); `context`
 * derives the public key of a derived Ed25519 key, as Vault's read does.
 */
export function renderPolicy(p: KeyPolicy, versions: ReadonlyMap<number, LoadedVersion>, context?: Buffer): Record<string, unknown> {
  const info = typeInfo(p.type);
  const data: Record<string, unknown> = {
    name: p.name,
    type: p.type,
    derived: p.derived,
    deletion_allowed: p.deletionAllowed,
    min_available_version: p.minAvailableVersion,
    min_decryption_version: p.minDecryptionVersion,
    min_encryption_version: p.minEncryptionVersion,
    latest_version: p.latestVersion,
    exportable: p.exportable,
    allow_plaintext_backup: p.allowPlaintextBackup,
    supports_encryption: info.encryption,
    supports_decryption: info.decryption,
    supports_derivation: info.derivation,
    supports_signing: info.signing,
    auto_rotate_period: p.autoRotatePeriod,
    imported_key: p.imported === true,
  };
  if (p.imported === true) data['imported_key_allow_rotation'] = p.allowRotation === true;
  if (p.backupInfo !== undefined) data['backup_info'] = stamp(p.backupInfo);
  if (p.restoreInfo !== undefined) data['restore_info'] = stamp(p.restoreInfo);
  if (p.derived) {
    data['kdf'] = KDF_NAME;
    data['convergent_encryption'] = p.convergentEncryption;
    if (p.convergentEncryption) data['convergent_encryption_version'] = CONVERGENT_VERSION;
  }
  if (info.family === 'symmetric' || info.family === 'hmac') {
    const keys: Record<string, number> = {};
    for (const [v, material] of Object.entries(p.versions)) keys[v] = Math.floor(material.creationTime / 1000);
    data['keys'] = keys;
    return data;
  }
  const keys: Record<string, Record<string, unknown>> = {};
  for (const [v, material] of Object.entries(p.versions)) {
    const loaded = versions.get(Number(v));
    let publicKey = '';
    if (loaded !== undefined) {
      if (info.family === 'ed25519' && p.derived) {
        publicKey = context !== undefined && context.length > 0 ? formatPublicKey(p.type, ed25519FromSeed(deriveKey(loaded.secret!, context, 32)).publicKey) : '';
      } else {
        publicKey = formatPublicKey(p.type, loaded.publicKey!);
      }
    }
    keys[v] = {
      name: info.family === 'ed25519' ? 'ed25519' : info.family === 'rsa' ? p.type : info.curve,
      public_key: publicKey,
      certificate_chain: '',
      creation_time: formatTime(material.creationTime),
    };
  }
  data['keys'] = keys;
  return data;
}

// ---- validation of records that come from outside (restore) ----

function need(cond: boolean, what: string): void {
  if (!cond) throw new Error(`invalid backup: ${what}`);
}

const isBool = (v: unknown): v is boolean => typeof v === 'boolean';
const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

function checkStamp(v: unknown, what: string): Stamp | undefined {
  if (v === undefined || v === null) return undefined;
  const s = v as Record<string, unknown>;
  need(typeof s === 'object' && isCount(s['time']) && isCount(s['version']), what);
  return { time: s['time'] as number, version: s['version'] as number };
}

function checkKeySize(v: unknown): number {
  need(isCount(v) && (v as number) >= MIN_HMAC_KEY_SIZE && (v as number) <= MAX_HMAC_KEY_SIZE, 'keySize');
  return v as number;
}

/** Check a record's shape field by field; material is checked when it is loaded. */
export function checkPolicyRecord(raw: unknown): KeyPolicy {
  need(typeof raw === 'object' && raw !== null && !Array.isArray(raw), 'policy is not an object');
  const r = raw as Record<string, unknown>;
  need(typeof r['name'] === 'string', 'name');
  need(typeof r['type'] === 'string' && isKeyType(r['type']), 'type');
  for (const f of ['derived', 'convergentEncryption', 'exportable', 'allowPlaintextBackup', 'deletionAllowed']) need(isBool(r[f]), f);
  for (const f of ['minDecryptionVersion', 'minEncryptionVersion', 'minAvailableVersion', 'latestVersion', 'autoRotatePeriod']) {
    need(isCount(r[f]), f);
  }
  const latest = r['latestVersion'] as number;
  need(latest >= 1, 'latestVersion');
  const versionsRaw = r['versions'];
  need(typeof versionsRaw === 'object' && versionsRaw !== null && !Array.isArray(versionsRaw), 'versions');
  const versions: Record<string, StoredVersion> = {};
  for (const [v, m] of Object.entries(versionsRaw as Record<string, unknown>)) {
    need(/^[1-9][0-9]*$/.test(v) && Number(v) <= latest, `version ${v}`);
    const mat = m as Record<string, unknown>;
    need(typeof mat === 'object' && mat !== null && isCount(mat['creationTime']) && typeof mat['hmacKey'] === 'string', `version ${v}`);
    need(mat['key'] === undefined || typeof mat['key'] === 'string', `version ${v} key`);
    need(mat['privateKey'] === undefined || typeof mat['privateKey'] === 'string', `version ${v} private key`);
    versions[v] = {
      creationTime: mat['creationTime'] as number,
      hmacKey: mat['hmacKey'] as string,
      ...(typeof mat['key'] === 'string' ? { key: mat['key'] } : {}),
      ...(typeof mat['privateKey'] === 'string' ? { privateKey: mat['privateKey'] } : {}),
    };
  }
  need(versions[String(latest)] !== undefined, 'latest version material missing');
  const policy: KeyPolicy = {
    name: r['name'] as string,
    type: r['type'] as KeyType,
    derived: r['derived'] as boolean,
    convergentEncryption: r['convergentEncryption'] as boolean,
    exportable: r['exportable'] as boolean,
    allowPlaintextBackup: r['allowPlaintextBackup'] as boolean,
    deletionAllowed: r['deletionAllowed'] as boolean,
    minDecryptionVersion: r['minDecryptionVersion'] as number,
    minEncryptionVersion: r['minEncryptionVersion'] as number,
    minAvailableVersion: r['minAvailableVersion'] as number,
    latestVersion: latest,
    autoRotatePeriod: r['autoRotatePeriod'] as number,
    ...(r['keySize'] !== undefined ? { keySize: checkKeySize(r['keySize']) } : {}),
    ...(isBool(r['imported']) ? { imported: r['imported'] } : {}),
    ...(isBool(r['allowRotation']) ? { allowRotation: r['allowRotation'] } : {}),
    versions,
  };
  const backupInfo = checkStamp(r['backupInfo'], 'backupInfo');
  const restoreInfo = checkStamp(r['restoreInfo'], 'restoreInfo');
  return { ...policy, ...(backupInfo ? { backupInfo } : {}), ...(restoreInfo ? { restoreInfo } : {}) };
}
