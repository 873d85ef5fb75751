/**
 * sys/quotas/config, sys/quotas/rate-limit (LIST) and sys/quotas/rate-limit/:name over the
 * core's QuotaStore (src/quotas/). Field names, defaults and answers follow Vault's API. A
 * quota with a `role` applies to the logins with that role on one auth mount whose method has
 * roles (approle: the role its role_id names).
 */
import { BadRequestError } from '../errors.js';
import { definePath, type PathDef } from '../framework/index.js';
import type { Core } from '../core/core.js';
import type { RateLimitRule } from '../quotas/rate-limit.js';

const NAME = '(?<name>[^/]+)';

function renderRule(r: RateLimitRule): Record<string, unknown> {
  return { name: r.name, path: r.path, type: 'rate-limit', rate: r.rate, interval: r.interval, block_interval: r.blockInterval, role: r.role ?? '', inheritable: false };
}

export function quotaPaths(core: Core): PathDef[] {
  const store = core.quotas;

  /** A quota's path must name a mount (or a path below one), or be '' for every path. */
  const checkPath = (path: string): string => {
    if (path === '') return '';
    const normalised = path.replace(/^\/+/, '');
    if (core.router.match(normalised) === undefined) throw new BadRequestError(`invalid mount path ${JSON.stringify(normalised)}`);
    return normalised;
  };

  /** A role's quota names one auth mount (the whole mount) whose method has roles. */
  const checkRolePath = (path: string): void => {
    const match = path === '' ? undefined : core.router.match(path);
    if (match === undefined || match.route.kind !== 'auth' || match.relativePath !== '' || match.route.backend.resolveRole === undefined) {
      throw new BadRequestError(`"role" can only be set on a quota whose path is an auth mount with roles (such as auth/approle/), not ${JSON.stringify(path)}`);
    }
  };

  return [
    definePath({
      pattern: 'quotas/config',
      fields: {
        enable_rate_limit_audit_logging: { type: 'bool', description: 'Audit requests refused by a rate limit quota.' },
        enable_rate_limit_response_headers: { type: 'bool', description: 'Answer 429s with Retry-After and X-Ratelimit-* headers.' },
        rate_limit_exempt_paths: { type: 'comma-string-slice', description: 'Request paths (prefixes) no rate limit quota applies to.' },
        absolute_rate_limit_exempt_paths: { type: 'comma-string-slice', description: 'Accepted for compatibility (namespaces).' },
      },
      operations: {
        read: async () => {
          const s = await store.settings();
          return {
            data: {
              enable_rate_limit_audit_logging: s.enableRateLimitAuditLogging,
              enable_rate_limit_response_headers: s.enableRateLimitResponseHeaders,
              rate_limit_exempt_paths: [...s.rateLimitExemptPaths],
              absolute_rate_limit_exempt_paths: [],
            },
          };
        },
        update: async (_req, f) => {
          const s = await store.settings();
          await store.putSettings({
            enableRateLimitAuditLogging: f.getOk('enable_rate_limit_audit_logging') ?? s.enableRateLimitAuditLogging,
            enableRateLimitResponseHeaders: f.getOk('enable_rate_limit_response_headers') ?? s.enableRateLimitResponseHeaders,
            rateLimitExemptPaths: (f.getOk('rate_limit_exempt_paths') ?? s.rateLimitExemptPaths).map((p) => p.replace(/^\/+/, '')),
          });
          return undefined;
        },
      },
      synopsis: 'Settings of the quota system.',
      description: 'Exempt paths and whether 429s carry rate limit headers.',
    }),
    definePath({
      pattern: 'quotas/rate-limit/?',
      fields: {},
      operations: {
        list: async () => {
          const keys = await store.list();
          return keys.length === 0 ? undefined : { data: { keys } };
        },
      },
      synopsis: 'List rate limit quotas.',
      description: 'The names of the rate limit quotas.',
    }),
    definePath({
      pattern: `quotas/rate-limit/${NAME}`,
      fields: {
        name: { type: 'string', description: 'Name of the quota.' },
        path: { type: 'string', description: 'Mount (or path below a mount) the quota applies to; empty for every path.' },
        rate: { type: 'float', description: 'Requests allowed per interval from one client address.' },
        interval: { type: 'duration', description: 'The interval of the rate (default 1s).' },
        block_interval: { type: 'duration', description: 'How long a client that exceeded the rate stays refused (default: until the interval ends).' },
        role: { type: 'string', description: 'Only logins with this role, on the auth mount the path names (approle roles).' },
        inheritable: { type: 'bool', description: 'Accepted for compatibility (namespaces).' },
        type: { type: 'string', description: 'Accepted: always rate-limit.' },
      },
      operations: {
        read: async (_req, f) => {
          const rule = await store.get(f.get('name'));
          return rule === undefined ? undefined : { data: renderRule(rule) };
        },
        update: async (_req, f) => {
          const name = f.get('name');
          const existing = await store.get(name);
          const rate = f.getOk('rate') ?? existing?.rate;
          if (rate === undefined || !Number.isFinite(rate) || rate <= 0) throw new BadRequestError("'rate' is invalid or not set: it must be greater than 0");
          const interval = f.getOk('interval') ?? existing?.interval ?? 1;
          if (interval <= 0) throw new BadRequestError("'interval' is invalid: it must be greater than 0");
          const blockInterval = f.getOk('block_interval') ?? existing?.blockInterval ?? 0;
          if (blockInterval < 0) throw new BadRequestError("'block_interval' is invalid: it cannot be negative");
          const path = checkPath(f.getOk('path') ?? existing?.path ?? '');
          const role = f.getOk('role') ?? existing?.role ?? '';
          if (role !== '') checkRolePath(path);
          const same = (await store.rules()).find((r) => r.name !== name && r.path === path && (r.role ?? '') === role);
          if (same !== undefined) throw new BadRequestError(`quota rule with similar properties exists under the name ${JSON.stringify(same.name)}`);
          await store.put({ name, path, rate, interval, blockInterval, ...(role !== '' ? { role } : {}) });
          return undefined;
        },
        delete: async (_req, f) => {
          await store.delete(f.get('name'));
          return undefined;
        },
      },
      synopsis: 'Read, write or delete a rate limit quota.',
      description: 'A quota allows `rate` requests per `interval` from each client address on its path; the most specific quota applies.',
    }),
  ];
}
