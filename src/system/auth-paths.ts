/**
 * sys/ endpoints for auth methods: sys/auth (list), sys/auth/:path (enable, read, disable) and
 * sys/auth/:path/tune. The core's auth MountTable does the work; auth/token/ is built in and
 * can be neither disabled nor enabled again.
 */
import { BadRequestError, UnsupportedOperationError } from '../errors.js';
import { definePath, type PathDef } from '../framework/index.js';
import type { Response } from '../logical/request.js';
import type { Core } from '../core/core.js';
import type { MountEntry, UserLockoutTune } from '../router/mount-entry.js';
import { supportsLockout } from '../core/login-lockout.js';
import { parseDurationSeconds } from '../util/duration.js';
import { normalizeMountPath } from '../router/mount-entry.js';
import type { MountTable } from '../router/mount-table.js';
import { parseMountConfig, renderMount } from './mount-paths.js';

/** Auth mounts issue service tokens unless tuned otherwise; tuning the type is not supported yet. */
const TOKEN_TYPE = 'default-service';

/** An auth method as sys/auth renders it: sys/mounts' shape plus the auth-only keys. */
export function renderAuthMount(e: MountEntry): Record<string, unknown> {
  const base = renderMount(e);
  const out: Record<string, unknown> = {
    ...base,
    config: { ...(base['config'] as Record<string, unknown>), token_type: TOKEN_TYPE },
    options: Object.keys(e.options).length === 0 ? null : e.options,
  };
  if (e.type !== 'token') out['deprecation_status'] = 'supported';
  return out;
}

function tuneView(table: MountTable, e: MountEntry): Record<string, unknown> {
  const s = table.settingsFor(e);
  const config = renderMount(e)['config'] as Record<string, unknown>;
  const out: Record<string, unknown> = {
    ...config,
    description: e.description,
    default_lease_ttl: s.defaultLeaseTTL(),
    max_lease_ttl: s.maxLeaseTTL(),
    token_type: TOKEN_TYPE,
  };
  if (Object.keys(e.options).length > 0) out['options'] = e.options;
  return out;
}

function authMap(table: MountTable): Response {
  const data: Record<string, unknown> = {};
  for (const e of [...table.list()].sort((a, b) => a.path.localeCompare(b.path))) data[e.path] = renderAuthMount(e);
  return { data, legacyTopLevel: true };
}

/** Effective user lockout settings in the tune view, as Vault shows them, for the methods that have lockout. */
function lockoutView(core: Core, e: MountEntry): Record<string, unknown> {
  if (!supportsLockout(e.type)) return {};
  const s = core.lockout.settingsFor(e);
  return { user_lockout_threshold: s.threshold, user_lockout_duration: s.duration, user_lockout_counter_reset_duration: s.counterReset, user_lockout_disable: s.disabled };
}

/** A tune's `user_lockout_config` over the mount's current one (fields not given stay). Values may be strings, as the UI sends them. */
function lockoutTune(e: MountEntry, raw: Record<string, unknown>): UserLockoutTune {
  if (!supportsLockout(e.type)) throw new BadRequestError(`user_lockout_config is only supported by userpass and approle auth methods, not ${e.type}`);
  const out: UserLockoutTune = { ...(e.config.user_lockout_config ?? {}) };
  for (const [k, v] of Object.entries(raw)) {
    if (v === undefined || v === null || v === '') continue;
    if (k === 'lockout_threshold') {
      const n = typeof v === 'number' ? v : Number(String(v));
      if (!Number.isInteger(n) || n < 1) throw new BadRequestError(`invalid lockout_threshold ${JSON.stringify(v)}: a positive integer is required`);
      out.lockout_threshold = n;
    } else if (k === 'lockout_duration' || k === 'lockout_counter_reset') {
      let seconds: number;
      try {
        seconds = parseDurationSeconds(v);
      } catch {
        throw new BadRequestError(`invalid ${k} ${JSON.stringify(v)}: a duration is required`);
      }
      if (seconds <= 0) throw new BadRequestError(`invalid ${k} ${JSON.stringify(v)}: it must be positive`);
      out[k] = seconds;
    } else if (k === 'lockout_disable') {
      out.lockout_disable = v === true || v === 'true' || v === '1';
    } else {
      throw new BadRequestError(`unknown user_lockout_config field ${JSON.stringify(k)}`);
    }
  }
  return out;
}

/** "userpass/tune" -> userpass, tune. A method mounted at ".../tune" is as ambiguous in Vault. */
function splitTune(raw: string): { path: string; tune: boolean } {
  const p = raw.replace(/\/+$/, '');
  if (p.endsWith('/tune')) return { path: normalizeMountPath(p.slice(0, -'/tune'.length)), tune: true };
  return { path: normalizeMountPath(p), tune: false };
}

const TOKEN_MOUNT = 'token/';

