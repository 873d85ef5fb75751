/**
 * Where a `kv` command's path really lives. KV version 2 nests its API under data/, metadata/,
 * delete/, undelete/ and destroy/ below the mount, while users type "secret/foo". Like Vault's
 * CLI we ask the server which mount holds the path and which KV version it runs
 * (GET sys/internal/ui/mounts/<path>), then rewrite "secret/foo" to "secret/data/foo".
 *
 * With -mount=secret the argument is the path inside the mount ("foo"), which removes the
 * guesswork for paths whose first segment is ambiguous.
 */
import type { ApiClient } from '../client.js';
import { sysData, toApiError } from '../client.js';
import { COMMAND_SECTION, CommandFailure, EXIT_REMOTE, ensureTrailingSlash, remote, sanitizePath, type Invocation } from '../command.js';
import type { FlagSet } from '../flags.js';

export type KvVersion = 1 | 2;

export type KvSegment = 'data' | 'metadata' | 'delete' | 'undelete' | 'destroy';

export interface KvTarget {
  /** Mount path with trailing slash ("secret/"), or '' when the server could not say. */
  readonly mountPath: string;
  readonly version: KvVersion;
  /** The path inside the mount ("foo/bar"). */
  readonly relative: string;
}

export function withMountFlag(fs: FlagSet): FlagSet {
  return fs.define({
    name: 'mount',
    kind: 'string',
    section: COMMAND_SECTION,
    usage:
      'Specifies the path where the KV backend is mounted. If specified, the next argument will be interpreted as the secret path. If this flag is not specified, the next argument will be interpreted as the combined mount path and secret path, with /data/ automatically inserted for KV v2 secrets.',
  });
}

/** Ask the server which mount serves path and its KV version. */
export async function kvPreflight(client: ApiClient, path: string): Promise<{ mountPath: string; version: KvVersion }> {
  const res = await remote('Error checking the KV engine version', async () => {
    // Never wrapped: the CLI must read this answer itself (-wrap-ttl applies to the real call).
    const r = await client.with({ wrapTTL: undefined }).send('GET', `sys/internal/ui/mounts/${path}`);
    // A server without the endpoint: assume KV v1 and use the path as given, as Vault does.
    if (r.status === 404) return undefined;
    if (r.status === 403) {
      throw new CommandFailure(
        `preflight capability check returned 403, please ensure client's policies grant access to path "${path.replace(/\/+$/, '')}/"`,
        EXIT_REMOTE,
      );
    }
    if (r.status < 200 || r.status >= 300) throw toApiError(r);
    return sysData(r);
  });
  if (res === undefined) return { mountPath: '', version: 1 };
  const options = res['options'];
  const version = options !== null && typeof options === 'object' ? (options as Record<string, unknown>)['version'] : undefined;
  const mountPath = typeof res['path'] === 'string' ? ensureTrailingSlash(res['path']) : '';
  return { mountPath, version: String(version ?? '') === '2' ? 2 : 1 };
}

/** Resolve the command's path argument (and -mount) to a KV target. */
export async function resolveKv(inv: Invocation, client: ApiClient, arg: string): Promise<KvTarget> {
  const mountFlag = inv.flags.isSet('mount') ? sanitizePath(inv.flags.string('mount')) : '';
  if (mountFlag !== '') {
    const mountPath = ensureTrailingSlash(mountFlag);
    const { version } = await kvPreflight(client, mountPath);
    return { mountPath, version, relative: sanitizePath(arg) };
  }
  const path = sanitizePath(arg);
  const { mountPath, version } = await kvPreflight(client, path);
  if (mountPath === '') return { mountPath, version, relative: path };
  if (path.startsWith(mountPath)) return { mountPath, version, relative: path.slice(mountPath.length) };
  if (ensureTrailingSlash(path) === mountPath) return { mountPath, version, relative: '' };
  // The server named a mount that does not prefix the path: use the path exactly as typed.
  return { mountPath: '', version: 1, relative: path };
}

/** The API path for a target: v1 paths are used as is, v2 paths get the segment after the mount. */
export function kvApiPath(t: KvTarget, segment: KvSegment): string {
  if (t.version === 1) return t.mountPath + t.relative;
  return `${t.mountPath}${segment}/${t.relative}`;
}

/** Parse -versions values ("1,2" or repeated) to integers; a bad one is a local error. */
export function parseVersions(raw: readonly string[]): number[] {
  return raw
    .filter((v) => v !== '')
    .map((v) => {
      if (!/^[0-9]+$/.test(v)) throw new CommandFailure(`Invalid version "${v}": versions must be positive integers`, 1);
      return Number(v);
    });
}
