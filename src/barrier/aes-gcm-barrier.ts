/**
 * The security barrier: a Storage decorator over an untrusted Physical. Every value that passes
 * through is sealed with AES-256-GCM under the keyring's active term, with the storage key as
 * additional authenticated data. While sealed no key material is in memory and every Storage
 * method throws SealedError.
 *
 * Entry format: [4-byte big-endian term][1-byte version = 1][12-byte nonce][ciphertext][16-byte tag].
 * The keyring itself lives at BARRIER_KEYRING as a box (no term prefix) under the root key.
 */
import { timingSafeEqual } from 'node:crypto';
import { systemClock, type Clock } from '../clock.js';
import { SealedError } from '../errors.js';
import { type Decoder, type SharedDecoded, type Storage, isUncached, sharedOf } from '../logical/storage.js';
import type { BatchOp, Physical } from '../storage/physical.js';
import { BARRIER_CANARY, BARRIER_KEYRING, SEAL_CONFIG, SEAL_ROOT_KEY } from '../storage/keys.js';
import { DecryptionError, KEY_LENGTH, decryptWith, encryptWith } from './aead.js';
import { TERM_LENGTH, sealEntry } from './entry.js';
import { ownedCopy } from './bytes.js';
import { AlreadyInitializedError, BarrierIntegrityError, InvalidRootKeyError, NotInitializedError, ReservedKeyError } from './errors.js';
import { Keyring } from './keyring.js';
import { SerialQueue } from '../util/serial-queue.js';
import { SealThread } from './seal-thread.js';
import { DEFAULT_READ_CACHE_LIMITS, ReadCache, cacheCopy, type ReadCacheLimits, type ReadCacheStats } from './read-cache.js';

export { encryptWith, decryptWith } from './aead.js';

/**
 * Batches in flight from which on entries are sealed in the sealing thread: with this many
 * writes waiting for the disk, the thread's round trip adds nothing a client can see, and the
 * event loop gets the time back. Fewer, and each write seals inline (no added latency).
 */
const OFFLOAD_WRITES_IN_FLIGHT = 16;
/** Fixed plaintext of the canary; proving we can open it proves the keyring matches this storage. */
const CANARY_PLAINTEXT = Buffer.from('arca barrier canary v1', 'utf8');

/** Keys only the seal and barrier touch, directly on the Physical. */
export const RESERVED_KEYS: ReadonlySet<string> = new Set([SEAL_CONFIG, SEAL_ROOT_KEY, BARRIER_KEYRING, BARRIER_CANARY]);

export interface KeyStatus {
  readonly term: number;
  readonly installTime: string;
  /** Encryptions under the active term by this process since unseal or rotation. */
  readonly encryptions: number;
}

interface Unsealed {
  readonly rootKey: Buffer;
  keyring: Keyring;
}

export class AesGcmBarrier implements Storage {
  private state: Unsealed | undefined;
  private readonly rotations = new SerialQueue();
  private readonly cache: ReadCache;
  private readonly sealThread = new SealThread();
  /** Batches between their call and the end of their physical write. */
  private writesInFlight = 0;
  /** Batches whose entries the sealing thread has not handed back yet. */
  private sealingInThread = 0;

  constructor(
    private readonly physical: Physical,
    private readonly clock: Clock = systemClock,
    cacheLimits: ReadCacheLimits = DEFAULT_READ_CACHE_LIMITS,
  ) {
    this.cache = new ReadCache(cacheLimits);
  }

  get sealed(): boolean {
    return this.state === undefined;
  }

  async initialized(): Promise<boolean> {
    return (await this.physical.get(BARRIER_KEYRING)) !== undefined;
  }

