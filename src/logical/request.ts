import type { TokenHashMemo } from '../token/connection-memo.js';
/**
 * The internal Request/Response the core speaks. The HTTP shell builds a Request and renders a
 * Response; nothing below the shell knows about HTTP. The same Request is what a standby
 * forwards to its active node and a secondary to its primary, so it stays plain data.
 */

export type Operation =
  | 'read'
  | 'create'
  | 'update'
  | 'patch'
  | 'delete'
  | 'list'
  | 'help'
  /** Lease operations the expiration manager sends to a backend. */
  | 'renew'
  | 'revoke';

/** Who is calling, as established by the token step. Never contains the token itself. */
export interface CallerAuth {
  readonly accessor: string;
  readonly policies: readonly string[];
  readonly tokenPolicies: readonly string[];
  readonly identityPolicies: readonly string[];
  readonly displayName: string;
  readonly entityId: string;
  readonly metadata: Readonly<Record<string, string>>;
  readonly root: boolean;
  readonly tokenType: 'service' | 'batch';
  readonly orphan: boolean;
  /** When the caller's token was issued, ms since the epoch (an OIDC provider's auth_time). */
  readonly issuedAt?: number;
  /**
   * Key of the caller's cubbyhole. Local to this cluster (cubbyhole is a local mount and is
   * never forwarded); dropped from the auth context a secondary forwards.
   */
  readonly cubbyholeId: string;
}

export interface Request {
  /** UUID for audit and the response envelope. */
  readonly id: string;
  operation: Operation;
  /** Path below /v1/, no leading slash, e.g. "secret/data/foo". */
  path: string;
  /** Body fields for writes; query parameters for reads and lists. */
  data: Record<string, unknown>;
  /** The raw token presented; only the token step reads it. */
  clientToken: string;
  /** Request headers, lower-cased names. */
  readonly headers: Readonly<Record<string, string>>;
  /** Requested response-wrapping TTL in seconds, 0 = none. */
  wrapTTL: number;
  /** Remote address of the client, for CIDR bindings and audit. */
  readonly remoteAddr: string;
  /** The client connection's memo of its token's storage key (HTTP requests only). */
  readonly tokenMemo?: TokenHashMemo;
  /** Set by the token step. */
  auth?: CallerAuth;
  /** Set by the router. */
  mountPoint?: string;
  mountType?: string;
  mountAccessor?: string;
}

/** A lease attached to a secret. Durations in seconds. */
export interface SecretLease {
  /**
   * The backend's secret type (its `secrets` table key). Only typed secrets get a lease that
   * the expiration manager renews and revokes; untyped ones (KV's TTL hint) are just rendered.
   */
  type?: string;
  leaseId?: string;
  ttl: number;
  maxTTL?: number;
  renewable: boolean;
  /** Backend-private data needed to revoke or renew; stored, never returned. */
  internalData?: Record<string, unknown>;
}

/** The auth block of a login response. Durations in seconds. */
export interface AuthBlock {
  clientToken: string;
  accessor: string;
  policies: string[];
  tokenPolicies: string[];
  identityPolicies?: string[];
  metadata: Record<string, string>;
  leaseDuration: number;
  renewable: boolean;
  entityId: string;
  tokenType: 'service' | 'batch';
  orphan: boolean;
  numUses?: number;
  mfaRequirement?: null;
}

/** Vault's token types as auth methods and roles configure them. */
export type ConfiguredTokenType = 'default' | 'service' | 'batch' | 'default-service' | 'default-batch';

/**
 * What an auth method returns from a successful login: who the caller is and what token they
 * should get. The pipeline turns it into a token (bounded by the mount's TTLs) and renders the
 * response's `auth` block; backends never create tokens themselves. Durations in seconds,
 * 0 = unset.
 */
export interface LoginAuth {
  /** Suffix of the token's display name; the pipeline prefixes the mount type ("userpass-bob"). */
  readonly displayName: string;
  readonly policies: readonly string[];
  readonly metadata: Readonly<Record<string, string>>;
  readonly ttl: number;
  /** The method's own ceiling (token_max_ttl), within the mount's. */
  readonly maxTTL: number;
  readonly explicitMaxTTL: number;
  readonly period: number;
  readonly numUses: number;
  readonly renewable: boolean;
  readonly noDefaultPolicy: boolean;
  readonly tokenType: ConfiguredTokenType;
  readonly boundCidrs: readonly string[];
  /** The identity alias this login maps to (identity store, issue 4). */
  readonly alias?: { readonly name: string; readonly metadata?: Readonly<Record<string, string>> };
}

export interface WrapInfo {
  token: string;
  accessor: string;
  ttl: number;
  creationTime: string;
  creationPath: string;
  wrappedAccessor?: string;
}

export interface Response {
  data?: Record<string, unknown>;
  warnings?: string[];
  secret?: SecretLease;
  auth?: AuthBlock;
  /** Set by auth methods on login; the pipeline replaces it with `auth` (a real token). */
  login?: LoginAuth;
  wrapInfo?: WrapInfo;
  /** Extra response headers (e.g. X-Vault-Index). */
  headers?: Record<string, string>;
  /**
   * HTTP status for a response that still renders Vault's envelope but is not a success:
   * KV v2 answers a read of a deleted or destroyed version with 404 and the version metadata
   * in `data`. Absent = the shell's usual choice (200, or 204 without data).
   */
  statusCode?: number;
  /**
   * A response rendered verbatim instead of Vault's envelope (sys/health, sys/metrics,
   * unwrap of a raw body). `body` of an object is sent as JSON.
   */
  raw?: { status: number; body: unknown; contentType?: string };
  /**
   * Also render `data`'s keys at the top level of the envelope, as Vault does for a few legacy
   * endpoints (sys/mounts, sys/auth, sys/policy) that old clients read without `data`.
   */
  legacyTopLevel?: boolean;
}

/** Operations that change state; used for seal/standby/forwarding decisions. */
export function isWriteOperation(op: Operation): boolean {
  return op === 'create' || op === 'update' || op === 'patch' || op === 'delete' || op === 'revoke' || op === 'renew';
}
