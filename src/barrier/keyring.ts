/**
 * The barrier keyring: every encryption key the barrier has ever used, by term. The active term
 * (the highest) encrypts new writes; older terms stay so that data written before a rotation
 * remains readable. The keyring owns its key buffers: `zero()` overwrites them all.
 *
 * Encryption counters are per term and in memory only, and not part of the serialised
 * (replicated) keyring, since each node counts its own writes; src/core/barrier-rotation.ts
 * stores the active term's count so that sys/key-status and automatic rotation count across
 * restarts.
 */
import { KEY_LENGTH } from './aead.js';
import { ownedCopy, randomKey } from './bytes.js';
import { KeyringFormatError } from './errors.js';

export interface KeyTerm {
  readonly term: number;
  readonly key: Buffer;
  /** RFC 3339 time the term was installed. */
  readonly installTime: string;
}

interface SerializedTerm {
  term: number;
  key: string;
  install_time: string;
}

export class Keyring {
  private readonly byTerm = new Map<number, KeyTerm>();
  private readonly counts = new Map<number, number>();
  private active: KeyTerm;

  private constructor(terms: readonly KeyTerm[]) {
    if (terms.length === 0) throw new KeyringFormatError('keyring has no terms');
    let highest: KeyTerm | undefined;
    for (const t of terms) {
      if (!Number.isInteger(t.term) || t.term < 1 || t.term > 0xffffffff) {
        throw new KeyringFormatError('keyring term out of range');
      }
      if (this.byTerm.has(t.term)) throw new KeyringFormatError(`keyring has term ${t.term} twice`);
      if (t.key.length !== KEY_LENGTH) throw new KeyringFormatError(`keyring term ${t.term} key has wrong length`);
      this.byTerm.set(t.term, t);
      this.counts.set(t.term, 0);
      if (highest === undefined || t.term > highest.term) highest = t;
    }
    this.active = highest!;
  }

  /** A new keyring with term 1. The key is copied; pass one to make tests deterministic. */
  static create(installTime: string, key?: Buffer): Keyring {
    return new Keyring([{ term: 1, key: key === undefined ? randomKey(KEY_LENGTH) : ownedCopy(key), installTime }]);
  }

  static deserialize(raw: Buffer): Keyring {
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw.toString('utf8'));
    } catch {
      throw new KeyringFormatError('keyring is not valid JSON');
    }
    const terms = (parsed as { terms?: unknown } | null)?.terms;
    if (!Array.isArray(terms)) throw new KeyringFormatError('keyring has no terms array');
    return new Keyring(
      terms.map((t: unknown) => {
        const { term, key, install_time: installTime } = (t ?? {}) as Partial<SerializedTerm>;
        if (typeof term !== 'number' || typeof key !== 'string' || typeof installTime !== 'string') {
          throw new KeyringFormatError('keyring term is malformed');
        }
        const decoded = Buffer.from(key, 'base64');
        const owned = ownedCopy(decoded);
        decoded.fill(0);
        return { term, key: owned, installTime };
      }),
    );
  }

  /** JSON with base64 keys. The caller encrypts it before it touches storage. */
  serialize(): Buffer {
    const terms: SerializedTerm[] = this.terms().map((t) => ({
      term: t.term,
      key: t.key.toString('base64'),
      install_time: t.installTime,
    }));
    return Buffer.from(JSON.stringify({ terms }), 'utf8');
  }

  get activeTerm(): KeyTerm {
    return this.active;
  }

  term(term: number): KeyTerm | undefined {
    return this.byTerm.get(term);
  }

  /** All terms, ascending. */
  terms(): KeyTerm[] {
    return [...this.byTerm.values()].sort((a, b) => a.term - b.term);
  }

  /** Add term active+1 and make it active. */
  rotate(installTime: string, key?: Buffer): KeyTerm {
    const next = this.active.term + 1;
    if (next > 0xffffffff) throw new KeyringFormatError('keyring term space exhausted');
    if (key !== undefined && key.length !== KEY_LENGTH) throw new RangeError(`keyring key must be ${KEY_LENGTH} bytes`);
    const added: KeyTerm = { term: next, key: key === undefined ? randomKey(KEY_LENGTH) : ownedCopy(key), installTime };
    this.byTerm.set(next, added);
    this.counts.set(next, 0);
    this.active = added;
    return added;
  }

  recordEncryption(term: number): void {
    this.counts.set(term, (this.counts.get(term) ?? 0) + 1);
  }

  encryptions(term: number): number {
    return this.counts.get(term) ?? 0;
  }

  /** An independent copy (own key buffers, same counters) to change without touching this one. */
  clone(): Keyring {
    const copy = new Keyring(this.terms().map((t) => ({ ...t, key: ownedCopy(t.key) })));
    for (const [term, n] of this.counts) copy.counts.set(term, n);
    return copy;
  }

  /** Overwrite every key with zeros; the keyring is unusable afterwards. */
  zero(): void {
    for (const t of this.byTerm.values()) t.key.fill(0);
  }
}
