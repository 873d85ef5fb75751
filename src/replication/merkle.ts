/**
 * A Merkle tree over the replicated keyspace, so two clusters can find the keys on which they
 * differ without sending the keyspace: roots, then differing pages, subpages, and finally keys.
 *
 * Shape (docs/replication.md): 256 pages x 256 subpages; a key's bucket is the first two bytes of
 * sha256(key); leaf = sha256(key || 0x00 || ciphertext); a subpage hash is sha256 of its leaf
 * hashes in key order, a page hash sha256 of its 256 subpage hashes, the root sha256 of the 256
 * page hashes. Updates only mark hashes dirty; they are recomputed when asked for, so a burst of
 * writes costs one rehash per touched subpage, not one per write.
 */
import { createHash } from 'node:crypto';
import { compareKeys } from '../storage/one-level.js';
import { sha256 as sha256Once } from '../util/sha256.js';

export const PAGES = 256;
export const SUBPAGES = 256;

function sha256(...parts: readonly (Buffer | string)[]): Buffer {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest();
}

const EMPTY_SUBPAGE = sha256();
const EMPTY_PAGE = sha256(...new Array<Buffer>(SUBPAGES).fill(EMPTY_SUBPAGE));
export const EMPTY_ROOT = sha256(...new Array<Buffer>(PAGES).fill(EMPTY_PAGE)).toString('hex');

/** The [page, subpage] a key lives in. */
export function bucketOf(key: string): readonly [number, number] {
  const h = sha256Once(key);
  return [h[0] as number, h[1] as number];
}

/** The leaf hash of a key holding `value` (barrier ciphertext, as stored). */
export function leafHash(key: string, value: Buffer): Buffer {
  return Buffer.from(leafDigest(key, value), 'latin1');
}

/**
 * The leaf hash as a 32-character one-byte string, the form the tree keeps: one small heap
 * string per key instead of a Buffer (an ArrayBuffer with external memory the young-generation
 * collector has to sweep, and ~150 bytes of objects per leaf).
 */
function leafDigest(key: string, value: Buffer): string {
  const keyBytes = Buffer.byteLength(key, 'utf8');
  const input = Buffer.allocUnsafe(keyBytes + 1 + value.length);
  input.write(key, 0, 'utf8');
  input[keyBytes] = 0;
  value.copy(input, keyBytes + 1);
  return sha256Latin1(input);
}

function sha256Latin1(input: Buffer): string {
  return sha256Once(input).toString('latin1');
}

interface Page {
  /** Leaves by key, per subpage; undefined while empty. */
  /** Leaf hashes as 32-character one-byte strings (leafDigest). */
  readonly subpages: (Map<string, string> | undefined)[];
  /** Cached subpage hashes; undefined = dirty or not computed. */
  readonly subHashes: (Buffer | undefined)[];
  hash: Buffer | undefined;
  count: number;
}

export class MerkleTree {
  private readonly pages: (Page | undefined)[] = new Array<Page | undefined>(PAGES).fill(undefined);
  private rootHash: Buffer | undefined = undefined;
  private leafCount = 0;
  /** Bumped on every change; lets callers tell whether a snapshot is still current. */
  private changes = 0;

  get size(): number {
    return this.leafCount;
  }

  get version(): number {
    return this.changes;
  }

  /** Record that key holds value. */
  set(key: string, value: Buffer): void {
    this.putLeaf(key, leafDigest(key, value));
  }

  /** Record a precomputed leaf hash (copying a tree, or a filtered view of one). */
  setLeaf(key: string, leaf: Buffer): void {
    this.putLeaf(key, leaf.toString('latin1'));
  }

  private putLeaf(key: string, leaf: string): void {
    const [p, s] = bucketOf(key);
    const page = this.pageFor(p);
    let sub = page.subpages[s];
    if (sub === undefined) {
      sub = new Map();
      page.subpages[s] = sub;
    }
    const old = sub.get(key);
    if (old === leaf) return;
    if (old === undefined) {
      page.count++;
      this.leafCount++;
    }
    sub.set(key, leaf);
    this.dirty(page, s);
  }

  /** Record that key is absent. */
  delete(key: string): void {
    const [p, s] = bucketOf(key);
    const page = this.pages[p];
    const sub = page?.subpages[s];
    if (page === undefined || sub === undefined || !sub.delete(key)) return;
    page.count--;
    this.leafCount--;
    if (sub.size === 0) page.subpages[s] = undefined;
    if (page.count === 0) this.pages[p] = undefined;
    this.dirty(page, s);
  }

