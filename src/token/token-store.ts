/**
 * The token store: issues, finds, uses and revokes tokens. Service tokens live in local
 * storage (each cluster issues its own) under TOKEN_PREFIX, keyed by an HMAC of the token
 * with a per-cluster salt, so stored keys reveal nothing and a lookup never compares token
 * strings. Layout below the prefix:
 *   salt                       HMAC key (random, 32 bytes)
 *   batch-key                  AES key sealing batch tokens
 *   id/<idHash>                TokenEntry JSON
 *   accessor/<accessorHash>    {idHash, accessor}
 *   parent/<idHash>/<childHash>  child index, for revoking a tree
 * Roles are replicated configuration and live under TOKEN_ROLES_PREFIX (token-roles.ts); the
 * store holds that view too (`roles`) because the token backend's own mount view is elsewhere.
 */
import type { Clock } from '../clock.js';
import type { Storage } from '../logical/storage.js';
import type { BatchOp } from '../storage/physical.js';
import { StorageView } from '../logical/storage.js';
import { BadRequestError } from '../errors.js';
import { TOKEN_PREFIX, TOKEN_ROLES_PREFIX } from '../storage/keys.js';
import { KeyedMutex } from '../util/keyed-mutex.js';
import { randomBase62, randomBytes } from '../util/random.js';
import { BATCH_PREFIX, openBatchToken, sealBatchToken } from './batch-codec.js';
import { isExpired, type TokenEntry, type TokenType } from './token-entry.js';
import { SaltedHmac } from './salted-hmac.js';
import type { TokenHashMemo } from './connection-memo.js';

export type { TokenEntry } from './token-entry.js';

const SALT_KEY = 'salt';
const BATCH_KEY = 'batch-key';
/** Layout below TOKEN_PREFIX, exported for tidy (token-tidy.ts), the one reader of raw keys. */
export const ID_PREFIX = 'id/';
export const ACCESSOR_PREFIX = 'accessor/';
export const PARENT_PREFIX = 'parent/';
/** Longest token string considered at all; longer input is unknown without hashing it. */
const MAX_TOKEN_LENGTH = 4096;

/** Vault's legacy service-token shape: "s." and 24 base62 characters. */
export function generateServiceToken(): string {
  return `s.${randomBase62(24)}`;
}

/** Everything a new token is made of; TTLs are already computed (ttl.ts). */
export interface NewToken {
  readonly policies: readonly string[];
  readonly path: string;
  readonly displayName: string;
  readonly meta?: Readonly<Record<string, string>>;
  /** Seconds; 0 = never expires. */
  readonly ttl: number;
  readonly maxTTL?: number;
  readonly explicitMaxTTL?: number;
  readonly period?: number;
  readonly numUses?: number;
  readonly renewable: boolean;
  readonly type: TokenType;
  /** ID hash of the parent; absent or "" = orphan. */
  readonly parent?: string;
  readonly entityId?: string;
  readonly role?: string;
  readonly boundCidrs?: readonly string[];
  readonly mountAccessor?: string;
  /** Entity alias name asked for at creation (kept until the identity store resolves it). */
  readonly entityAlias?: string;
  /** Caller-chosen token value (root tokens, dev mode); service tokens only. */
  readonly id?: string;
}

export interface IssuedToken {
  readonly token: string;
  /** Storage key of the entry; "" for batch tokens. */
  readonly idHash: string;
  readonly entry: TokenEntry;
}

export interface FoundToken {
  readonly idHash: string;
  readonly entry: TokenEntry;
}

/** Called for every token about to be revoked (cubbyhole destruction, lease revocation). */
export type RevokeListener = (entry: TokenEntry, idHash: string) => Promise<void>;

/** Called when a stored token's expiry is set or moves (creation, renewal); 0 = never. */
export type ExpiryListener = (idHash: string, expireTime: number) => void;

export class TokenStore {
  private readonly view: StorageView;
  private salt: Buffer | undefined;
  private saltedHmac: SaltedHmac | undefined;
  private batchKey: Buffer | undefined;
  private readonly locks = new KeyedMutex();
  private readonly revokeListeners: RevokeListener[] = [];
  private readonly expiryListeners: ExpiryListener[] = [];
  /** Token roles (replicated), stored through the same barrier. */
  readonly roles: StorageView;

