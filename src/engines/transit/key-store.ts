/**
 * The keys of one transit mount: storage plus an in-memory cache of parsed keys.
 *
 * - Reads (encrypt, decrypt, sign, ...) take the cached LoadedKey and never wait: a cached
 *   key is an immutable value, and a request's crypto runs within one JavaScript turn, so it
 *   sees one consistent version of the key.
 * - Changes (create, rotate, config, trim, delete, restore, backup stamps) run one at a time
 *   per key under a KeyedMutex: read the current key, build a new record, persist it, and only
 *   then publish it to the cache. Cache misses load under the same mutex, so a load can never
 *   publish a record older than a change that finished before it.
 */
import type { BackendContext } from '../../logical/backend.js';
import type { StorageView } from '../../logical/storage.js';
import { KeyedMutex } from '../../util/keyed-mutex.js';
import type { KeyPolicy } from './key-policy.js';
import { loadKey, type LoadedKey } from './loaded-key.js';

/**
 * Every key lives at POLICY_PREFIX + name as one JSON KeyPolicy (settings and the material of
 * every live version). Written and read only by this engine through the mount's view, so the
 * barrier encrypts it; replicated with the mount (transit keys are shared by all clusters).
 */
export const POLICY_PREFIX = 'policy/';

/** What a change returns: the new record (undefined = unchanged, null = delete) and a result. */
export interface Change<T> {
  readonly next?: KeyPolicy | null;
  readonly result: T;
}

export class KeyStore {
  /** Map order is use order when the cache is bounded: the first key is the least recently used. */
  private readonly cache = new Map<string, LoadedKey>();
  private readonly locks = new KeyedMutex();
  /** Bumped by every invalidation: a load that read storage before one must not publish. */
  private invalidations = 0;
  /** Most keys cached (cache-config); 0 = no limit. */
  private maxKeys = 0;

  constructor(private readonly storage: StorageView) {}

  /** The key, from the cache or storage; undefined when there is none. */
  async get(name: string): Promise<LoadedKey | undefined> {
    const hit = this.cache.get(name);
    if (hit !== undefined) {
      if (this.maxKeys > 0) {
        this.cache.delete(name);
        this.cache.set(name, hit);
      }
      return hit;
    }
    return this.locks.run(name, () => this.loadLocked(name));
  }

  /** Bound the cache to `size` keys, dropping the least recently used beyond it; 0 = no limit. */
  setCacheSize(size: number): void {
    this.maxKeys = size;
    this.evict();
  }

  /** Keys cached now (tests, diagnostics). */
  get cachedKeys(): number {
    return this.cache.size;
  }

  /** Whether the named key is cached now (tests, diagnostics). */
  isCached(name: string): boolean {
    return this.cache.has(name);
  }

  /**
   * Run a change of one key under its lock; answers the key as it is afterwards (undefined
   * once deleted) and the change's result. An exception changes nothing.
   */
  change<T>(
    name: string,
    fn: (current: LoadedKey | undefined) => Promise<Change<T>> | Change<T>,
  ): Promise<{ key: LoadedKey | undefined; result: T }> {
    return this.locks.run(name, async () => {
      const current = await this.loadLocked(name);
      const { next, result } = await fn(current);
      if (next === null) {
        await this.storage.delete(POLICY_PREFIX + name);
        this.cache.delete(name);
        return { key: undefined, result };
      }
      if (next === undefined) return { key: current, result };
      // Parse before persisting: a record that cannot be loaded is never written.
      const loaded = loadKey(next, current);
      await this.storage.putJSON(POLICY_PREFIX + name, next);
      this.publish(name, loaded);
      return { key: loaded, result };
    });
  }

  async list(): Promise<string[]> {
    return this.storage.list(POLICY_PREFIX);
  }

  /** Drop every cached key (unmount, seal). */
  clear(): void {
    this.invalidations++;
    this.cache.clear();
  }

  /**
   * A storage key of the mount changed underneath (replication applied it on a secondary):
   * forget the cached key it holds, so the next use loads the new record.
   */
  invalidate(storageKey: string): void {
    if (!storageKey.startsWith(POLICY_PREFIX)) return;
    this.invalidations++;
    this.cache.delete(storageKey.slice(POLICY_PREFIX.length));
  }

  private async loadLocked(name: string): Promise<LoadedKey | undefined> {
    const hit = this.cache.get(name);
    if (hit !== undefined) return hit;
    const before = this.invalidations;
    const record = await this.storage.getJSON<KeyPolicy>(POLICY_PREFIX + name);
    if (record === undefined) return undefined;
    const loaded = loadKey(record);
    // Changed underneath while reading: answer this caller, but let the next one load afresh.
    if (this.invalidations === before) this.publish(name, loaded);
    return loaded;
  }

  private publish(name: string, key: LoadedKey): void {
    this.cache.delete(name);
    this.cache.set(name, key);
    this.evict();
  }

  private evict(): void {
    if (this.maxKeys === 0) return;
    for (const name of this.cache.keys()) {
      if (this.cache.size <= this.maxKeys) break;
      this.cache.delete(name);
    }
  }
}

const stores = new WeakMap<BackendContext, KeyStore>();

/**
 * The KeyStore of a mount. Path tables are module constants (compiled once, shared by every
 * mount), so handlers find their mount's store through the context they are called with.
 */
export function storeOf(ctx: BackendContext): KeyStore {
  let store = stores.get(ctx);
  if (store === undefined) {
    store = new KeyStore(ctx.storage);
    stores.set(ctx, store);
  }
  return store;
}
