/**
 * sys/ endpoints for secrets-engine mounts: sys/mounts, sys/mounts/:path (enable, read,
 * disable), sys/mounts/:path/tune, sys/remount and sys/internal/ui/mounts.
 */
import { BadRequestError } from '../errors.js';
import { definePath, type PathDef } from '../framework/index.js';
import type { Response } from '../logical/request.js';
import type { Core } from '../core/core.js';
import type { MountConfig, MountEntry } from '../router/mount-entry.js';
import { normalizeMountPath } from '../router/mount-entry.js';
import type { MountTable } from '../router/mount-table.js';
import { parseDurationSeconds } from '../util/duration.js';
import { uuid } from '../util/random.js';
import { VERSION } from '../version.js';

/** A mount as sys/mounts renders it. */
export function renderMount(e: MountEntry): Record<string, unknown> {
  const config: Record<string, unknown> = {
    default_lease_ttl: e.config.default_lease_ttl,
    max_lease_ttl: e.config.max_lease_ttl,
    force_no_cache: e.config.force_no_cache,
  };
  for (const k of ['listing_visibility', 'passthrough_request_headers', 'allowed_response_headers', 'audit_non_hmac_request_keys', 'audit_non_hmac_response_keys'] as const) {
    if (e.config[k] !== undefined) config[k] = e.config[k];
  }
  return {
    accessor: e.accessor,
    config,
    description: e.description,
    external_entropy_access: e.external_entropy_access,
    local: e.local,
    options: e.type === 'system' && Object.keys(e.options).length === 0 ? null : e.options,
    plugin_version: '',
    running_plugin_version: e.type === 'system' ? '' : `v${VERSION}+builtin.arca`,
    running_sha256: '',
    seal_wrap: e.seal_wrap,
    type: e.type,
    uuid: e.uuid,
  };
}

/** Durations in mount config arrive as "1h", seconds, or "system" (= use the system value). */
function ttlField(v: unknown, name: string): number | undefined {
  if (v === undefined || v === null || v === '') return undefined;
  if (v === 'system') return 0;
  try {
    const n = parseDurationSeconds(v);
    if (n < 0) throw new Error('negative');
    return n;
  } catch {
    throw new BadRequestError(`unable to parse ${name}: invalid duration "${String(v)}"`);
  }
}

function stringList(v: unknown, name: string): string[] | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'string') return v === '' ? [] : v.split(',').map((s) => s.trim());
  if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v as string[];
  throw new BadRequestError(`invalid value for ${name}: expected a list of strings`);
}

/** The mount config accepted on enable and tune (Vault's field names). */
export function parseMountConfig(raw: Record<string, unknown>): Partial<MountConfig> {
  const out: Partial<MountConfig> = {};
  const def = ttlField(raw['default_lease_ttl'], 'default_lease_ttl');
  const max = ttlField(raw['max_lease_ttl'], 'max_lease_ttl');
  if (def !== undefined) out.default_lease_ttl = def;
  if (max !== undefined) out.max_lease_ttl = max;
  if (raw['force_no_cache'] !== undefined) out.force_no_cache = raw['force_no_cache'] === true || raw['force_no_cache'] === 'true';
  if (raw['listing_visibility'] !== undefined) {
    const lv = String(raw['listing_visibility']);
    if (lv !== '' && lv !== 'hidden' && lv !== 'unauth') throw new BadRequestError(`invalid listing_visibility ${lv}`);
    out.listing_visibility = lv;
  }
  for (const k of ['passthrough_request_headers', 'allowed_response_headers', 'audit_non_hmac_request_keys', 'audit_non_hmac_response_keys'] as const) {
    const l = stringList(raw[k], k);
    if (l !== undefined) out[k] = l;
  }
  return out;
}

function stringMap(v: unknown, name: string): Record<string, string> | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'object' || Array.isArray(v)) throw new BadRequestError(`invalid value for ${name}: expected an object`);
  const out: Record<string, string> = {};
  for (const [k, x] of Object.entries(v)) out[k] = typeof x === 'string' ? x : JSON.stringify(x);
  return out;
}

