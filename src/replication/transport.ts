/**
 * The contract between a secondary and its primary: a small set of idempotent RPCs. The
 * secondary drives everything through a PrimaryLink (framed RPCs over mutual TLS in production,
 * frame-rpc.ts; the simulated link of sim-transport.ts in tests); the primary answers through an
 * RpcHandler. Every request
 * names its own position (the WAL index, the Merkle page, the keys), so a lost, repeated, late or
 * reordered message can never make a secondary apply the wrong thing.
 *
 * Wire form: JSON. Ciphertext and other bytes travel as base64 strings.
 */

/** The secondary making a call, as proven by its client certificate (cluster-tls.ts). */
export interface PeerIdentity {
  /** The id given to `performance/primary/secondary-token`. */
  readonly secondaryId: string;
}

/** One operation of a WAL entry: exactly the bytes the primary's physical store holds. */
export type WalOp =
  | { readonly type: 'put'; readonly key: string; /** base64 barrier ciphertext */ readonly value: string }
  | { readonly type: 'delete'; readonly key: string };

/**
 * One committed physical write of replicated keys on the primary. Indexes are dense: a write
 * that failed leaves an entry with no ops.
 */
export interface WalEntry {
  readonly index: number;
  /** Primary clock (ms since the epoch) when the write was submitted. */
  readonly time: number;
  readonly ops: readonly WalOp[];
}

/** Where the primary stands; carried by every wal.fetch answer so both sides can report lag. */
export interface PrimaryPosition {
  /** Highest index the primary will serve (its committed watermark). */
  readonly primaryLast: number;
  /** Primary clock at the time of the answer (ms since the epoch). */
  readonly primaryTime: number;
  /**
   * Identifies the primary's log. A new log (replication re-enabled, a promoted secondary) has a
   * new epoch; indexes of different epochs are unrelated, so a mismatch forces a Merkle catch-up.
   */
  readonly epoch: string;
}

export interface WalFetchRequest {
  /**
   * Entries strictly after this index are wanted: the last one the secondary received (it fetches
   * the next batch while applying the previous one). Also the acknowledgement when `applied` is absent.
   */
  readonly after: number;
  /** The secondary's applied index (<= after), reported as its acknowledged position. */
  readonly applied?: number;
  /** Most entries wanted (the primary may send fewer). */
  readonly max: number;
  /** Long-poll: wait up to this long for a new entry when there is none (0 = answer at once). */
  readonly waitMs: number;
  /** The epoch `after` belongs to; '' when the secondary has none yet. */
  readonly epoch: string;
}

export type WalFetchResponse =
  | (PrimaryPosition & { readonly needMerkle?: false; readonly entries: readonly WalEntry[] })
  /** `after` is older than the retained log, or of another epoch: catch up by Merkle diff. */
  | (PrimaryPosition & { readonly needMerkle: true });

export interface MerkleRootResponse {
  readonly root: string;
  /** 256 page hashes, hex. */
  readonly pages: readonly string[];
  /** The primary's committed index when the snapshot was taken: stream from here after the sync. */
  readonly resumeIndex: number;
  readonly epoch: string;
}

export interface MerkleSubpagesRequest {
  readonly page: number;
}
export interface MerkleSubpagesResponse {
  /** Echo of the request, so a misdelivered answer is recognised. */
  readonly page: number;
  /** 256 subpage hashes, hex. */
  readonly subpages: readonly string[];
}

export interface MerkleLeavesRequest {
  readonly page: number;
  /** Omitted: every leaf of the page (one call instead of up to 256 for a fresh secondary). */
  readonly subpage?: number;
}
export interface MerkleLeavesResponse {
  readonly page: number;
  readonly subpage?: number;
  /** [key, leaf hash hex], sorted by key. */
  readonly leaves: readonly (readonly [string, string])[];
}

export interface KvFetchRequest {
  readonly keys: readonly string[];
}
export interface KvFetchResponse {
  /** [key, base64 ciphertext | null (absent or not replicated to this peer)], one per requested key. */
  readonly values: readonly (readonly [string, string | null])[];
}

/**
 * Forwarded request (forwarding.ts, not built yet): the internal Request without the client
 * token, and the caller's authentication context. Typed loosely until that module exists.
 */