  /**
   * Create term 1, store the keyring under the root key and the canary under term 1. `extraOps`
   * (the seal's config and stored root key) are written in the same atomic batch, so storage is
   * either fully initialised or untouched. The barrier stays sealed; call unseal next.
   */
  async initialize(rootKey: Buffer, extraOps: readonly BatchOp[] = []): Promise<void> {
    checkRootKey(rootKey);
    if (await this.initialized()) throw new AlreadyInitializedError();
    const keyring = Keyring.create(this.now());
    try {
      const term = keyring.activeTerm;
      const ops: BatchOp[] = [
        ...extraOps,
        { type: 'put', key: BARRIER_KEYRING, value: encryptWith(rootKey, BARRIER_KEYRING, keyring.serialize()) },
        { type: 'put', key: BARRIER_CANARY, value: sealEntry(term.term, term.key, BARRIER_CANARY, CANARY_PLAINTEXT) },
      ];
      await this.physical.batch(ops);
    } finally {
      keyring.zero();
    }
  }

  /** Open the keyring with the root key and prove it against the canary. No-op when already unsealed. */
  async unseal(rootKey: Buffer): Promise<void> {
    checkRootKey(rootKey);
    if (this.state !== undefined) return;
    const keyring = await this.readKeyring(rootKey);
    try {
      await this.checkCanary(keyring);
    } catch (err) {
      keyring.zero();
      throw err;
    }
    // A concurrent unseal may have won while we awaited; keep its state, drop ours.
    if (this.state !== undefined) {
      keyring.zero();
      return;
    }
    this.state = { rootKey: ownedCopy(rootKey), keyring };
  }

  /** Zero and drop every key held in memory. */
  seal(): void {
    const state = this.state;
    if (state === undefined) return;
    this.state = undefined;
    this.sealThread.forget();
    this.cache.clear();
    state.keyring.zero();
    state.rootKey.fill(0);
  }

  /** Add a term and persist the keyring; new writes use it, older terms stay readable. */
  rotate(): Promise<{ term: number; installTime: string }> {
    return this.rotations.run(async () => {
      const state = this.unsealed();
      const next = state.keyring.clone();
      const added = next.rotate(this.now());
      try {
        await this.physical.put(BARRIER_KEYRING, encryptWith(state.rootKey, BARRIER_KEYRING, next.serialize()));
      } catch (err) {
        next.zero();
        throw err;
      }
      if (this.state !== state) {
        // Sealed while persisting: the new term is stored and will load at the next unseal.
        next.zero();
        throw new SealedError();
      }
      const previous = state.keyring;
      state.keyring = next;
      previous.zero();
      return { term: added.term, installTime: added.installTime };
    });
  }

  keyStatus(): KeyStatus {
    const { keyring } = this.unsealed();
    const active = keyring.activeTerm;
    return { term: active.term, installTime: active.installTime, encryptions: keyring.encryptions(active.term) };
  }

  async get(key: string): Promise<Buffer | undefined> {
    this.unsealed();
    checkNotReserved(key);
    const cached = this.cache.get(key);
    if (cached !== undefined) return cached ?? undefined;
    const ticket = this.cache.ticket(key);
    // null: absent (cached too: engines read keys that are often missing); undefined: the read failed.
    let plain: Buffer | null | undefined;
    try {
      const raw = await this.physical.get(key);
      plain = raw === undefined ? null : this.decryptEntry(key, raw);
    } finally {
      this.cache.fill(ticket, plain);
    }
    return plain ?? undefined;
  }

  /**
   * `get` for readers that only look: the value `decode` makes of the entry, decoded once and
   * shared while the entry stays cached (read-cache.ts), so treat it as read-only.
   */
  async getDecoded<T>(key: string, decode: Decoder<T>): Promise<T | undefined> {
    this.unsealed();
    checkNotReserved(key);
    const cached = this.cache.getDecoded(key, decode);
    if (cached !== undefined) return cached ?? undefined;
    const plain = await this.get(key);
    if (plain === undefined) return undefined;
    // Usually cached by the read just done; not when a write overtook it.
    const filled = this.cache.decodedAfterFill(key, decode);
    return filled === undefined || filled === null ? decode(plain) : filled;
  }

  async put(key: string, value: Buffer): Promise<void> {
    return this.write([{ type: 'put', key, value }], (sealed) => this.physical.put(key, (sealed[0] as { value: Buffer }).value));
  }

  async delete(key: string): Promise<void> {
    return this.write([{ type: 'delete', key }], () => this.physical.delete(key));
  }