function tuneView(table: MountTable, e: MountEntry): Record<string, unknown> {
  const s = table.settingsFor(e);
  const out: Record<string, unknown> = {
    description: e.description,
    default_lease_ttl: s.defaultLeaseTTL(),
    max_lease_ttl: s.maxLeaseTTL(),
    force_no_cache: e.config.force_no_cache,
  };
  if (Object.keys(e.options).length > 0) out['options'] = e.options;
  for (const k of ['listing_visibility', 'passthrough_request_headers', 'allowed_response_headers', 'audit_non_hmac_request_keys', 'audit_non_hmac_response_keys'] as const) {
    if (e.config[k] !== undefined) out[k] = e.config[k];
  }
  return out;
}

/** Vault answers sys/mounts with the map both in `data` and, for old clients, at the top level. */
function mountMap(table: MountTable): Response {
  const data: Record<string, unknown> = {};
  for (const e of [...table.list()].sort((a, b) => a.path.localeCompare(b.path))) data[e.path] = renderMount(e);
  return { data, legacyTopLevel: true };
}

export function mountPaths(core: Core): PathDef[] {
  const table = core.mounts;
  const migrations = new Map<string, { source_mount: string; target_mount: string; status: string }>();
  return [
    definePath({
      pattern: 'mounts',
      fields: {},
      operations: { read: async () => mountMap(table) },
      synopsis: 'List the mounted secrets engines.',
      description: 'Every secrets engine with its type, configuration and options.',
    }),
    definePath({
      // One pattern for ":path" and ":path/tune": a mount named ".../tune" is ambiguous in Vault too,
      // and a single pattern keeps the table free of overlaps.
      pattern: 'mounts/(?<path>.+)',
      fields: {
        path: { type: 'string', description: 'The mount path.' },
        type: { type: 'string', description: 'The type of the backend, e.g. "kv".' },
        description: { type: 'string', description: 'A human-friendly description.' },
        config: { type: 'map', description: 'Mount configuration (default_lease_ttl, max_lease_ttl, ...).' },
        options: { type: 'map', description: 'Backend options, e.g. {"version": "2"} for kv.' },
        local: { type: 'bool', description: 'Local to this cluster: never replicated.' },
        seal_wrap: { type: 'bool', description: 'Accepted for compatibility.' },
        external_entropy_access: { type: 'bool', description: 'Accepted for compatibility.' },
        plugin_name: { type: 'string', description: 'Alias of type.' },
        plugin_version: { type: 'string', description: 'Accepted for compatibility.' },
        default_lease_ttl: { type: 'string', description: 'Tune: default lease TTL or "system".' },
        max_lease_ttl: { type: 'string', description: 'Tune: maximum lease TTL or "system".' },
        force_no_cache: { type: 'bool', description: 'Tune.' },
        listing_visibility: { type: 'string', description: 'Tune.' },
        passthrough_request_headers: { type: 'comma-string-slice', description: 'Tune.' },
        allowed_response_headers: { type: 'comma-string-slice', description: 'Tune.' },
        audit_non_hmac_request_keys: { type: 'comma-string-slice', description: 'Tune.' },
        audit_non_hmac_response_keys: { type: 'comma-string-slice', description: 'Tune.' },
      },
      operations: {
        read: async (_req, f) => {
          const { path, tune } = splitTune(f.get('path'));
          const e = table.find(path);
          if (e === undefined) {
            throw new BadRequestError(tune ? `cannot fetch mount entry for "${normalizeMountPath(path)}"` : `No secret engine mount at ${normalizeMountPath(path)}`);
          }
          return { data: tune ? tuneView(table, e) : renderMount(e) };
        },
        update: async (req, f) => {
          const { path, tune } = splitTune(f.get('path'));
          if (tune) {
            const config = parseMountConfig(req.data);
            const options = stringMap(req.data['options'], 'options');
            const description = f.getOk('description');
            await table.tune(path, {
              config,
              ...(description !== undefined ? { description } : {}),
              ...(options !== undefined ? { options } : {}),
            });
            return undefined;
          }
          const type = f.get('type') || f.get('plugin_name');
          if (type === '') throw new BadRequestError('backend type must be specified as a string');
          const config = parseMountConfig(f.get('config'));
          const options = stringMap(f.get('options'), 'options') ?? {};
          await table.mount({
            path,
            type,
            description: f.get('description'),
            local: f.get('local'),
            sealWrap: f.get('seal_wrap'),
            config,
            options,
          });
          return undefined;
        },
        delete: async (_req, f) => {
          const { path, tune } = splitTune(f.get('path'));
          if (tune) throw new BadRequestError('unsupported operation');
          // As Vault: the mount's leases are revoked first; if that fails the mount stays.
          await core.expiration.revokePrefix(normalizeMountPath(path));
          await table.unmount(path);
          return undefined;
        },
      },
      synopsis: 'Enable, read, tune or disable a secrets engine.',
      description: 'POST enables a secrets engine at the path; DELETE disables it and deletes its data; ".../tune" reads or changes its configuration.',
    }),
    definePath({
      pattern: 'remount',
      fields: {
        from: { type: 'string', description: 'The current mount path.' },
        to: { type: 'string', description: 'The new mount path.' },
      },
      operations: {
        update: async (_req, f) => {
          const from = f.get('from');
          const to = f.get('to');
          if (from === '' || to === '') throw new BadRequestError('both "from" and "to" path must be specified as strings');
          if (from.startsWith('auth/') || to.startsWith('auth/')) {
            throw new BadRequestError('moving auth mounts is not supported by this server yet');
          }
          await table.remount(from, to);
          // Moves are synchronous here; the id lets clients poll sys/remount/status as in Vault.
          const id = uuid();
          migrations.set(id, { source_mount: normalizeMountPath(from), target_mount: normalizeMountPath(to), status: 'success' });
          if (migrations.size > 100) migrations.delete(migrations.keys().next().value!);
          return { data: { migration_id: id } };
        },
      },
      synopsis: 'Move a secrets engine to a new path.',
      description: 'The data moves with the mount; it is not copied.',
    }),
    definePath({
      pattern: 'remount/status/(?<migration_id>[^/]+)',
      fields: { migration_id: { type: 'string', description: 'The id sys/remount returned.' } },
      operations: {
        read: async (_req, f) => {
          const info = migrations.get(f.get('migration_id'));
          if (info === undefined) return undefined;
          return { data: { migration_id: f.get('migration_id'), migration_info: info } };
        },
      },
      synopsis: 'Status of a mount move.',
      description: 'Moves complete before sys/remount answers; the status is kept for the last 100 moves.',
    }),
    definePath({
      pattern: 'internal/ui/mounts',
      fields: {},
      operations: {
        read: async () => {
          const secret: Record<string, unknown> = {};
          for (const e of table.list()) secret[e.path] = renderMount(e);
          const auth: Record<string, unknown> = {};
          for (const e of core.authMounts.list()) auth[e.path] = renderMount(e);
          return { data: { secret, auth } };
        },
      },
      synopsis: 'Mounts visible to the caller (UI and CLI helper).',
      description: 'Secrets engines and auth methods the caller can see.',
    }),
    definePath({
      pattern: 'internal/ui/mounts/(?<path>.+)',
      fields: { path: { type: 'string', description: 'A path inside a mount.' } },
      operations: {
        read: async (_req, f) => {
          const match = core.router.match(f.get('path'));
          if (match === undefined || match.route.kind !== 'secret') {
            throw new BadRequestError(`Preflight capability check returned 403, please ensure client's policies grant access to path "${f.get('path')}"`);
          }
          const e = match.route.entry;
          return { data: { ...renderMount(e), path: e.path } };
        },
      },
      synopsis: 'The mount that serves a path.',
      description: 'Used by the CLI to find whether a path belongs to a KV v1 or v2 mount.',
    }),
  ];
}

function splitTune(path: string): { path: string; tune: boolean } {
  const p = path.replace(/\/+$/, '');
  if (p.endsWith('/tune')) return { path: p.slice(0, -'/tune'.length), tune: true };
  return { path: p, tune: false };
}
