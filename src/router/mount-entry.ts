/**
 * A mount table entry as persisted (Vault's field names, so `sys/mounts` renders directly).
 * Durations in seconds; 0 means "use the system value".
 */
export interface MountConfig {
  default_lease_ttl: number;
  max_lease_ttl: number;
  force_no_cache: boolean;
  listing_visibility?: string;
  passthrough_request_headers?: string[];
  allowed_response_headers?: string[];
  audit_non_hmac_request_keys?: string[];
  audit_non_hmac_response_keys?: string[];
  /** Auth mounts of userpass and approle: user lockout settings tuned on this mount (src/core/login-lockout.ts). */
  user_lockout_config?: UserLockoutTune;
}

/** What sys/auth/:path/tune may set for user lockout; absent fields take the server's values. */
export interface UserLockoutTune {
  lockout_threshold?: number;
  /** Seconds. */
  lockout_duration?: number;
  /** Seconds. */
  lockout_counter_reset?: number;
  lockout_disable?: boolean;
}

export interface MountEntry {
  /** With trailing slash, e.g. "secret/". For auth mounts, relative to "auth/". */
  path: string;
  type: string;
  description: string;
  uuid: string;
  accessor: string;
  local: boolean;
  seal_wrap: boolean;
  external_entropy_access: boolean;
  options: Record<string, string>;
  config: MountConfig;
}

export type MountKind = 'secret' | 'auth';

export function defaultMountConfig(): MountConfig {
  return { default_lease_ttl: 0, max_lease_ttl: 0, force_no_cache: false };
}

/** Normalise a user-given mount path: no leading slash, exactly one trailing slash. */
export function normalizeMountPath(path: string): string {
  let p = path.trim().replace(/^\/+/, '');
  if (!p.endsWith('/')) p += '/';
  return p;
}
