/**
 * A bounded cache of decrypted entries in front of the physical store, so a hot key (a token, a
 * KV secret) is not read and decrypted on every request. Eviction is least-recently-used by
 * "second chance": a hit only marks its entry, and eviction moves marked entries to the young
 * end once instead of evicting them, so hits (three per KV read) never reorder the map.
 *
 * Correctness under concurrency: a read may only fill the cache if no write to its key finished
 * (and no invalidation of it happened) while it was in flight, and no write to its key is still
 * in flight; otherwise a slow read could cache a value older than an acknowledged write. Each
 * read from storage holds a ticket for its key, which such a write marks stale. Writes to other
 * keys do not matter, so a steady write load does not keep unrelated keys (tokens, engine
 * config) out of the cache. Every write drops its keys when it starts; when it ends it drops
 * them again or, if it succeeded and nothing else touched the key meanwhile (no other write of
 * it in flight, and its epoch unchanged: every write's end, invalidation and clear bumps the
 * epoch of a key being written), caches the plaintext it wrote (write-through: a KV v2 write
 * reads the secret's metadata the previous write left), except for keys the writer asked not to
 * cache (uncachedPut, uncachedDelete).
 * The cache is cleared (and its buffers zeroed) on seal.
 *
 * Admission: while the cache is full, a read fills it only if the doorkeeper (doorkeeper.ts)
 * lets its key in, that is if the key was read from storage once already, recently. Writes are
 * always cached (write-through). For a working set larger than the cache the hit rate stays
 * what it was, and the entries stop being replaced on every miss.
 *
 * Decoded forms: `getDecoded` keeps, next to an entry's bytes, the value one decoder made of
 * them (a parsed token entry, KV metadata), so a hot key is not parsed again on every request.
 * The decoded value lives in the same slot as the bytes, so every write, invalidation, eviction
 * and clear that drops the bytes drops it too: it can never outlive or disagree with them. The
 * value is shared by every reader, so decoders return immutable (frozen) values.
 *
 * A write that hands over its decoded value (sharedPut) leaves only that value cached, not the
 * bytes: a KV v2 write replaces the metadata the previous write of the secret left, so keeping
 * a private copy of ~300 bytes per write beside the value would only feed the garbage
 * collector (each copy is an ArrayBuffer of its own, promoted before the secret's next write
 * drops it). A plain `get` of such an entry misses and reads storage, and the entry it fills
 * holds bytes again.
 */
import type { Decoder, SharedDecoded } from '../logical/storage.js';
import { Doorkeeper } from './doorkeeper.js';

export interface ReadCacheLimits {
  /** Most entries kept. */
  readonly maxEntries: number;
  /** Most plaintext bytes kept in total. */
  readonly maxBytes: number;
  /** Larger values are never cached. */
  readonly maxValueBytes: number;
  /**
   * While this answers false nothing is cached (an HA performance standby reads storage every
   * time, README of src/ha). Whoever turns it off clears the cache at the same moment.
   */
  readonly enabled?: () => boolean;
}

/** Writes fill the cache too, two entries per KV secret: 65,536 entries is a working set of ~32,000 secrets. */
export const DEFAULT_READ_CACHE_LIMITS: ReadCacheLimits = { maxEntries: 65_536, maxBytes: 32 * 1024 * 1024, maxValueBytes: 64 * 1024 };

/**
 * The limits for Vault's `cache_size` (entries; 0 or absent: the default) and `disable_cache`.
 * The byte bound scales with the entry bound (512 bytes of plaintext per entry, the default's
 * ratio), so a larger `cache_size` is not capped by the default's 32 MiB.
 */
export function readCacheLimits(cacheSize: number | undefined, disabled: boolean | undefined): ReadCacheLimits {
  if (disabled === true) return { ...DEFAULT_READ_CACHE_LIMITS, maxEntries: 0, maxBytes: 0 };
  if (cacheSize === undefined || cacheSize <= 0) return DEFAULT_READ_CACHE_LIMITS;
  const perEntry = DEFAULT_READ_CACHE_LIMITS.maxBytes / DEFAULT_READ_CACHE_LIMITS.maxEntries;
  return { ...DEFAULT_READ_CACHE_LIMITS, maxEntries: cacheSize, maxBytes: cacheSize * perEntry };
}

