/**
 * Response-wrapping tokens and what they guard. A wrapping token is an orphan service token
 * with the single policy `response-wrapping`, one use, and TTL = explicit max TTL = the wrap
 * TTL. The wrapped response (Vault's rendered envelope, as a JSON string) and the facts that
 * sys/wrapping/lookup reports live in the token's own cubbyhole:
 *   <cubbyholeId>/response   {"response": "<envelope JSON>"}
 *   <cubbyholeId>/wrapinfo   {"creation_ttl": s, "creation_time": RFC3339, "creation_path": p}
 * so the barrier encrypts them like any secret, they are local storage, and revoking the token
 * (single use spent, or expiry tidied) destroys them through the cubbyhole revoke hook.
 */
import { BadRequestError, InternalError } from '../errors.js';
import { formatTime } from '../framework/index.js';
import type { WrapInfo } from '../logical/request.js';
import type { StorageView } from '../logical/storage.js';
import { RESPONSE_WRAPPING_POLICY_NAME } from '../policy/builtin.js';
import type { TokenEntry } from '../token/token-entry.js';
import type { FoundToken, TokenStore } from '../token/token-store.js';
import { cubbyholePrefix } from '../engines/cubbyhole/backend.js';

/** Vault's answer for an unknown, expired, spent or non-wrapping token. */
export const INVALID_WRAPPING_TOKEN = 'wrapping token is not valid or does not exist';

export function invalidWrappingToken(): BadRequestError {
  return new BadRequestError(INVALID_WRAPPING_TOKEN);
}

/** Cubbyhole keys of a wrapping token (Vault's names, so `cubbyhole/response` reads work too). */
export const RESPONSE_KEY = 'response';
export const WRAPINFO_KEY = 'wrapinfo';

/** What sys/wrapping/lookup reports, as stored. */
export interface StoredWrapInfo {
  /** Seconds. */
  readonly creation_ttl: number;
  readonly creation_time: string;
  readonly creation_path: string;
}

export interface StoredWrapping {
  /** The wrapped response exactly as it will be returned: a JSON document. */
  readonly response: string;
  readonly info: StoredWrapInfo;
}

export interface NewWrapping {
  /** Seconds, > 0. */
  readonly ttl: number;
  readonly creationPath: string;
  readonly response: string;
  /** Accessor of the token (or AppRole secret ID) inside the response, if any. */
  readonly wrappedAccessor?: string;
}

/** Whether an entry is a usable wrapping token: the one policy, and its single use unspent. */
export function isWrappingEntry(entry: TokenEntry): boolean {
  return (
    entry.type === 'service' &&
    entry.policies.length === 1 &&
    entry.policies[0] === RESPONSE_WRAPPING_POLICY_NAME &&
    entry.numUses > 0
  );
}

export class ResponseWrapping {
  constructor(
    private readonly tokens: TokenStore,
    /** The cubbyhole mount's storage; only available while unsealed. */
    private readonly cubbyholes: () => StorageView,
  ) {}

  /** Issue a wrapping token and store the response in its cubbyhole. */
  async wrap(spec: NewWrapping): Promise<WrapInfo> {
    if (!Number.isInteger(spec.ttl) || spec.ttl <= 0) throw new Error(`invalid wrap ttl ${spec.ttl}`);
    const issued = await this.tokens.create({
      policies: [RESPONSE_WRAPPING_POLICY_NAME],
      path: spec.creationPath,
      displayName: '',
      ttl: spec.ttl,
      explicitMaxTTL: spec.ttl,
      numUses: 1,
      renewable: false,
      type: 'service',
    });
    // The token store's (injected) clock stamped the entry; the wrap info reports the same instant.
    const creationTime = formatTime(issued.entry.creationTime);
    const info: StoredWrapInfo = { creation_ttl: spec.ttl, creation_time: creationTime, creation_path: spec.creationPath };
    try {
      // One batch: a wrapping token never exists with half of its contents.
      await this.cubbyholeOf(issued.entry.cubbyholeId).batch([
        { type: 'put', key: RESPONSE_KEY, value: json({ response: spec.response }) },
        { type: 'put', key: WRAPINFO_KEY, value: json(info) },
      ]);
    } catch (err) {
      await this.tokens.revokeTree(issued.idHash);
      throw err;
    }
    return {
      token: issued.token,
      accessor: issued.entry.accessor,
      ttl: spec.ttl,
      creationTime,
      creationPath: spec.creationPath,
      ...(spec.wrappedAccessor !== undefined && spec.wrappedAccessor !== '' ? { wrappedAccessor: spec.wrappedAccessor } : {}),
    };
  }

  /** The token if it is a live, unspent wrapping token; never counts a use. */
  async find(token: string): Promise<FoundToken | undefined> {
    const found = await this.tokens.lookup(token);
    return found !== undefined && isWrappingEntry(found.entry) ? found : undefined;
  }

  /** sys/wrapping/lookup: the creation facts, without using the token. */
  async lookup(token: string): Promise<StoredWrapInfo> {
    const found = await this.find(token);
    if (found === undefined) throw invalidWrappingToken();
    const info = await this.cubbyholeOf(found.entry.cubbyholeId).getJSON<StoredWrapInfo>(WRAPINFO_KEY);
    if (info === undefined) throw invalidWrappingToken();
    return info;
  }

  /**
   * Redeem a wrapping token presented by someone else (the `token` body field): spend its
   * single use (so exactly one of any concurrent redeemers gets here), hand the contents to
   * `use`, then revoke the token, which destroys its cubbyhole.
   */
  async redeem<T>(token: string, use: (stored: StoredWrapping) => Promise<T>): Promise<T> {
    const found = await this.find(token);
    if (found === undefined) throw invalidWrappingToken();
    const used = await this.tokens.use(found);
    if (used === undefined) throw invalidWrappingToken();
    try {
      return await use(await this.read(found.entry.cubbyholeId));
    } finally {
      await this.tokens.revokeTree(found.idHash);
    }
  }

  /**
   * The contents for a caller whose own token is the wrapping token: the token step already
   * spent its use and the pipeline revokes it once the request is done.
   */
  readOwn(cubbyholeId: string): Promise<StoredWrapping> {
    return this.read(cubbyholeId);
  }

  private async read(cubbyholeId: string): Promise<StoredWrapping> {
    const view = this.cubbyholeOf(cubbyholeId);
    const stored = await view.getJSON<{ response?: unknown }>(RESPONSE_KEY);
    const info = await view.getJSON<StoredWrapInfo>(WRAPINFO_KEY);
    if (stored === undefined || info === undefined) {
      throw new InternalError('no information found; wrapping token may be from a previous Vault version');
    }
    if (typeof stored.response !== 'string') throw new InternalError('could not decode response inside the cubbyhole');
    return { response: stored.response, info };
  }

  private cubbyholeOf(cubbyholeId: string): StorageView {
    return this.cubbyholes().sub(cubbyholePrefix(cubbyholeId));
  }
}

function json(value: unknown): Buffer {
  return Buffer.from(JSON.stringify(value), 'utf8');
}
