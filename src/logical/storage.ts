/**
 * Logical storage: what sits above the barrier. Values are plaintext here; the barrier
 * encrypts them on the way down. Backends receive a StorageView scoped to their mount and
 * cannot name keys outside it.
 */
import type { BatchOp } from '../storage/physical.js';

/** JSON, deep-frozen: a decoded value shared by every reader of a cached entry. */
export function frozenJSON(plain: Buffer): unknown {
  return deepFreeze(JSON.parse(plain.toString('utf8')));
}

/** A decoded value handed to the read cache with the bytes it was made from (sharedPut). */
export interface SharedDecoded {
  readonly decoder: Decoder<unknown>;
  readonly value: unknown;
}

/**
 * A put that also carries `decoded`, the value `decoder` makes of `value` (immutable: frozen,
 * never changed afterwards). Below the barrier's read cache it is kept with the written bytes,
 * so the next shared read of the key with the same decoder does not decode them again (a KV
 * v2 write reads the metadata the previous write left). `value` is handed over: the barrier
 * zeroes it once written, so the caller must not use it again.
 */
export function sharedPut<T>(key: string, value: Buffer, decoded: T, decoder: Decoder<T>): BatchOp {
  const op: BatchOp & { shared?: SharedDecoded } = { type: 'put', key, value };
  op.shared = { decoder: decoder as Decoder<unknown>, value: decoded };
  return op;
}

/** sharedPut of JSON: the value is deep-frozen here, as frozenJSON would decode it. */
export function sharedJSONPut(key: string, value: object): BatchOp {
  return sharedPut(key, Buffer.from(JSON.stringify(value), 'utf8'), deepFreeze(value), frozenJSON);
}

/**
 * A put whose value the barrier's read cache does not keep (it still drops what it had): for
 * entries written far more often than they are read back soon, such as a KV v2 version's data,
 * which would otherwise push hot entries out of the cache and feed the garbage collector. The
 * first read caches it as usual. `value` is handed over as with sharedPut.
 */
export function uncachedPut(key: string, value: Buffer): BatchOp {
  const op: BatchOp & { uncached?: true } = { type: 'put', key, value };
  op.uncached = true;
  return op;
}

/**
 * A delete whose absence the barrier's read cache does not remember (it still drops what it
 * had): for keys nobody reads once deleted, such as a pruned KV v2 version. Remembered, each
 * would take a cache slot and old-generation memory until evicted (a steady KV write load
 * prunes one version per write).
 */
export function uncachedDelete(key: string): BatchOp {
  const op: BatchOp & { uncached?: true } = { type: 'delete', key };
  op.uncached = true;
  return op;
}

/** Whether an op was made by uncachedPut or uncachedDelete. */
export function isUncached(op: BatchOp): boolean {
  return (op as { uncached?: true }).uncached === true;
}

/** The decoded value a sharedPut carries, if the op is one. */
export function sharedOf(op: BatchOp): SharedDecoded | undefined {
  return (op as { shared?: SharedDecoded }).shared;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

export interface Storage {
  get(key: string): Promise<Buffer | undefined>;
  put(key: string, value: Buffer): Promise<void>;
  delete(key: string): Promise<void>;
  list(prefix: string): Promise<string[]>;
  /** Atomic multi-key write. */
  batch(ops: readonly BatchOp[]): Promise<void>;
}

/** Turns an entry's plaintext into a value; must not keep or change the buffer. */
export type Decoder<T> = (plain: Buffer) => T;

/**
 * Storage that can hand out a shared decoded form of an entry (the barrier, from its read
 * cache: src/barrier/read-cache.ts). Callers must treat the value as read-only.
 */
export interface DecodedReads {
  getDecoded<T>(key: string, decode: Decoder<T>): Promise<T | undefined>;
}

export function decodedReads(storage: object): DecodedReads | undefined {
  return typeof (storage as Partial<DecodedReads>).getDecoded === 'function' ? (storage as DecodedReads) : undefined;
}

/** A prefix-scoped window on a Storage with JSON helpers. */
export class StorageView implements Storage {
  constructor(
    private readonly inner: Storage,
    readonly prefix: string,
  ) {
    if (prefix !== '' && !prefix.endsWith('/')) throw new Error(`storage view prefix must end with "/": ${prefix}`);
  }

  private full(key: string): string {
    // Split only when a ".." is present at all: this runs for every storage call.
    if (key.startsWith('/') || (key.includes('..') && key.split('/').includes('..'))) throw new Error(`invalid storage key: ${key}`);
    return this.prefix + key;
  }

  get(key: string): Promise<Buffer | undefined> {
    return this.inner.get(this.full(key));
  }
  put(key: string, value: Buffer): Promise<void> {
    return this.inner.put(this.full(key), value);
  }
  delete(key: string): Promise<void> {
    return this.inner.delete(this.full(key));
  }
  list(prefix: string): Promise<string[]> {
    return this.inner.list(prefix === '' ? this.prefix : this.full(prefix));
  }
  batch(ops: readonly BatchOp[]): Promise<void> {
    return this.inner.batch(ops.map((op) => ({ ...op, key: this.full(op.key) })));
  }

  async getJSON<T>(key: string): Promise<T | undefined> {
    const raw = await this.get(key);
    return raw === undefined ? undefined : (JSON.parse(raw.toString('utf8')) as T);
  }
  /**
   * getJSON for readers that do not modify the result: below the barrier's read cache the
   * parsed value is kept and shared (deep-frozen) while the entry stays cached.
   */
  getJSONShared<T>(key: string): Promise<T | undefined> {
    return this.getShared(key, frozenJSON as Decoder<T>);
  }

  /**
   * What `decode` makes of the entry, for readers that do not modify it: below the barrier's
   * read cache it is decoded once and shared while the entry stays cached.
   */
  getShared<T>(key: string, decode: Decoder<T>): Promise<T | undefined> {
    const decoding = decodedReads(this.inner);
    if (decoding !== undefined) return decoding.getDecoded(this.full(key), decode);
    return this.get(key).then((raw) => (raw === undefined ? undefined : decode(raw)));
  }

  putJSON(key: string, value: unknown): Promise<void> {
    return this.put(key, Buffer.from(JSON.stringify(value), 'utf8'));
  }

  /** A narrower view below this one. */
  sub(prefix: string): StorageView {
    return new StorageView(this.inner, this.full(prefix));
  }

  /** Every key below prefix, recursively (leaf keys only, relative to this view). */
  async listRecursive(prefix = ''): Promise<string[]> {
    const out: string[] = [];
    const walk = async (p: string): Promise<void> => {
      for (const child of await this.list(p)) {
        if (child.endsWith('/')) await walk(p + child);
        else out.push(p + child);
      }
    };
    await walk(prefix);
    return out;
  }
}