/** Counts since start (Vault's vault.cache.* metrics). */
export interface ReadCacheStats {
  /** Reads answered from the cache (a value, or a known absence). */
  hits: number;
  /** Reads that went to storage. */
  misses: number;
  /** Entries cached, by a read's fill or a write. */
  writes: number;
}

/** One read from storage in flight; settle it with `fill` whatever the read's outcome. */
export interface ReadTicket {
  readonly key: string;
  /** A write or invalidation of the key happened while the read was in flight. */
  stale: boolean;
}

interface Cached {
  /**
   * null: the key is known to be absent (engine config never written, a secret not yet created).
   * undefined: only `decoded` is kept (a write handed it over with its bytes).
   */
  readonly value: Buffer | null | undefined;
  /** Hit since it was last inserted or moved: spared once by eviction. */
  hit: boolean;
  /** The last decoder used on this entry and what it made of `value`. */
  decoder?: Decoder<unknown>;
  decoded?: unknown;
  /** Bytes this entry counts against the limits: its plaintext, twice once decoded (an estimate). */
  charged: number;
}

/** The writes in flight on one key. */
interface WriteState {
  inFlight: number;
  /** Bumped when a write of the key ends and when the key is invalidated or the cache cleared. */
  epoch: number;
}

export class ReadCache {
  /** Map order is insertion order: eviction starts at the first (oldest) key. */
  private readonly entries = new Map<string, Cached>();
  private bytes = 0;
  /** Keys with writes in flight. */
  private readonly writing = new Map<string, WriteState>();
  /** Reads from storage in flight, by key. */
  private readonly reading = new Map<string, Set<ReadTicket>>();
  /** Which reads may fill the cache while it is full. */
  private readonly doorkeeper: Doorkeeper;
  /** Eviction stops at these (1/64 below the limits); at or above them the cache is full. */
  private readonly entryMark: number;
  private readonly byteMark: number;

  readonly stats: ReadCacheStats = { hits: 0, misses: 0, writes: 0 };

  constructor(private readonly limits: ReadCacheLimits = DEFAULT_READ_CACHE_LIMITS) {
    this.doorkeeper = Doorkeeper.forCache(limits.maxEntries);
    // Evicting down to a low-water mark, a full cache walks its oldest entries once per many
    // inserts rather than on every one: a Map keeps the slots of deleted entries until it is
    // rebuilt, and each walk from the oldest end steps over them again.
    this.entryMark = limits.maxEntries - Math.floor(limits.maxEntries / 64);
    this.byteMark = limits.maxBytes - Math.floor(limits.maxBytes / 64);
  }

  /** A copy of the cached plaintext, null when the key is known to be absent, undefined when unknown. */
  get(key: string): Buffer | null | undefined {
    const hit = this.entries.get(key);
    if (hit === undefined || hit.value === undefined) return undefined;
    hit.hit = true;
    this.stats.hits++;
    return hit.value === null ? null : Buffer.from(hit.value);
  }

  /**
   * The value `decode` makes of the cached plaintext, decoded once per entry and then shared;
   * null when the key is known to be absent, undefined when it is not cached. A decoder that
   * throws caches nothing (the error reaches the caller).
   */
  getDecoded<T>(key: string, decode: Decoder<T>): T | null | undefined {
    const found = this.decodedOf(key, decode);
    if (found !== undefined) this.stats.hits++;
    return found;
  }

  /** `getDecoded` right after this caller's own read filled the entry: not counted as a hit. */
  decodedAfterFill<T>(key: string, decode: Decoder<T>): T | null | undefined {
    return this.decodedOf(key, decode);
  }

