/**
 * An ordered set of keys for the in-memory backend: a list of sorted chunks, each at most
 * CHUNK_MAX long. Finding a position is two binary searches; inserting or removing moves at
 * most one chunk's worth of entries, so a million keys cost no more per write than a thousand,
 * and a scan can start anywhere without touching the keys before it.
 *
 * Keys are held in a "sort form" whose native `<` order is code point order (see compareKeys),
 * because the engine's string comparison is several times faster than a comparator in JS. For
 * the usual key (no code unit at or above U+D800) the sort form is the key itself.
 */

const CHUNK_MAX = 1024;
const HIGH_UNITS = /[\uD800-\uFFFF]/;

/** Remap code units so surrogates sort above U+E000..U+FFFF: a bijection on 16-bit units. */
function toSortForm(key: string): string {
  if (!HIGH_UNITS.test(key)) return key;
  let out = '';
  for (let i = 0; i < key.length; i++) {
    const u = key.charCodeAt(i);
    out += String.fromCharCode(u < 0xd800 ? u : u < 0xe000 ? u + 0x2000 : u - 0x800);
  }
  return out;
}

function fromSortForm(form: string): string {
  if (!HIGH_UNITS.test(form)) return form;
  let out = '';
  for (let i = 0; i < form.length; i++) {
    const u = form.charCodeAt(i);
    out += String.fromCharCode(u < 0xd800 ? u : u < 0xf800 ? u + 0x800 : u - 0x2000);
  }
  return out;
}

interface Position {
  readonly chunk: number;
  readonly index: number;
}

export class SortedKeys {
  /** Non-empty sorted chunks; every key of chunk i sorts before every key of chunk i+1. */
  private readonly chunks: string[][] = [];
  private count = 0;

  get size(): number {
    return this.count;
  }

  /** Add key; false if it was already present. */
  insert(key: string): boolean {
    const form = toSortForm(key);
    const last = this.chunks[this.chunks.length - 1];
    if (last === undefined) {
      this.chunks.push([form]);
      this.count = 1;
      return true;
    }
    let { chunk, index } = this.lowerBound(form);
    let target = this.chunks[chunk];
    if (target === undefined) {
      // Larger than every key: append to the last chunk.
      chunk = this.chunks.length - 1;
      target = last;
      index = last.length;
    } else if (target[index] === form) {
      return false;
    }
    target.splice(index, 0, form);
    this.count++;
    if (target.length > CHUNK_MAX) {
      const half = target.length >> 1;
      this.chunks.splice(chunk, 1, target.slice(0, half), target.slice(half));
    }
    return true;
  }

  /** Remove key; false if it was absent. */
  remove(key: string): boolean {
    const form = toSortForm(key);
    const { chunk, index } = this.lowerBound(form);
    const target = this.chunks[chunk];
    if (target === undefined || target[index] !== form) return false;
    target.splice(index, 1);
    this.count--;
    if (target.length === 0) this.chunks.splice(chunk, 1);
    return true;
  }

  /**
   * Keys from `from` (inclusive or not) up to, not including, `below`, in order. The set must not
   * change while the iterator is in use (listing is synchronous, so it cannot).
   */
  *scan(from: string, inclusive: boolean, below: string | undefined): Generator<string> {
    const start = toSortForm(from);
    const end = below === undefined ? undefined : toSortForm(below);
    let { chunk, index } = this.lowerBound(start);
    for (; chunk < this.chunks.length; chunk++, index = 0) {
      const keys = this.chunks[chunk] as string[];
      for (; index < keys.length; index++) {
        const key = keys[index] as string;
        if (!inclusive && key === start) continue;
        if (end !== undefined && key >= end) return;
        yield fromSortForm(key);
      }
    }
  }

  /** The position of the first sort form >= form (chunk === chunks.length when there is none). */
  private lowerBound(form: string): Position {
    let lo = 0;
    let hi = this.chunks.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      const keys = this.chunks[mid] as string[];
      if ((keys[keys.length - 1] as string) < form) lo = mid + 1;
      else hi = mid;
    }
    const keys = this.chunks[lo];
    if (keys === undefined) return { chunk: lo, index: 0 };
    let a = 0;
    let b = keys.length;
    while (a < b) {
      const mid = (a + b) >> 1;
      if ((keys[mid] as string) < form) a = mid + 1;
      else b = mid;
    }
    return { chunk: lo, index: a };
  }
}
