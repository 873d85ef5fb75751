/**
 * KV v2 storage layout, relative to the mount's storage view. All three prefixes are written
 * and read only by this engine and replicate with the mount (none is declared local).
 *
 *   config                          engine settings (KvConfig)
 *   metadata/<secret path>          key metadata with every live version's record (KeyMetadata);
 *                                   listing secrets is one storage list under "metadata/"
 *   versions/<sha256(path)>/<n>     data of version n (VersionData)
 *
 * Secret paths "a" and "a/b" map to distinct metadata keys that the storage lists as "a" and
 * "a/"; version data hangs off a fixed-length digest of the path, so no path can reach into
 * another path's versions whatever characters it contains.
 */
import * as crypto from 'node:crypto';
import type { StorageView } from '../../../logical/storage.js';
import type { BatchOp } from '../../../storage/physical.js';

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

export interface VersionRecord {
  /** Milliseconds since the epoch. */
  createdTime: number;
  /** When the version is (or was) soft-deleted; a future time schedules deletion. */
  deletionTime: number | null;
  destroyed: boolean;
}

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
  /** Version number (decimal string) -> record; pruned versions are removed. */
  versions: Record<string, VersionRecord>;
}

export interface VersionData {
  readonly data: Record<string, unknown>;
}

export function metadataKey(path: string): string {
  return METADATA_PREFIX + path;
}

/** One-shot hashing (node 20.12+) costs a fraction of a createHash object; every read and write names a version. */
const sha256Hex: (text: string) => string =
  typeof crypto.hash === 'function' ? (text) => crypto.hash('sha256', text, 'hex') : (text) => crypto.createHash('sha256').update(text, 'utf8').digest('hex');

export function versionKey(path: string, version: number): string {
  const digest = sha256Hex(path);
  return `${VERSIONS_PREFIX}${digest}/${version}`;
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
    versions: {},
  };
}

export function putOp(key: string, value: unknown): BatchOp {
  return { type: 'put', key, value: Buffer.from(JSON.stringify(value), 'utf8') };
}

export function deleteOp(key: string): BatchOp {
  return { type: 'delete', key };
}

/** Typed access to one mount's KV v2 records. */
export class KvStore {
  constructor(private readonly storage: StorageView) {}

  async config(): Promise<KvConfig> {
    return { ...DEFAULT_CONFIG, ...(await this.storage.getJSON<Partial<KvConfig>>(CONFIG_KEY)) };
  }

  putConfig(config: KvConfig): Promise<void> {
    return this.storage.putJSON(CONFIG_KEY, config);
  }

  metadata(path: string): Promise<KeyMetadata | undefined> {
    return this.storage.getJSON<KeyMetadata>(metadataKey(path));
  }

  version(path: string, version: number): Promise<VersionData | undefined> {
    return this.storage.getJSON<VersionData>(versionKey(path, version));
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
    return this.commit([putOp(metadataKey(path), meta)]);
  }
}