export interface ForwardRequest {
  readonly request: Readonly<Record<string, unknown>>;
  readonly auth: Readonly<Record<string, unknown>>;
}
export interface ForwardResponse {
  readonly response: Readonly<Record<string, unknown>> | null;
  /** The primary's WAL index after the write; the secondary waits until it has applied it. */
  readonly index: number;
}

export interface EnsureAliasRequest {
  readonly mountAccessor: string;
  readonly name: string;
  readonly metadata: Readonly<Record<string, string>>;
}
export interface EnsureAliasResponse {
  readonly entityId: string;
  readonly aliasId: string;
  readonly index: number;
}

/** What a newly activated secondary adopts from its primary (activation.ts). */
export type ActivateRequest = Readonly<Record<string, never>>;
export interface ActivateResponse {
  /** base64 of the stored keyring box (encrypted under the root key). */
  readonly keyring: string;
  /** The plaintext seal configuration JSON, as stored. */
  readonly sealConfig: string;
  /** base64 of the stored root key box (encrypted under the unseal key). */
  readonly sealRootKey: string;
  /** base64 of the barrier canary (encrypted under the keyring), so the adopted keyring unseals. */
  readonly canary: string;
  readonly clusterId: string;
}

export interface RpcRequest {
  'wal.fetch': WalFetchRequest;
  'merkle.root': Readonly<Record<string, never>>;
  'merkle.subpages': MerkleSubpagesRequest;
  'merkle.leaves': MerkleLeavesRequest;
  'kv.fetch': KvFetchRequest;
  forward: ForwardRequest;
  'identity.ensure-alias': EnsureAliasRequest;
  activate: ActivateRequest;
}

export interface RpcResponse {
  'wal.fetch': WalFetchResponse;
  'merkle.root': MerkleRootResponse;
  'merkle.subpages': MerkleSubpagesResponse;
  'merkle.leaves': MerkleLeavesResponse;
  'kv.fetch': KvFetchResponse;
  forward: ForwardResponse;
  'identity.ensure-alias': EnsureAliasResponse;
  activate: ActivateResponse;
}

export type RpcMethod = keyof RpcRequest;

export const RPC_METHODS: readonly RpcMethod[] = [
  'wal.fetch',
  'merkle.root',
  'merkle.subpages',
  'merkle.leaves',
  'kv.fetch',
  'forward',
  'identity.ensure-alias',
  'activate',
];

export function isRpcMethod(s: string): s is RpcMethod {
  return (RPC_METHODS as readonly string[]).includes(s);
}

/** The secondary's end of the channel. */
export interface PrimaryLink {
  /**
   * Call a method on the primary. Rejects with RpcError: `unavailable` for anything the
   * transport could not deliver or whose answer did not arrive in time (the caller retries with
   * backoff), or the code the primary's handler raised.
   */
  call<M extends RpcMethod>(method: M, body: RpcRequest[M]): Promise<RpcResponse[M]>;
  /** Drop the connection; calls in flight reject. Idempotent. */
  close(): void;
}

/** A handler for one method (extra methods such as `activate` and `forward` register one). */
export type MethodHandler<M extends RpcMethod> = (peer: PeerIdentity, body: RpcRequest[M]) => Promise<RpcResponse[M]>;

/** The primary's end. `body` is untrusted JSON: the handler validates it. */
export interface RpcHandler {
  handle(peer: PeerIdentity, method: RpcMethod, body: unknown): Promise<unknown>;
}

/**
 * Error codes crossing the channel. The cluster listener maps them to HTTP statuses and the
 * link rebuilds the RpcError from the body `{ "error": { "code", "message" } }`.
 */
export type RpcErrorCode =
  /** Malformed request (400). */
  | 'bad-request'
  /** This node is not (or no longer) a primary, or the peer is unknown or revoked (403). */
  | 'forbidden'
  /** No such method here (404). */
  | 'unknown-method'
  /** Not delivered, timed out, or the primary cannot serve right now (503); retry. */
  | 'unavailable'
  /** Anything else (500); the message is safe to log, never secret. */
  | 'internal';

export const RPC_ERROR_STATUS: Readonly<Record<RpcErrorCode, number>> = {
  'bad-request': 400,
  forbidden: 403,
  'unknown-method': 404,
  unavailable: 503,
  internal: 500,
};

export class RpcError extends Error {
  constructor(
    readonly code: RpcErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'RpcError';
  }

  get status(): number {
    return RPC_ERROR_STATUS[this.code];
  }
}