  /** Forget cached plaintext of keys written below the barrier (replication applies WAL entries there). */
  invalidate(keys: Iterable<string>): void {
    this.cache.invalidate(keys);
  }

  /** Forget every cached plaintext (an HA node changing role: another node may have written anything). */
  clearCache(): void {
    this.cache.clear();
  }

  /** The read cache's counts since start (vault.cache.* metrics). */
  get cacheStats(): Readonly<ReadCacheStats> {
    return this.cache.stats;
  }

  /**
   * Re-read the keyring from storage under the root key held since unseal: another writer (a
   * replication primary, the previous HA active node) may have rotated it. Serialised with rotate().
   */
  reloadKeyring(): Promise<void> {
    return this.rotations.run(async () => {
      const state = this.unsealed();
      const next = await this.readKeyring(state.rootKey);
      if (this.state !== state) {
        next.zero();
        throw new SealedError();
      }
      const previous = state.keyring;
      state.keyring = next;
      previous.zero();
    });
  }

  /** Keys are not encrypted, so listing passes through (still refused while sealed). */
  async list(prefix: string): Promise<string[]> {
    this.unsealed();
    return this.physical.list(prefix);
  }

  /** Encrypt every put and hand the whole set to the physical store as one atomic batch. */
  async batch(ops: readonly BatchOp[]): Promise<void> {
    return this.write(ops, (sealed) => this.physical.batch(sealed));
  }

  private async write(ops: readonly BatchOp[], store: (sealed: readonly BatchOp[]) => Promise<void>): Promise<void> {
    this.unsealed();
    for (const op of ops) checkNotReserved(op.key);
    const keys: string[] = [];
    // The plaintext as of this call (the caller may reuse its buffers), cached once durable.
    const written: (Buffer | null)[] = [];
    // Decoded values a writer handed over with its bytes (sharedPut), cached with them.
    let shared: (SharedDecoded | undefined)[] | undefined;
    for (const op of ops) {
      keys.push(op.key);
      const decoded = sharedOf(op);
      if (decoded !== undefined) (shared ??= new Array<SharedDecoded | undefined>(ops.length))[keys.length - 1] = decoded;
      // A sharedPut's or uncachedPut's bytes are handed over (zeroed once written). Other puts
      // are copied: a copy the cache keeps gets memory of its own, not a slice of node's pool.
      written.push(op.type !== 'put' ? null : decoded !== undefined || isUncached(op) ? op.value : cacheCopy(op.value));
    }
    // What the cache may keep: every plaintext but an uncachedPut's, and no absence for an
    // uncachedDelete (undefined: the key is only dropped).
    const cached = ops.some(isUncached) ? written.map((value, i) => (isUncached(ops[i] as BatchOp) ? undefined : value)) : written;
    this.writesInFlight++;
    try {
      await this.cache.write(keys, () => this.sealThenWrite(ops, written, store), cached, shared);
    } finally {
      this.writesInFlight--;
      // The copies the cache was not given were only needed until sealed.
      if (cached !== written) written.forEach((value, i) => cached[i] === undefined && value?.fill(0));
    }
  }

  /**
   * Seal the puts (in the sealing thread under load, see seal-thread.ts) and write. Physical
   * writes start in the order their batches were called: once one batch is sealing in the
   * thread, every later one goes there too until all have been handed on, and the thread
   * answers in order.
   */
  private async sealThenWrite(
    ops: readonly BatchOp[],
    plaintexts: readonly (Buffer | null)[],
    store: (sealed: readonly BatchOp[]) => Promise<void>,
  ): Promise<void> {
    const offload = this.sealThread.usable && (this.sealingInThread > 0 || this.writesInFlight >= OFFLOAD_WRITES_IN_FLIGHT);
    if (!offload) return store(this.sealInline(ops, plaintexts));
    const { keyring } = this.unsealed();
    const term = keyring.activeTerm;
    const items: { key: string; plaintext: Buffer }[] = [];
    ops.forEach((op, i) => {
      const plaintext = plaintexts[i];
      if (op.type === 'put' && plaintext !== null && plaintext !== undefined) {
        items.push({ key: op.key, plaintext });
        keyring.recordEncryption(term.term);
      }
    });
    this.sealingInThread++;
    let entries: Buffer[] | undefined;
    try {
      entries = await this.sealThread.seal(term.term, term.key, items);
    } catch {
      // The thread failed (it is not used again): seal here instead.
    } finally {
      this.sealingInThread--;
    }
    // (From the copies taken at the call: the caller may have reused its buffers by now.)
    if (entries === undefined) return store(this.sealInline(ops, plaintexts));
    // Sealed while the thread worked: nothing may be written any more.
    this.unsealed();
    let next = 0;
    const sealed = ops.map((op): BatchOp => (op.type === 'put' ? { type: 'put', key: op.key, value: entries[next++] as Buffer } : op));
    return store(sealed);
  }

