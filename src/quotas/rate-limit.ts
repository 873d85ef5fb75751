/**
 * Rate limit quotas (Vault's sys/quotas/rate-limit): a rule allows `rate` requests per
 * `interval` from each client address on a path (a mount, a path below one, or everything
 * when its path is empty). Each client has a token bucket: it holds up to max(rate, 1)
 * tokens, refills at `rate` per `interval` (so a fractional rate such as 0.5/s works), and a
 * request takes one; a client with none is refused with 429, and with `blockInterval` set it
 * stays refused that long. The most specific rule for a path applies (longest matching path).
 * Buckets are per rule and client address, in memory on the node that serves the request,
 * and bounded in number.
 */
import { ArcaError } from '../errors.js';

export interface RateLimitRule {
  readonly name: string;
  /** '' (every path), 'secret/' (a mount) or 'secret/data/app' (a prefix below a mount). */
  readonly path: string;
  /** Requests allowed per interval, per client address. */
  readonly rate: number;
  /** Seconds. */
  readonly interval: number;
  /** Seconds a client that went over stays refused; 0 = until the interval ends. */
  readonly blockInterval: number;
  /**
   * Only logins with this role (an auth mount's role, e.g. approle's role name); '' or absent =
   * every request on the path. On the same path a role's rule is more specific than the path's.
   */
  readonly role?: string;
}

export interface QuotaSettings {
  readonly enableRateLimitResponseHeaders: boolean;
  readonly enableRateLimitAuditLogging: boolean;
  /** Request paths (prefixes) no rule applies to. */
  readonly rateLimitExemptPaths: readonly string[];
}

/** Vault's default exempt paths: the ones an operator needs to bring a server back. */
export const DEFAULT_EXEMPT_PATHS: readonly string[] = [
  'sys/generate-recovery-token/attempt',
  'sys/generate-recovery-token/update',
  'sys/generate-root/attempt',
  'sys/generate-root/update',
  'sys/health',
  'sys/seal-status',
  'sys/unseal',
];

export const DEFAULT_QUOTA_SETTINGS: QuotaSettings = { enableRateLimitResponseHeaders: false, enableRateLimitAuditLogging: false, rateLimitExemptPaths: DEFAULT_EXEMPT_PATHS };

/** Buckets kept per rule before the stalest are dropped. */
export const MAX_BUCKETS_PER_RULE = 100_000;

/** 429, Vault's text; with response headers enabled it carries Retry-After and X-Ratelimit-*. */
export class RateLimitedError extends ArcaError {
  readonly status = 429;
  readonly code = 'ARCA_RATE_LIMITED';
  constructor(
    path: string,
    override readonly headers?: Readonly<Record<string, string>>,
  ) {
    super(`request path ${JSON.stringify(path)}: rate limit quota exceeded`);
  }
}

interface Bucket {
  tokens: number;
  /** When `tokens` was last brought up to date (ms). */
  updatedAt: number;
  /** Refused until this time (ms); 0 = not blocked. */
  blockedUntil: number;
}

/** A rule's path is a prefix of the request path ('secret/' also covers "secret" itself). */
function pathMatches(rulePath: string, path: string): boolean {
  return path.startsWith(rulePath) || `${path}/` === rulePath;
}

export class RateLimiter {
  private rules: readonly RateLimitRule[] = [];
  private settings: QuotaSettings = DEFAULT_QUOTA_SETTINGS;
  private readonly buckets = new Map<string, Map<string, Bucket>>();

  /** Replace the rules and settings (after a write, or a reload of what replication brought). */
  configure(rules: readonly RateLimitRule[], settings: QuotaSettings): void {
    // Longest path first, and on one path a role's rule first: the first match is the most specific rule.
    this.rules = [...rules].sort((a, b) => b.path.length - a.path.length || Number(hasRole(b)) - Number(hasRole(a)) || a.name.localeCompare(b.name));
    this.settings = settings;
    const live = new Set(rules.map((r) => ruleKey(r)));
    for (const key of this.buckets.keys()) if (!live.has(key)) this.buckets.delete(key);
  }

  get active(): boolean {
    return this.rules.length > 0;
  }

  get settingsNow(): QuotaSettings {
    return this.settings;
  }

  /** The rule that applies to `path` (a login with `role`), if any (exempt paths have none). */
  ruleFor(path: string, role?: string): RateLimitRule | undefined {
    if (this.rules.length === 0 || this.exempt(path)) return undefined;
    return this.rules.find((r) => pathMatches(r.path, path) && (!hasRole(r) || r.role === role));
  }

  /** Whether a rule with a role covers `path`: only then is the role of a login looked up. */
  rolesCover(path: string): boolean {
    return this.rules.some((r) => hasRole(r) && pathMatches(r.path, path)) && !this.exempt(path);
  }

  private exempt(path: string): boolean {
    return this.settings.rateLimitExemptPaths.some((p) => path === p || path.startsWith(`${p}/`));
  }

  /** Count a request; throws RateLimitedError when the client is over its rule's rate. */
  admit(path: string, client: string, nowMs: number, role?: string): void {
    const rule = this.ruleFor(path, role);
    if (rule === undefined) return;
    const key = ruleKey(rule);
    let buckets = this.buckets.get(key);
    if (buckets === undefined) {
      buckets = new Map();
      this.buckets.set(key, buckets);
    }
    const capacity = Math.max(rule.rate, 1);
    const perMs = rule.rate / (rule.interval * 1000);
    let b = buckets.get(client);
    if (b === undefined) {
      b = { tokens: capacity, updatedAt: nowMs, blockedUntil: 0 };
      // Map order is first-use order: past the bound, the oldest bucket goes.
      if (buckets.size >= MAX_BUCKETS_PER_RULE) buckets.delete(buckets.keys().next().value!);
      buckets.set(client, b);
    } else {
      b.tokens = Math.min(capacity, b.tokens + (nowMs - b.updatedAt) * perMs);
      b.updatedAt = nowMs;
    }
    if (b.blockedUntil <= nowMs && b.tokens >= 1) {
      b.tokens -= 1;
      return;
    }
    if (b.blockedUntil <= nowMs && rule.blockInterval > 0) b.blockedUntil = nowMs + rule.blockInterval * 1000;
    // Free again when the block ends and a whole token is back.
    const resetAt = Math.max(b.blockedUntil, nowMs + Math.max(0, 1 - b.tokens) / perMs);
    throw new RateLimitedError(path, this.settings.enableRateLimitResponseHeaders ? headers(Math.floor(capacity), Math.floor(b.tokens), resetAt, nowMs) : undefined);
  }
}

function hasRole(r: RateLimitRule): boolean {
  return r.role !== undefined && r.role !== '';
}

function ruleKey(r: RateLimitRule): string {
  return `${r.name}\u0000${r.path}\u0000${r.role ?? ''}\u0000${r.rate}\u0000${r.interval}\u0000${r.blockInterval}`;
}

function headers(limit: number, remaining: number, resetAtMs: number, nowMs: number): Record<string, string> {
  return {
    'Retry-After': String(Math.max(1, Math.ceil((resetAtMs - nowMs) / 1000))),
    'X-Ratelimit-Limit': String(limit),
    'X-Ratelimit-Remaining': String(remaining),
    'X-Ratelimit-Reset': String(Math.ceil(resetAtMs / 1000)),
  };
}