  /** The leaf hash of key, or undefined when absent. */
  leaf(key: string): Buffer | undefined {
    const [p, s] = bucketOf(key);
    const leaf = this.pages[p]?.subpages[s]?.get(key);
    return leaf === undefined ? undefined : Buffer.from(leaf, 'latin1');
  }

  root(): string {
    return this.rootBuffer().toString('hex');
  }

  pageHashes(): string[] {
    return this.pages.map((_, i) => this.pageHash(i).toString('hex'));
  }

  subpageHashes(page: number): string[] {
    checkIndex(page, PAGES, 'page');
    const out: string[] = [];
    for (let s = 0; s < SUBPAGES; s++) out.push(this.subpageHash(page, s).toString('hex'));
    return out;
  }

  /** [key, leaf hash hex] of one subpage, or of the whole page when subpage is undefined; sorted by key. */
  leaves(page: number, subpage?: number): [string, string][] {
    checkIndex(page, PAGES, 'page');
    if (subpage !== undefined) checkIndex(subpage, SUBPAGES, 'subpage');
    const p = this.pages[page];
    if (p === undefined) return [];
    const out: [string, string][] = [];
    const subs = subpage === undefined ? p.subpages : [p.subpages[subpage]];
    for (const sub of subs) {
      if (sub === undefined) continue;
      for (const [k, h] of sub) out.push([k, Buffer.from(h, 'latin1').toString('hex')]);
    }
    return out.sort((a, b) => compare(a[0], b[0]));
  }

  /** Number of leaves in a page (cheap; lets a caller fetch a sparse page whole). */
  pageSize(page: number): number {
    return this.pages[page]?.count ?? 0;
  }

  /** Every [key, leaf] pair, unordered. */
  *entries(): Generator<[string, Buffer]> {
    for (const [k, h] of this.digests()) yield [k, Buffer.from(h, 'latin1')];
  }

  /** A copy holding only the keys `keep` accepts (a secondary's paths filter). */
  filtered(keep: (key: string) => boolean): MerkleTree {
    const out = new MerkleTree();
    for (const [k, h] of this.digests()) if (keep(k)) out.putLeaf(k, h);
    return out;
  }

  private *digests(): Generator<[string, string]> {
    for (const page of this.pages) {
      if (page === undefined) continue;
      for (const sub of page.subpages) if (sub !== undefined) yield* sub;
    }
  }

  clear(): void {
    this.pages.fill(undefined);
    this.rootHash = undefined;
    this.leafCount = 0;
    this.changes++;
  }

  private pageFor(p: number): Page {
    let page = this.pages[p];
    if (page === undefined) {
      page = { subpages: new Array(SUBPAGES).fill(undefined), subHashes: new Array(SUBPAGES).fill(undefined), hash: undefined, count: 0 };
      this.pages[p] = page;
    }
    return page;
  }

  private dirty(page: Page, s: number): void {
    page.subHashes[s] = undefined;
    page.hash = undefined;
    this.rootHash = undefined;
    this.changes++;
  }

  private rootBuffer(): Buffer {
    this.rootHash ??= sha256(...this.pages.map((_, i) => this.pageHash(i)));
    return this.rootHash;
  }

  private pageHash(p: number): Buffer {
    const page = this.pages[p];
    if (page === undefined) return EMPTY_PAGE;
    page.hash ??= sha256(...page.subpages.map((_, s) => this.subpageHash(p, s)));
    return page.hash;
  }

  private subpageHash(p: number, s: number): Buffer {
    const page = this.pages[p];
    const sub = page?.subpages[s];
    if (page === undefined || sub === undefined) return EMPTY_SUBPAGE;
    let h = page.subHashes[s];
    if (h === undefined) {
      const keys = [...sub.keys()].sort(compare);
      const hash = createHash('sha256');
      for (const k of keys) hash.update(sub.get(k) as string, 'latin1');
      h = hash.digest();
      page.subHashes[s] = h;
    }
    return h;
  }
}

/** Code point order: the same on both clusters, and the storage order. */
const compare = compareKeys;

function checkIndex(n: number, size: number, what: string): void {
  if (!Number.isInteger(n) || n < 0 || n >= size) throw new RangeError(`${what} must be an integer in [0, ${size})`);
}
