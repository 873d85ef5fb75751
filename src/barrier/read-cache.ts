/**
 * A bounded LRU of decrypted entries in front of the physical store, so a hot key (a token, a
 * KV secret) is not read and decrypted on every request.
 *
 * Correctness under concurrency: a read may only fill the cache if no write to any key finished
 * while it was in flight and no write to its own key is still in flight; otherwise a slow read
 * could cache a value older than an acknowledged write. Every write drops its keys when it starts
 * and again when it ends. The cache is cleared (and its buffers zeroed) on seal.
 */
export interface ReadCacheLimits {
  /** Most entries kept. */
  readonly maxEntries: number;
  /** Most plaintext bytes kept in total. */
  readonly maxBytes: number;
  /** Larger values are never cached. */
  readonly maxValueBytes: number;
}

export const DEFAULT_READ_CACHE_LIMITS: ReadCacheLimits = { maxEntries: 10_000, maxBytes: 32 * 1024 * 1024, maxValueBytes: 64 * 1024 };

export class ReadCache {
  /** Map order is recency order: the first key is the least recently used. */
  private readonly entries = new Map<string, Buffer>();
  private bytes = 0;
  /** Keys with writes in flight, and how many. */
  private readonly writing = new Map<string, number>();
  /** Counts finished writes; a read started at generation g may fill only while it is still g. */
  private generation = 0;

  constructor(private readonly limits: ReadCacheLimits = DEFAULT_READ_CACHE_LIMITS) {}

  /** A copy of the cached plaintext, or undefined. */
  get(key: string): Buffer | undefined {
    const hit = this.entries.get(key);
    if (hit === undefined) return undefined;
    this.entries.delete(key);
    this.entries.set(key, hit);
    return Buffer.from(hit);
  }

  /** Call before reading key from storage; pass the result to fill(). */
  ticket(): number {
    return this.generation;
  }

  /** Cache a value read under `ticket`, unless a write may have overtaken the read. */
  fill(key: string, value: Buffer, ticket: number): void {
    if (ticket !== this.generation || this.writing.has(key)) return;
    if (value.length > this.limits.maxValueBytes || this.limits.maxEntries === 0) return;
    this.drop(key);
    this.entries.set(key, Buffer.from(value));
    this.bytes += value.length;
    for (const [oldest, buf] of this.entries) {
      if (this.entries.size <= this.limits.maxEntries && this.bytes <= this.limits.maxBytes) break;
      this.entries.delete(oldest);
      this.bytes -= buf.length;
      buf.fill(0);
    }
  }

  /** Run a write of `keys` with the cache kept coherent around it. */
  async write<T>(keys: readonly string[], write: () => Promise<T>): Promise<T> {
    for (const k of keys) {
      this.writing.set(k, (this.writing.get(k) ?? 0) + 1);
      this.drop(k);
    }
    try {
      return await write();
    } finally {
      this.generation++;
      for (const k of keys) {
        const n = (this.writing.get(k) ?? 1) - 1;
        if (n === 0) this.writing.delete(k);
        else this.writing.set(k, n);
        this.drop(k);
      }
    }
  }

  /** Forget keys changed behind the barrier's back (replicated writes applied below it). */
  invalidate(keys: Iterable<string>): void {
    this.generation++;
    for (const k of keys) this.drop(k);
  }

  /** Forget and zero everything (seal). */
  clear(): void {
    this.generation++;
    for (const buf of this.entries.values()) buf.fill(0);
    this.entries.clear();
    this.bytes = 0;
  }

  get size(): number {
    return this.entries.size;
  }

  private drop(key: string): void {
    const old = this.entries.get(key);
    if (old === undefined) return;
    this.entries.delete(key);
    this.bytes -= old.length;
    old.fill(0);
  }
}
