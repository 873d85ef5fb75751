/**
 * The token store: issues and looks up tokens. Tokens live in local storage (each cluster
 * issues its own) under TOKEN_PREFIX, keyed by an HMAC of the token so neither the raw token
 * nor a plain hash of it is stored, and lookups never compare secrets as strings.
 *
 * This is the core of issue 2 (root tokens); the full token store (children, TTLs, roles,
 * accessors API) builds on the same layout.
 */
import { createHmac } from 'node:crypto';
import type { Clock } from '../clock.js';
import type { Storage } from '../logical/storage.js';
import { StorageView } from '../logical/storage.js';
import { TOKEN_PREFIX } from '../storage/keys.js';
import { randomBase62, randomBytes } from '../util/random.js';

/** What is stored per token. Times in ms since epoch; durations in seconds. */
export interface TokenEntry {
  readonly accessor: string;
  readonly policies: readonly string[];
  readonly path: string;
  readonly displayName: string;
  readonly meta: Readonly<Record<string, string>>;
  readonly creationTime: number;
  readonly ttl: number;
  readonly type: 'service' | 'batch';
  readonly orphan: boolean;
  readonly entityId: string;
}

const SALT_KEY = 'salt';
const ID_PREFIX = 'id/';
const ACCESSOR_PREFIX = 'accessor/';

/** Vault's legacy service-token shape: "s." and 24 base62 characters. */
export function generateServiceToken(): string {
  return `s.${randomBase62(24)}`;
}

export class TokenStore {
  private readonly view: StorageView;
  private salt: Buffer | undefined;

  constructor(
    storage: Storage,
    private readonly clock: Clock,
  ) {
    this.view = new StorageView(storage, TOKEN_PREFIX);
  }

  /** Load or create the per-cluster HMAC salt. Called after unseal. */
  async setup(): Promise<void> {
    let salt = await this.view.get(SALT_KEY);
    if (salt === undefined) {
      salt = randomBytes(32);
      await this.view.put(SALT_KEY, salt);
    }
    this.salt = salt;
  }

  /** Forget the salt on seal. */
  teardown(): void {
    this.salt?.fill(0);
    this.salt = undefined;
  }

  private hash(kind: string, value: string): string {
    if (this.salt === undefined) throw new Error('token store is not set up');
    return createHmac('sha256', this.salt).update(kind).update('\0').update(value).digest('hex');
  }

  /** Create a root token; `id` lets dev mode and generate-root choose nothing else but the value. */
  async createRoot(opts: { id?: string; displayName?: string } = {}): Promise<{ token: string; entry: TokenEntry }> {
    const token = opts.id ?? generateServiceToken();
    const entry: TokenEntry = {
      accessor: randomBase62(24),
      policies: ['root'],
      path: 'auth/token/root',
      displayName: opts.displayName ?? 'root',
      meta: {},
      creationTime: this.clock.now(),
      ttl: 0,
      type: 'service',
      orphan: true,
      entityId: '',
    };
    await this.view.batch([
      { type: 'put', key: ID_PREFIX + this.hash('id', token), value: Buffer.from(JSON.stringify(entry)) },
      { type: 'put', key: ACCESSOR_PREFIX + this.hash('accessor', entry.accessor), value: Buffer.from(this.hash('id', token)) },
    ]);
    return { token, entry };
  }

  /** The entry for a token, or undefined when unknown or expired. */
  async lookup(token: string): Promise<TokenEntry | undefined> {
    if (token === '' || token.length > 512) return undefined;
    const entry = await this.view.getJSON<TokenEntry>(ID_PREFIX + this.hash('id', token));
    if (entry === undefined) return undefined;
    if (entry.ttl > 0 && entry.creationTime + entry.ttl * 1000 <= this.clock.now()) return undefined;
    return entry;
  }

  async revoke(token: string): Promise<void> {
    const entry = await this.lookup(token);
    if (entry === undefined) return;
    await this.view.batch([
      { type: 'delete', key: ID_PREFIX + this.hash('id', token) },
      { type: 'delete', key: ACCESSOR_PREFIX + this.hash('accessor', entry.accessor) },
    ]);
  }
}
