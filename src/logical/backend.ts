/**
 * The contract between the router and a secrets engine or auth method. Engines are built
 * with the framework (src/framework), which turns a declarative path table into this.
 */
import type { Clock } from '../clock.js';
import type { Logger } from '../util/logger.js';
import type { Request, Response } from './request.js';
import type { StorageView } from './storage.js';

/** Mount-level settings a backend may consult (all durations in seconds). */
export interface MountSettings {
  readonly path: string;
  readonly type: string;
  readonly accessor: string;
  readonly uuid: string;
  readonly local: boolean;
  readonly options: Readonly<Record<string, string>>;
  /** Effective TTLs: mount tune values falling back to the system's. */
  defaultLeaseTTL(): number;
  maxLeaseTTL(): number;
}

export interface BackendContext {
  /** Storage scoped to this mount ("logical/<uuid>/" or "auth/<uuid>/"). */
  readonly storage: StorageView;
  readonly mount: MountSettings;
  readonly clock: Clock;
  /**
   * True while the node is a performance secondary (or a demoted primary): replicated storage
   * is read-only here and the primary does the mount's background writes. Asked at each use,
   * since promotion changes it without remounting. Absent: the node does not replicate.
   */
  readonly isPerfSecondary?: () => boolean;
  /**
   * A password from the named password policy (sys/policies/password), or undefined when no
   * policy has that name. Absent: the node has no policy store (tests of a lone backend).
   */
  readonly passwordFromPolicy?: (name: string) => Promise<string | undefined>;
  /** The server's log, for background work no request reports on (absent in tests of a lone backend). */
  readonly logger?: Logger;
}

/**
 * Whether the mount's data is replicated from a primary right now: a performance secondary's
 * mount that is not local. Its storage is read-only here; background writers (rotations) leave
 * the work to the primary, whose results arrive by replication.
 */
export function followsPrimary(ctx: BackendContext): boolean {
  return ctx.isPerfSecondary?.() === true && !ctx.mount.local;
}

/** Paths (relative to the mount, glob '*' at end allowed) with special treatment. */
export interface SpecialPaths {
  /** Require sudo in addition to the normal capability. */
  readonly root?: readonly string[];
  /** Reachable without a token (e.g. login). */
  readonly unauthenticated?: readonly string[];
  /** Stored in local (non-replicated) storage even on a replicated mount. */
  readonly local?: readonly string[];
}

/** A request as a backend sees it: path relative to its mount. */
export interface BackendRequest extends Request {
  /** Path relative to the mount, e.g. "data/foo" for "secret/data/foo". */
  readonly relativePath: string;
}

export interface ExistenceResult {
  /** false when the matched path declares no existence check. */
  readonly supported: boolean;
  readonly exists: boolean;
}

/** A lease as its backend sees it when asked to renew or revoke it. Times ms, TTLs s. */
export interface LeaseHandle {
  readonly leaseId: string;
  readonly secretType: string;
  readonly internalData: Readonly<Record<string, unknown>>;
  readonly issueTime: number;
  /** The TTL granted when the lease was issued or last renewed. */
  readonly ttl: number;
}

/** What a backend answers to a renewal: the TTL it grants (0 = its default) and a ceiling. */
export interface LeaseRenewal {
  readonly ttl?: number;
  readonly maxTTL?: number;
}

/**
 * A token this auth method issued, as the token store knows it, when the token is renewed.
 * Times ms since the epoch, TTLs whole seconds.
 */
export interface LoginRenewal {
  /** The login path relative to the mount, e.g. "login/bob". */
  readonly path: string;
  readonly displayName: string;
  /**
   * The token's policies without "default": the store cannot tell a "default" the method
   * granted from the one added at issue, so methods compare policy sets ignoring it (as Vault).
   */
  readonly policies: readonly string[];
  readonly metadata: Readonly<Record<string, string>>;
  readonly issueTime: number;
  /** Seconds the token has left now. */
  readonly ttl: number;
}

/**
 * An auth method's answer to a renewal: renew with its current settings, or decline without
 * an error (Vault's empty answer: nothing is renewed). Refusals with a reason are thrown as
 * typed errors. `ttl` 0/absent: the increment asked for, else the token's creation TTL;
 * `maxTTL` and `period` replace the token's own (0 = none; absent = keep). The store's
 * ceilings (mount max, explicit max) still apply.
 */
export type LoginRenewResult =
  | { readonly kind: 'renew'; readonly ttl?: number; readonly maxTTL?: number; readonly period?: number }
  | { readonly kind: 'decline' };

/** One path of a backend as documentation sees it (sys/internal/specs/openapi). */
export interface DocumentedPath {
  /** Regex source in the framework's dialect, relative to the mount. */
  readonly pattern: string;
  readonly fields: Readonly<Record<string, { readonly type: string; readonly description?: string; readonly default?: unknown }>>;
  readonly operations: readonly ('read' | 'create' | 'update' | 'patch' | 'delete' | 'list')[];
  /** Has an existence check: create is told apart from update. */
  readonly createSupported: boolean;
  readonly synopsis: string;
  readonly description: string;
}

export interface LogicalBackend {
  readonly specialPaths: SpecialPaths;
  /** The backend's path table, for API documentation; absent = not described. */
  describePaths?(): readonly DocumentedPath[];
  /**
   * Auth methods with roles: the role a login request logs in with (for rate limit quotas
   * set on a role), or undefined when the request is no login or names no known role.
   */
  resolveRole?(req: BackendRequest): Promise<string | undefined>;
  /** Handle a request; undefined means "no content" (404 for read/list, 204 otherwise). */
  handleRequest(req: BackendRequest): Promise<Response | undefined>;
  /** Decide create vs update before the ACL check. */
  existenceCheck(req: BackendRequest): Promise<ExistenceResult>;
  /** Revoke a lease this backend issued (drop the credential). Throws to ask for a retry. */
  revokeSecret?(lease: LeaseHandle): Promise<void>;
  /** Extend a lease; absent = leases of this backend are not renewable. */
  renewSecret?(lease: LeaseHandle, increment: number): Promise<LeaseRenewal | undefined>;
  /** Auth methods: re-check a token this method issued before it renews. Absent = store rules only. */
  renewLogin?(login: LoginRenewal): Promise<LoginRenewResult>;
  /** Called once after mount or unseal; may start background work. */
  initialize?(): Promise<void>;
  /** Called on unmount or seal; stop background work. */
  cleanup?(): Promise<void>;
  /**
   * A key of this mount's storage (relative to the mount) was changed underneath the backend
   * (replication applied it on a secondary): drop whatever is cached about it.
   */
  invalidate?(key: string): void;
  /**
   * True when the request can only succeed by writing the mount's replicated storage (a KV
   * write). On a performance secondary such a request goes to the primary as soon as it is
   * authorised, instead of running here until its storage write is refused. Absent: the
   * request always runs here first (the refusal still forwards it).
   */
  writesShared?(req: BackendRequest): boolean;
}

export type BackendFactory = (ctx: BackendContext) => LogicalBackend | Promise<LogicalBackend>;