export function authPaths(core: Core): PathDef[] {
  const table = core.authMounts;
  return [
    definePath({
      pattern: 'auth',
      fields: {},
      operations: { read: async () => authMap(table) },
      synopsis: 'List the enabled auth methods.',
      description: 'Every auth method with its type, configuration and options.',
    }),
    definePath({
      // One pattern for ":path" and ":path/tune", as sys/mounts, so the table has no overlaps.
      pattern: 'auth/(?<path>.+)',
      fields: {
        path: { type: 'string', description: 'The path of the auth method, below auth/.' },
        type: { type: 'string', description: 'The auth method type, e.g. "userpass".' },
        description: { type: 'string', description: 'A human-friendly description.' },
        config: { type: 'map', description: 'Mount configuration (default_lease_ttl, max_lease_ttl, ...).' },
        options: { type: 'string-map', description: 'Options passed to the auth method.' },
        local: { type: 'bool', description: 'Local to this cluster: never replicated.' },
        seal_wrap: { type: 'bool', description: 'Accepted for compatibility.' },
        external_entropy_access: { type: 'bool', description: 'Accepted for compatibility.' },
        plugin_name: { type: 'string', description: 'Alias of type.' },
        plugin_version: { type: 'string', description: 'Accepted for compatibility.' },
        default_lease_ttl: { type: 'string', description: 'Tune: default lease TTL or "system".' },
        max_lease_ttl: { type: 'string', description: 'Tune: maximum lease TTL or "system".' },
        force_no_cache: { type: 'bool', description: 'Tune.' },
        listing_visibility: { type: 'string', description: 'Tune: "unauth" lists the method for unauthenticated callers.' },
        passthrough_request_headers: { type: 'comma-string-slice', description: 'Tune.' },
        allowed_response_headers: { type: 'comma-string-slice', description: 'Tune.' },
        audit_non_hmac_request_keys: { type: 'comma-string-slice', description: 'Tune.' },
        audit_non_hmac_response_keys: { type: 'comma-string-slice', description: 'Tune.' },
        token_type: { type: 'string', description: `Tune: only "${TOKEN_TYPE}" is supported.` },
        user_lockout_config: { type: 'map', description: 'Tune (userpass, approle): lockout_threshold, lockout_duration, lockout_counter_reset, lockout_disable.' },
      },
      operations: {
        read: async (_req, f) => {
          const { path, tune } = splitTune(f.get('path'));
          const e = table.find(path);
          if (e === undefined) {
            throw new BadRequestError(tune ? `cannot fetch mount entry for "auth/${path}"` : `No auth engine at ${path}`);
          }
          return { data: tune ? { ...tuneView(table, e), ...lockoutView(core, e) } : renderAuthMount(e) };
        },
        update: async (req, f) => {
          const { path, tune } = splitTune(f.get('path'));
          if (tune) {
            if (table.find(path) === undefined) throw new BadRequestError(`cannot fetch mount entry for "auth/${path}"`);
            const tokenType = f.getOk('token_type');
            if (tokenType !== undefined && tokenType !== TOKEN_TYPE && tokenType !== 'default') {
              throw new BadRequestError(`token_type "${tokenType}" is not supported for auth methods yet`);
            }
            const description = f.getOk('description');
            const options = f.getOk('options');
            const lockout = f.getOk('user_lockout_config');
            const entry = table.find(path)!;
            await table.tune(path, {
              config: { ...parseMountConfig(req.data), ...(lockout !== undefined ? { user_lockout_config: lockoutTune(entry, lockout) } : {}) },
              ...(description !== undefined ? { description } : {}),
              ...(options !== undefined ? { options } : {}),
            });
            return undefined;
          }
          const type = f.get('type') || f.get('plugin_name');
          if (type === '') throw new BadRequestError('backend type must be specified as a string');
          if (type === 'token') throw new BadRequestError('token credential backend cannot be instantiated');
          await table.mount({
            path,
            type,
            description: f.get('description'),
            local: f.get('local'),
            sealWrap: f.get('seal_wrap'),
            config: parseMountConfig(f.get('config')),
            options: f.get('options'),
          });
          return undefined;
        },
        delete: async (_req, f) => {
          const { path, tune } = splitTune(f.get('path'));
          if (tune) throw new UnsupportedOperationError();
          if (path === TOKEN_MOUNT) throw new BadRequestError('token credential backend cannot be disabled');
          // As Vault: tokens issued through the method (and their leases) go with it.
          const entry = table.list().find((e) => e.path === normalizeMountPath(path));
          if (entry !== undefined) await core.tokens.revokeByMount(entry.accessor);
          await core.expiration.revokePrefix(`auth/${normalizeMountPath(path)}`);
          await table.unmount(path);
          return undefined;
        },
      },
      synopsis: 'Enable, read, tune or disable an auth method.',
      description: 'POST enables an auth method at auth/<path>; DELETE disables it and deletes its data; ".../tune" reads or changes its configuration.',
    }),
  ];
}
