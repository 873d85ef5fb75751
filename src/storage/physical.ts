/**
 * The physical storage contract: an untrusted byte store. Only the barrier (and the
 * replication layer directly beneath it) may hold a Physical; everything above sees
 * encrypted, mount-scoped logical storage.
 *
 * Keys are '/'-separated paths without a leading slash. Values are opaque bytes.
 * Every method resolves only once the effect is durable (for durable backends).
 */

export type BatchOp =
  | { readonly type: 'put'; readonly key: string; readonly value: Buffer }
  | { readonly type: 'delete'; readonly key: string };

export interface Physical {
  /** The value at key, or undefined. */
  get(key: string): Promise<Buffer | undefined>;
  put(key: string, value: Buffer): Promise<void>;
  /** Deleting a missing key is not an error. */
  delete(key: string): Promise<void>;
  /**
   * One level below prefix (prefix is '' or ends with '/'): direct children, sorted
   * lexicographically; a child that has descendants appears once, as "name/". A key that
   * is itself a leaf and also a folder appears twice ("name" and "name/"), as in Vault.
   */
  list(prefix: string): Promise<string[]>;
  /** Like list, but only entries strictly after `after` (''=from the start), at most `limit`. */
  listPage(prefix: string, after: string, limit: number): Promise<string[]>;
  /** Apply all ops atomically: after a crash either all or none are visible. Ops apply in order. */
  batch(ops: readonly BatchOp[]): Promise<void>;
  /** Flush and release resources. Further calls reject. */
  close(): Promise<void>;
}

/** Thrown by a backend for a key it cannot store (empty, too long, invalid characters). */
export class InvalidKeyError extends Error {}

/** Validate a key the same way for every backend. */
export function checkKey(key: string): void {
  if (key.length === 0) throw new InvalidKeyError('storage key is empty');
  if (key.length > 2048) throw new InvalidKeyError('storage key is too long');
  if (key.startsWith('/')) throw new InvalidKeyError('storage key starts with "/"');
  if (key.includes('\0')) throw new InvalidKeyError('storage key contains NUL');
  // A lone surrogate has no UTF-8 form: SQLite would store U+FFFD instead, so the key would change.
  if (/\p{Cs}/u.test(key)) throw new InvalidKeyError('storage key contains an unpaired surrogate');
}
