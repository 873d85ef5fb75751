/**
 * Admission to a full read cache: a key read from storage is let in only if it was turned away
 * once already, recently (the "doorkeeper" of TinyLFU). A key read once and never again (one
 * pass over many keys, a working set larger than the cache) then never displaces an entry that
 * is read, and the cache stops churning: every entry that is admitted and later evicted is an
 * object graph promoted to the old generation and left there as garbage, which under a uniform
 * read load over 100,000 keys grew the heap by ~30 MB/s and made mark-compact cycles whose
 * sweeping stalled the event loop for 80–160 ms (bench/README.md, "Session 12").
 *
 * Memory is a fixed bit set (one bit per hashed key, no strings kept), cleared after every
 * `window` keys turned away, so "recently" means within the last `window` refusals. Hash
 * collisions only admit a key early. Deterministic: the same reads make the same decisions.
 */
export class Doorkeeper {
  private readonly bits: Uint32Array;
  private readonly mask: number;
  private refused = 0;

  constructor(private readonly window: number) {
    // ~16 bits per key of a window: a full window sets ~6% of them, so few keys pass by collision.
    let size = 1024;
    while (size < window * 16 && size < 1 << 24) size *= 2;
    this.bits = new Uint32Array(size / 32);
    this.mask = size - 1;
  }

  /** For a cache of `maxEntries`: a window of a quarter of it (at least 64 keys). */
  static forCache(maxEntries: number): Doorkeeper {
    return new Doorkeeper(Math.max(64, Math.floor(maxEntries / 4)));
  }

  /** Whether `key` may be admitted now: true if it was refused within the window, else remember it and refuse. */
  admit(key: string): boolean {
    const h = fnv1a(key) & this.mask;
    const word = h >>> 5;
    const bit = 1 << (h & 31);
    if (((this.bits[word] as number) & bit) !== 0) return true;
    if (this.refused >= this.window) {
      this.bits.fill(0);
      this.refused = 0;
    }
    this.bits[word] = (this.bits[word] as number) | bit;
    this.refused++;
    return false;
  }

  /** Forget every key (the cache was cleared). */
  clear(): void {
    this.bits.fill(0);
    this.refused = 0;
  }
}

/** 32-bit FNV-1a over the string's UTF-16 code units. */
function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}
