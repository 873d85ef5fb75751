/**
 * KV v2 storage layout, relative to the mount's storage view. All three prefixes are written
 * and read only by this engine and replicate with the mount (none is declared local).
 *
 *   config                          engine settings (KvConfig)
 *   metadata/<secret path>          key metadata with every live version's record (KeyMetadata,
 *                                   stored compactly: metadata-codec.ts, version-records.ts);
 *                                   listing secrets is one storage list under "metadata/"
 *   versions/<sha256(path)>/<n>     data of version n (VersionData)
 *
 * Secret paths "a" and "a/b" map to distinct metadata keys that the storage lists as "a" and
 * "a/"; version data hangs off a fixed-length digest of the path, so no path can reach into
 * another path's versions whatever characters it contains.
 */
import { sharedPut, uncachedDelete, uncachedPut, type StorageView } from '../../../logical/storage.js';
import type { BatchOp } from '../../../storage/physical.js';
import { sha256Hex as hashHex } from '../../../util/sha256.js';
import { decodeSharedMetadata, encodeMetadata, freezeMetadata } from './metadata-codec.js';
import { VersionRecords, type VersionRecord } from './version-records.js';

export type { VersionRecord };

export const CONFIG_KEY = 'config';
export const METADATA_PREFIX = 'metadata/';
export const VERSIONS_PREFIX = 'versions/';

/** Versions kept per key when neither the key nor the engine sets max_versions. */
export const DEFAULT_MAX_VERSIONS = 10;

export interface KvConfig {
  readonly maxVersions: number;
  readonly casRequired: boolean;
  /** Seconds; 0 = versions are never deleted automatically. */
  readonly deleteVersionAfter: number;
}

export const DEFAULT_CONFIG: KvConfig = { maxVersions: 0, casRequired: false, deleteVersionAfter: 0 };

export interface KeyMetadata {
  createdTime: number;
  updatedTime: number;
  currentVersion: number;
  oldestVersion: number;
  /** 0 = use the engine's setting. */
  maxVersions: number;
  casRequired: boolean;
  deleteVersionAfter: number;
  customMetadata: Record<string, string> | null;
  /** Every live version's record (pruned versions are removed), kept as stored: version-records.ts. */
  records: VersionRecords;
}

export interface VersionData {
  readonly data: Record<string, unknown>;
}

export function metadataKey(path: string): string {
  return METADATA_PREFIX + path;
}


/** Digests of recently named paths (every read and write of a secret needs its digest). Bounded; emptied when full. */
const digests = new Map<string, string>();
const MAX_DIGESTS = 65_536;

function sha256Hex(path: string): string {
  let digest = digests.get(path);
  if (digest === undefined) {
    if (digests.size >= MAX_DIGESTS) digests.clear();
    digest = hashHex(path);
    digests.set(path, digest);
  }
  return digest;
}

/** Where a path's versions live: append the version number. */
export function versionKeyPrefix(path: string): string {
  return `${VERSIONS_PREFIX}${sha256Hex(path)}/`;
}

export function versionKey(path: string, version: number): string {
  return versionKeyPrefix(path) + String(version);
}

export function newMetadata(now: number): KeyMetadata {
  return {
    createdTime: now,
    updatedTime: now,
    currentVersion: 0,
    oldestVersion: 0,
    maxVersions: 0,
    casRequired: false,
    deleteVersionAfter: 0,
    customMetadata: null,
    records: VersionRecords.EMPTY,
  };
}

/**
 * A put of a version's data, which the barrier's read cache does not keep on write (each write
 * makes a new version key: kept, they would evict the hot entries); its first read caches it.
 */
export function versionPutOp(key: string, data: Record<string, unknown>): BatchOp {
  return uncachedPut(key, Buffer.from(JSON.stringify({ data }), 'utf8'));
}

/** A put of a secret's metadata (metadata-codec.ts); `meta` stays the caller's. */
export function metadataPutOp(path: string, meta: KeyMetadata): BatchOp {
  return { type: 'put', key: metadataKey(path), value: encodeMetadata(meta) };
}

/**
 * metadataPutOp that also hands `meta`, frozen from here on, to the read cache: the secret's
 * next write or read uses it without decoding the stored bytes.
 */