  private sealInline(ops: readonly BatchOp[], plaintexts: readonly (Buffer | null)[]): BatchOp[] {
    return ops.map((op, i): BatchOp => (op.type === 'put' ? { type: 'put', key: op.key, value: this.encryptEntry(op.key, plaintexts[i] ?? op.value) } : op));
  }

  private encryptEntry(key: string, value: Buffer): Buffer {
    const { keyring } = this.unsealed();
    const term = keyring.activeTerm;
    const entry = sealEntry(term.term, term.key, key, value);
    keyring.recordEncryption(term.term);
    return entry;
  }

  private decryptEntry(key: string, raw: Buffer): Buffer {
    // Re-check: the barrier may have been sealed while the physical read was in flight.
    const { keyring } = this.unsealed();
    return openEntry(keyring, key, raw);
  }

  /** The stored keyring opened with `rootKey`; a wrong key is InvalidRootKeyError. The plaintext is zeroed. */
  private async readKeyring(rootKey: Buffer): Promise<Keyring> {
    const box = await this.physical.get(BARRIER_KEYRING);
    if (box === undefined) throw new NotInitializedError();
    let plain: Buffer;
    try {
      plain = decryptWith(rootKey, BARRIER_KEYRING, box);
    } catch (err) {
      if (err instanceof DecryptionError) throw new InvalidRootKeyError();
      throw err;
    }
    try {
      return Keyring.deserialize(plain);
    } finally {
      plain.fill(0);
    }
  }

  private async checkCanary(keyring: Keyring): Promise<void> {
    const raw = await this.physical.get(BARRIER_CANARY);
    if (raw === undefined) throw new BarrierIntegrityError(BARRIER_CANARY, 'canary is missing');
    const plain = openEntry(keyring, BARRIER_CANARY, raw);
    const ok = plain.length === CANARY_PLAINTEXT.length && timingSafeEqual(plain, CANARY_PLAINTEXT);
    if (!ok) throw new BarrierIntegrityError(BARRIER_CANARY, 'canary does not match');
  }

  private unsealed(): Unsealed {
    if (this.state === undefined) throw new SealedError();
    return this.state;
  }

  private now(): string {
    return new Date(this.clock.now()).toISOString();
  }
}

function openEntry(keyring: Keyring, storageKey: string, raw: Buffer): Buffer {
  if (raw.length < TERM_LENGTH) throw new BarrierIntegrityError(storageKey, 'entry too short');
  const termNumber = raw.readUInt32BE(0);
  const term = keyring.term(termNumber);
  if (term === undefined) throw new BarrierIntegrityError(storageKey, `unknown key term ${termNumber}`);
  try {
    return decryptWith(term.key, storageKey, raw.subarray(TERM_LENGTH));
  } catch (err) {
    if (err instanceof DecryptionError) throw new BarrierIntegrityError(storageKey, err.message);
    throw err;
  }
}

function checkRootKey(rootKey: Buffer): void {
  if (rootKey.length !== KEY_LENGTH) throw new RangeError(`root key must be ${KEY_LENGTH} bytes`);
}

/** Longer keys cannot be reserved: they skip the set lookup (this runs on every storage call). */
const MAX_RESERVED_LENGTH = Math.max(...[...RESERVED_KEYS].map((k) => k.length));

function checkNotReserved(key: string): void {
  if (key.length <= MAX_RESERVED_LENGTH && RESERVED_KEYS.has(key)) throw new ReservedKeyError(key);
}