  private decodedOf<T>(key: string, decode: Decoder<T>): T | null | undefined {
    const hit = this.entries.get(key);
    if (hit === undefined) return undefined;
    if (hit.value === null) {
      hit.hit = true;
      return null;
    }
    if (hit.decoder === decode) {
      hit.hit = true;
      return hit.decoded as T;
    }
    if (hit.value === undefined) return undefined;
    hit.hit = true;
    const decoded = decode(hit.value);
    hit.decoder = decode;
    hit.decoded = decoded;
    // The parsed form is counted like a second copy of the bytes (enforced at the next fill).
    this.bytes += 2 * hit.value.length - hit.charged;
    hit.charged = 2 * hit.value.length;
    return decoded;
  }

  /** Call before reading key from storage; pass the result to fill() once the read is over. */
  ticket(key: string): ReadTicket {
    this.stats.misses++;
    const ticket: ReadTicket = { key, stale: false };
    const set = this.reading.get(key);
    if (set === undefined) this.reading.set(key, new Set([ticket]));
    else set.add(ticket);
    return ticket;
  }

  /**
   * End a read: cache the value it found (null: the key does not exist), unless a write may
   * have overtaken it. `undefined` (the read failed) caches nothing. Every ticket must be filled
   * exactly once.
   */
  fill(ticket: ReadTicket, value: Buffer | null | undefined): void {
    const key = ticket.key;
    this.endTicket(ticket);
    if (value === undefined || ticket.stale || this.writing.has(key)) return;
    const bytes = value?.length ?? 0;
    // Checked before the doorkeeper, so a disabled cache (perf standby, disable_cache) hashes nothing.
    if (!this.admit(bytes)) return;
    if (this.full(bytes) && !this.entries.has(key) && !this.doorkeeper.admit(key)) return;
    this.insert(key, value === null ? null : cacheCopy(value));
  }

  /**
   * Run a write of `keys` with the cache kept coherent around it. With `written` (the plaintext
   * each key now holds, null for a delete; buffers the cache may keep and zero), a write that
   * succeeded caches what it wrote (write-through: the next write of a secret reads its metadata
   * without storage or a decrypt), but only for a key no other write or invalidation touched
   * while it was in flight, and that appears once in `keys` (the same rule as a read's fill).
   * A key whose `written` entry is undefined is only dropped. A key with a `decoded` entry keeps
   * that value alone: its written bytes are zeroed like those of a write that is not cached.
   */
  async write<T>(
    keys: readonly string[],
    write: () => Promise<T>,
    written?: readonly (Buffer | null | undefined)[],
    /** Per key, what a decoder makes of its written bytes, when the writer has it already (kept with them). */
    decoded?: readonly (SharedDecoded | undefined)[],
  ): Promise<T> {
    // Per key, its state's epoch when this write started: a change means another write of the
    // key ended (or the key was invalidated) meanwhile.
    const epochs: number[] = [];
    for (let i = 0; i < keys.length; i++) {
      const k = keys[i] as string;
      let state = this.writing.get(k);
      if (state === undefined) {
        state = { inFlight: 0, epoch: 0 };
        this.writing.set(k, state);
      }
      state.inFlight++;
      epochs.push(state.epoch);
      this.drop(k);
    }
    let ok = false;
    try {
      const result = await write();
      ok = true;
      return result;
    } finally {
      for (let i = 0; i < keys.length; i++) {
        const k = keys[i] as string;
        // Present: this write counted itself in at the start (a duplicate key ends here twice).
        const state = this.writing.get(k) as WriteState;
        const alone = state.inFlight === 1 && state.epoch === epochs[i];
        state.inFlight--;
        state.epoch++;
        if (state.inFlight === 0) this.writing.delete(k);
        this.markStale(k);
        this.drop(k);
        const value = written?.[i];
        if (value === undefined) continue;
        const keep = ok && alone;
        const shared = decoded?.[i];
        if (value !== null && shared !== undefined) {
          if (keep) this.insertDecoded(k, shared, value.length);
          value.fill(0);
        } else if (keep) this.insert(k, value);
        else if (value !== null) value.fill(0);
      }
    }
  }