export function sharedMetadataPutOp(path: string, meta: KeyMetadata): BatchOp {
  const frozen = freezeMetadata(meta);
  return sharedPut(metadataKey(path), encodeMetadata(frozen), frozen, decodeSharedMetadata);
}

export function deleteOp(key: string): BatchOp {
  return { type: 'delete', key };
}

/** A delete of a version's data (pruned or destroyed): nothing reads it again, so the read cache does not remember it absent. */
export function versionDeleteOp(key: string): BatchOp {
  return uncachedDelete(key);
}

/**
 * The engine config of each mount, read once and kept until this engine writes it or the mount
 * is told it changed underneath (replication: KvV2Backend.invalidate). Keyed by the mount's
 * storage view, which lives as long as the mounted backend; a reloaded mount starts empty.
 */
interface CachedConfig {
  value: Promise<KvConfig> | undefined;
  /** Bumped by every config write and invalidation: a read that overlapped one is not kept. */
  generation: number;
}

const configCache = new WeakMap<StorageView, CachedConfig>();

function cachedConfig(storage: StorageView): CachedConfig {
  let entry = configCache.get(storage);
  if (entry === undefined) {
    entry = { value: undefined, generation: 0 };
    configCache.set(storage, entry);
  }
  return entry;
}

/** Forget a mount's cached config (it was changed below the engine). */
export function invalidateConfig(storage: StorageView): void {
  const entry = cachedConfig(storage);
  entry.generation++;
  entry.value = undefined;
}

/** Typed access to one mount's KV v2 records. */
export class KvStore {
  constructor(private readonly storage: StorageView) {}

  /** The engine config as stored now, bypassing the cache (the config read endpoint). */
  async storedConfig(): Promise<KvConfig> {
    return { ...DEFAULT_CONFIG, ...(await this.storage.getJSON<Partial<KvConfig>>(CONFIG_KEY)) };
  }

  /** The engine config for the write path (defaults filled in); treat as read-only, it is shared. */
  config(): Promise<KvConfig> {
    const entry = cachedConfig(this.storage);
    if (entry.value !== undefined) return entry.value;
    const generation = entry.generation;
    const read = this.storedConfig();
    entry.value = read;
    // A failed read is not kept; neither is one a write or invalidation overtook.
    read.then(
      () => {
        if (entry.generation !== generation && entry.value === read) entry.value = undefined;
      },
      () => {
        if (entry.value === read) entry.value = undefined;
      },
    );
    return read;
  }

  async putConfig(config: KvConfig): Promise<void> {
    invalidateConfig(this.storage);
    try {
      await this.storage.putJSON(CONFIG_KEY, config);
    } finally {
      invalidateConfig(this.storage);
    }
  }

  /**
   * A secret's metadata, the caller's own to change: a shallow copy of the shared value (its
   * records are immutable and its custom metadata frozen, so changes replace them).
   */
  async metadata(path: string): Promise<KeyMetadata | undefined> {
    const shared = await this.sharedMetadata(path);
    return shared === undefined ? undefined : { ...shared };
  }

  version(path: string, version: number): Promise<VersionData | undefined> {
    return this.storage.getJSON<VersionData>(versionKey(path, version));
  }

  /** metadata() for reads that never modify it: parsed once and shared (frozen) while cached. */
  sharedMetadata(path: string): Promise<KeyMetadata | undefined> {
    return this.storage.getShared(metadataKey(path), decodeSharedMetadata);
  }

  /** version() for reads that never modify it: parsed once and shared (frozen) while cached. */
  sharedVersion(path: string, version: number): Promise<VersionData | undefined> {
    return this.storage.getJSONShared<VersionData>(versionKey(path, version));
  }

  /** Direct children of a folder of secret paths ("x" and "x/" style). */
  list(folder: string): Promise<string[]> {
    return this.storage.list(METADATA_PREFIX + folder);
  }

  /** Apply metadata and version changes atomically. */
  commit(ops: readonly BatchOp[]): Promise<void> {
    return this.storage.batch(ops);
  }

  saveMetadata(path: string, meta: KeyMetadata): Promise<void> {
    return this.commit([metadataPutOp(path, meta)]);
  }
}