  constructor(
    storage: Storage,
    private readonly clock: Clock,
  ) {
    this.view = new StorageView(storage, TOKEN_PREFIX);
    this.roles = new StorageView(storage, TOKEN_ROLES_PREFIX);
  }

  /** Load or create the per-cluster keys. Called after unseal. */
  async setup(): Promise<void> {
    this.salt = await this.loadOrCreateKey(SALT_KEY);
    this.saltedHmac = new SaltedHmac(this.salt);
    this.batchKey = await this.loadOrCreateKey(BATCH_KEY);
  }

  /** Forget key material on seal. */
  teardown(): void {
    this.salt?.fill(0);
    this.saltedHmac?.zero();
    this.saltedHmac = undefined;
    this.batchKey?.fill(0);
    this.salt = undefined;
    this.batchKey = undefined;
  }

  /** The stored expiry of a token (ms, 0 = never) even when already past; undefined when gone. */
  async expiryOf(idHash: string): Promise<number | undefined> {
    return (await this.view.getJSON<TokenEntry>(ID_PREFIX + idHash))?.expireTime;
  }

  /**
   * Revoke every token an auth mount issued (the method is being disabled). A scan of the
   * stored entries: disabling a method is rare, and an index would cost every login a write.
   */
  async revokeByMount(mountAccessor: string): Promise<number> {
    let n = 0;
    for (const idHash of await this.view.list(ID_PREFIX)) {
      const entry = await this.view.getJSON<TokenEntry>(ID_PREFIX + idHash);
      if (entry?.mountAccessor !== mountAccessor) continue;
      await this.revokeTree(idHash);
      n++;
    }
    return n;
  }

  /** Every stored token that expires, for the expiration queue's restore. */
  async *expiries(): AsyncIterable<readonly [string, number]> {
    for (const idHash of await this.view.list(ID_PREFIX)) {
      const at = await this.expiryOf(idHash);
      if (at !== undefined && at > 0) yield [idHash, at] as const;
    }
  }

  onRevoke(listener: RevokeListener): void {
    this.revokeListeners.push(listener);
  }

  onExpiryChange(listener: ExpiryListener): void {
    this.expiryListeners.push(listener);
  }

  private expiryChanged(idHash: string, expireTime: number): void {
    for (const listener of this.expiryListeners) listener(idHash, expireTime);
  }

  private async loadOrCreateKey(name: string): Promise<Buffer> {
    let key = await this.view.get(name);
    if (key === undefined) {
      key = randomBytes(32);
      await this.view.put(name, key);
    }
    return key;
  }

  private hmac(kind: string, value: string): string {
    if (this.saltedHmac === undefined) throw new Error('token store is not set up');
    return this.saltedHmac.hex(kind, value);
  }

  /** Storage key of a token (exposed so callers can refer to a token without holding it). */
  idHash(token: string): string {
    return this.hmac('id', token);
  }

  async create(spec: NewToken): Promise<IssuedToken> {
    const now = this.clock.now();
    const entry: TokenEntry = {
      accessor: spec.type === 'batch' ? '' : randomBase62(24),
      policies: [...spec.policies],
      path: spec.path,
      displayName: spec.displayName,
      meta: { ...(spec.meta ?? {}) },
      creationTime: now,
      creationTTL: spec.ttl,
      expireTime: spec.ttl > 0 ? now + spec.ttl * 1000 : 0,
      explicitMaxTTL: spec.explicitMaxTTL ?? 0,
      maxTTL: spec.maxTTL ?? 0,
      period: spec.period ?? 0,
      numUses: spec.numUses ?? 0,
      renewable: spec.type === 'batch' ? false : spec.renewable,
      type: spec.type,
      orphan: (spec.parent ?? '') === '',
      parent: spec.parent ?? '',
      entityId: spec.entityId ?? '',
      role: spec.role ?? '',
      boundCidrs: [...(spec.boundCidrs ?? [])],
      lastRenewalTime: 0,
      cubbyholeId: spec.type === 'batch' ? '' : randomBase62(24),
      mountAccessor: spec.mountAccessor ?? '',
      ...(spec.entityAlias !== undefined && spec.entityAlias !== '' ? { entityAlias: spec.entityAlias } : {}),
    };
    if (spec.type === 'batch') {
      if (this.batchKey === undefined) throw new Error('token store is not set up');
      return { token: sealBatchToken(this.batchKey, entry), idHash: '', entry };
    }
    const token = spec.id ?? generateServiceToken();
    const idHash = this.idHash(token);
    if (spec.id === undefined) {
      await this.writeNew(idHash, entry);
    } else {
      // A chosen ID may collide with a live token; generated ones (143 random bits) do not.
      await this.withLock(idHash, async () => {
        if ((await this.view.get(ID_PREFIX + idHash)) !== undefined) throw new BadRequestError('cannot create a token with a duplicate ID');
        await this.writeNew(idHash, entry);
      });
    }
    this.expiryChanged(idHash, entry.expireTime);
    return { token, idHash, entry };
  }