  /** Cache what a writer decoded from `bytes` plaintext bytes, without the bytes themselves. */
  private insertDecoded(key: string, shared: SharedDecoded, bytes: number): void {
    // Counted like an entry holding both the bytes and their parsed form (an estimate).
    if (!this.admit(bytes)) return;
    this.drop(key);
    this.entries.set(key, { value: undefined, hit: false, decoder: shared.decoder, decoded: shared.value, charged: 2 * bytes });
    this.bytes += 2 * bytes;
    this.stats.writes++;
    this.evict(key);
  }

  /** Forget keys changed behind the barrier's back (replicated writes applied below it). */
  invalidate(keys: Iterable<string>): void {
    for (const k of keys) {
      const state = this.writing.get(k);
      if (state !== undefined) state.epoch++;
      this.markStale(k);
      this.drop(k);
    }
  }

  /** Forget and zero everything (seal, HA role change); reads in flight cache nothing. */
  clear(): void {
    for (const set of this.reading.values()) for (const t of set) t.stale = true;
    for (const state of this.writing.values()) state.epoch++;
    for (const entry of this.entries.values()) entry.value?.fill(0);
    this.entries.clear();
    this.bytes = 0;
    this.doorkeeper.clear();
  }

  get size(): number {
    return this.entries.size;
  }

  /** Reads from storage not yet settled (diagnostics and tests: must return to 0). */
  get readsInFlight(): number {
    let n = 0;
    for (const set of this.reading.values()) n += set.size;
    return n;
  }

  private endTicket(ticket: ReadTicket): void {
    const set = this.reading.get(ticket.key);
    if (set !== undefined && set.delete(ticket) && set.size === 0) this.reading.delete(ticket.key);
  }

  /** Cache `value` (owned by the cache from now on) for key, then evict down to the limits. */
  private insert(key: string, value: Buffer | null): void {
    if (!this.admit(value?.length ?? 0)) {
      value?.fill(0);
      return;
    }
    this.drop(key);
    this.entries.set(key, { value, hit: false, charged: value?.length ?? 0 });
    this.bytes += value?.length ?? 0;
    this.stats.writes++;
    this.evict(key);
  }

  /** Whether an entry of `bytes` plaintext bytes may be cached at all. */
  private admit(bytes: number): boolean {
    return (this.limits.enabled === undefined || this.limits.enabled()) && bytes <= this.limits.maxValueBytes && this.limits.maxEntries > 0;
  }

  /** Evict down to the limits after inserting `key` (which goes last, and only if it alone is too big). */
  private evict(key: string): void {
    if (this.withinLimits()) return;
    // Down to the low-water marks. Every marked entry is moved (and unmarked) at most once, so this ends.
    for (const [oldest, entry] of this.entries) {
      if (this.entries.size <= this.entryMark && this.bytes <= this.byteMark) break;
      if (oldest === key) continue;
      this.entries.delete(oldest);
      if (entry.hit) {
        entry.hit = false;
        this.entries.set(oldest, entry);
        continue;
      }
      this.bytes -= entry.charged;
      entry.value?.fill(0);
    }
    // Limits smaller than this one value: it cannot stay either.
    if (!this.withinLimits()) this.drop(key);
  }

  private markStale(key: string): void {
    const set = this.reading.get(key);
    if (set !== undefined) for (const t of set) t.stale = true;
  }

  /** Whether caching `bytes` more would make room by evicting (the doorkeeper then decides). */
  private full(bytes: number): boolean {
    return this.entries.size >= this.entryMark || this.bytes + bytes > this.byteMark;
  }

  private withinLimits(): boolean {
    return this.entries.size <= this.limits.maxEntries && this.bytes <= this.limits.maxBytes;
  }

  private drop(key: string): void {
    const old = this.entries.get(key);
    if (old === undefined) return;
    this.entries.delete(key);
    this.bytes -= old.charged;
    old.value?.fill(0);
  }
}

/**
 * A copy the cache may keep for long: its own memory, not a slice of node's shared 8 KiB pool
 * (a cached slice would keep its whole slab alive; with tens of thousands of entries that is
 * hundreds of MiB).
 */
export function cacheCopy(value: Buffer): Buffer {
  const copy = Buffer.allocUnsafeSlow(value.length);
  value.copy(copy);
  return copy;
}