  private async writeNew(idHash: string, entry: TokenEntry): Promise<void> {
    const ops: BatchOp[] = [
      { type: 'put', key: ID_PREFIX + idHash, value: Buffer.from(JSON.stringify(entry)) },
      { type: 'put', key: this.accessorKey(entry.accessor), value: Buffer.from(JSON.stringify({ idHash, accessor: entry.accessor })) },
    ];
    if (entry.parent !== '') ops.push({ type: 'put', key: `${PARENT_PREFIX}${entry.parent}/${idHash}`, value: Buffer.alloc(0) });
    await this.view.batch(ops);
  }

  /** Create a root token; `id` lets dev mode choose its value. */
  async createRoot(opts: { id?: string; displayName?: string } = {}): Promise<IssuedToken> {
    return this.create({
      policies: ['root'],
      path: 'auth/token/root',
      displayName: opts.displayName ?? 'root',
      ttl: 0,
      renewable: false,
      type: 'service',
      ...(opts.id !== undefined ? { id: opts.id } : {}),
    });
  }

  /** The live entry for a token, or undefined when unknown, expired or its parent is gone. */
  async lookup(token: string, memo?: TokenHashMemo): Promise<FoundToken | undefined> {
    if (token === '' || token.length > MAX_TOKEN_LENGTH) return undefined;
    if (token.startsWith(BATCH_PREFIX)) {
      if (this.batchKey === undefined) return undefined;
      const entry = openBatchToken(this.batchKey, token);
      if (entry === undefined || !(await this.alive(entry))) return undefined;
      return { idHash: '', entry };
    }
    return this.lookupHash(memo === undefined ? this.idHash(token) : this.memoizedIdHash(token, memo));
  }

  /** idHash through the client connection's memo (connection-memo.ts). */
  private memoizedIdHash(token: string, memo: TokenHashMemo): string {
    const key = this.saltedHmac;
    if (key === undefined) return this.idHash(token);
    const known = memo.get(key, token);
    if (known !== undefined) return known;
    const idHash = this.idHash(token);
    memo.set(key, token, idHash);
    return idHash;
  }

  /** As lookup, by storage key. */
  async lookupHash(idHash: string): Promise<FoundToken | undefined> {
    const entry = await this.storedEntry(idHash);
    if (entry === undefined || !(await this.alive(entry))) return undefined;
    return { idHash, entry };
  }

  async lookupAccessor(accessor: string): Promise<FoundToken | undefined> {
    if (accessor === '' || accessor.length > MAX_TOKEN_LENGTH) return undefined;
    const ref = await this.view.getJSON<{ idHash: string }>(this.accessorKey(accessor));
    return ref === undefined ? undefined : this.lookupHash(ref.idHash);
  }

  /**
   * A token is alive until it expires; a child dies with its parent (expiry included), so
   * the parent chain is checked. Chains are short and entries come from the barrier cache.
   */
  private async alive(entry: TokenEntry): Promise<boolean> {
    const now = this.clock.now();
    let current: TokenEntry | undefined = entry;
    for (let depth = 0; current !== undefined; depth++) {
      if (isExpired(current, now) || depth > 64) return false;
      if (current.parent === '') return true;
      current = await this.storedEntry(current.parent);
    }
    return false;
  }

  /**
   * A stored entry as the request path reads it: decoded once and shared (deep-frozen) while the
   * barrier's read cache holds the entry, so a hot token costs no decrypt and no parse. Every
   * write, revocation and delete of the entry, and every replication or HA invalidation of its
   * storage key, drops the shared copy with the cached bytes (src/barrier/read-cache.ts); expiry
   * is checked against the clock on every lookup.
   */
  private storedEntry(idHash: string): Promise<TokenEntry | undefined> {
    return this.view.getJSONShared<TokenEntry>(ID_PREFIX + idHash);
  }

  /** Replace a stored entry (renewal, use counting). Callers hold `withLock(idHash)`. */
  async save(idHash: string, entry: TokenEntry): Promise<void> {
    await this.view.putJSON(ID_PREFIX + idHash, entry);
    this.expiryChanged(idHash, entry.expireTime);
  }

  /** Serialise read-modify-write of one token's entry. */
  withLock<T>(idHash: string, work: () => Promise<T>): Promise<T> {
    return this.locks.run(idHash, work);
  }

  /**
   * Count one use of a limited-use token. Returns the entry after the use, `exhausted` when
   * this was its last use (the caller revokes it once the request is done), or undefined when
   * the token is no longer usable.
   */
  async use(found: FoundToken): Promise<{ entry: TokenEntry; exhausted: boolean } | undefined> {
    if (found.entry.numUses === 0 || found.idHash === '') return { entry: found.entry, exhausted: false };
    return this.withLock(found.idHash, async () => {
      const current = await this.view.getJSON<TokenEntry>(ID_PREFIX + found.idHash);
      if (current === undefined || current.numUses <= 0) return undefined;
      const next: TokenEntry = { ...current, numUses: current.numUses - 1 };
      if (next.numUses === 0) {
        // Mark spent (-1) so no concurrent request gets a use while the last one finishes.
        await this.save(found.idHash, { ...next, numUses: -1 });
        return { entry: next, exhausted: true };
      }
      await this.save(found.idHash, next);
      return { entry: next, exhausted: false };
    });
  }

  /** ID hashes of a token's direct children. */
  async children(idHash: string): Promise<string[]> {
    const keys = await this.view.list(`${PARENT_PREFIX}${idHash}/`);
    return keys.filter((k) => !k.endsWith('/'));
  }

  /** Revoke a token and every descendant, children first. Unknown tokens are a no-op. */
  async revokeTree(idHash: string): Promise<void> {
    // Depth-first, post-order, iterative so deep trees cannot overflow the stack.
    const order: string[] = [];
    const stack = [idHash];
    const seen = new Set<string>();
    while (stack.length > 0) {
      const h = stack.pop()!;
      if (seen.has(h)) continue;
      seen.add(h);
      order.push(h);
      stack.push(...(await this.children(h)));
    }
    for (let i = order.length - 1; i >= 0; i--) await this.revokeOne(order[i]!);
  }

  /** Revoke one token; its children become orphans (revoke-orphan). */
  async revokeOrphan(idHash: string): Promise<void> {
    for (const child of await this.children(idHash)) {
      await this.withLock(child, async () => {
        const entry = await this.view.getJSON<TokenEntry>(ID_PREFIX + child);
        if (entry !== undefined) await this.save(child, { ...entry, parent: '', orphan: true });
      });
    }
    await this.revokeOne(idHash);
  }

  private async revokeOne(idHash: string): Promise<void> {
    const entry = await this.view.getJSON<TokenEntry>(ID_PREFIX + idHash);
    if (entry === undefined) return;
    for (const listener of this.revokeListeners) await listener(entry, idHash);
    const ops: BatchOp[] = [
      { type: 'delete', key: ID_PREFIX + idHash },
      { type: 'delete', key: this.accessorKey(entry.accessor) },
    ];
    if (entry.parent !== '') ops.push({ type: 'delete', key: `${PARENT_PREFIX}${entry.parent}/${idHash}` });
    // Children were revoked first (tree) or re-parented (orphan); drop their index entries.
    for (const child of await this.children(idHash)) ops.push({ type: 'delete', key: `${PARENT_PREFIX}${idHash}/${child}` });
    await this.view.batch(ops);
  }

  /** Every live token's accessor (LIST auth/token/accessors). */
  async listAccessors(): Promise<string[]> {
    const out: string[] = [];
    for (const key of await this.view.list(ACCESSOR_PREFIX)) {
      const ref = await this.view.getJSON<{ accessor: string }>(ACCESSOR_PREFIX + key);
      if (ref !== undefined) out.push(ref.accessor);
    }
    return out.sort();
  }

  private accessorKey(accessor: string): string {
    return ACCESSOR_PREFIX + this.hmac('accessor', accessor);
  }

  /** Raw storage view for tidy (token-tidy.ts). */
  get storage(): StorageView {
    return this.view;
  }
}
