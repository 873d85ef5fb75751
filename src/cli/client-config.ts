/**
 * Where the CLI connects and with what credentials, resolved the way Vault's CLI resolves them
 * so existing shells and scripts keep working:
 *
 *   flag (-address, -ca-cert, -tls-skip-verify, -tls-server-name, -wrap-ttl)
 *   > ARCA_<NAME> environment variable
 *   > VAULT_<NAME> environment variable
 *   > default (address https://127.0.0.1:8200, as Vault)
 *
 * ARCA_ variables win over VAULT_ ones so one shell can talk to Arca and keep a VAULT_ADDR for
 * a real Vault. The token has no flag: ARCA_TOKEN > VAULT_TOKEN > the token helper file
 * ~/.vault-token (what `arca login` and a dev server write, read the same way as Vault's
 * default token helper).
 */
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { parseDurationSeconds } from '../util/duration.js';
import { parseGoBool } from './flags.js';

export type Env = Readonly<Record<string, string | undefined>>;

export const DEFAULT_ADDRESS = 'https://127.0.0.1:8200';
/** Vault's client gives up on a request after 60 s unless told otherwise. */
export const DEFAULT_TIMEOUT_SECONDS = 60;
export const TOKEN_FILE_NAME = '.vault-token';

export interface ClientSettings {
  /** Base address without a trailing slash, e.g. "http://127.0.0.1:8200". */
  readonly address: string;
  /** Empty when no token is configured (unauthenticated endpoints still work). */
  readonly token: string;
  /** PEM bundle path used to verify the server, if any. */
  readonly caCert: string | undefined;
  readonly tlsSkipVerify: boolean;
  readonly tlsServerName: string | undefined;
  readonly timeoutMs: number;
  /** Seconds to ask the server to wrap responses for (X-Vault-Wrap-TTL); unset or 0 = none. */
  readonly wrapTTL?: number | undefined;
}

/** Values of the global HTTP flags; undefined means "not given on the command line". */
export interface ClientFlagValues {
  readonly address?: string | undefined;
  readonly caCert?: string | undefined;
  readonly tlsSkipVerify?: boolean | undefined;
  readonly tlsServerName?: string | undefined;
  /** -wrap-ttl, in seconds. */
  readonly wrapTTL?: number | undefined;
}

/** A configuration problem found before any request is made (local error, exit 1). */
export class ClientConfigError extends Error {}

/** ARCA_<name>, else VAULT_<name>; empty strings count as unset, as in Vault. */
export function envSetting(env: Env, name: string): string | undefined {
  for (const key of [`ARCA_${name}`, `VAULT_${name}`]) {
    const v = env[key];
    if (v !== undefined && v !== '') return v;
  }
  return undefined;
}

/** The home directory the token helper uses: $HOME when set, as Go's os.UserHomeDir. */
export function homeDirectory(env: Env): string {
  const home = env['HOME'];
  return home !== undefined && home !== '' ? home : homedir();
}

/** Vault's default token helper: the trimmed contents of ~/.vault-token, or '' when absent. */
export function readTokenHelper(env: Env): string {
  const file = join(homeDirectory(env), TOKEN_FILE_NAME);
  try {
    return readFileSync(file, 'utf8').trim();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return '';
    throw new ClientConfigError(`error reading token helper file ${file}: ${(err as Error).message}`);
  }
}

/**
 * Store a token the way Vault's default token helper does: ~/.vault-token, owner-only. The
 * file is written beside the target and renamed over it so a reader never sees half a token.
 */
export function writeTokenHelper(env: Env, token: string): void {
  const file = join(homeDirectory(env), TOKEN_FILE_NAME);
  const temp = `${file}.${process.pid}.tmp`;
  writeFileSync(temp, token, { encoding: 'utf8', mode: 0o600 });
  renameSync(temp, file);
}

export function resolveClientSettings(flags: ClientFlagValues, env: Env): ClientSettings {
  const rawAddress = flags.address ?? envSetting(env, 'ADDR') ?? DEFAULT_ADDRESS;
  const address = normalizeAddress(rawAddress);

  let tlsSkipVerify = flags.tlsSkipVerify;
  if (tlsSkipVerify === undefined) {
    const raw = envSetting(env, 'SKIP_VERIFY');
    if (raw !== undefined) {
      const parsed = parseGoBool(raw);
      if (parsed === undefined) throw new ClientConfigError(`could not parse SKIP_VERIFY value ${JSON.stringify(raw)}`);
      tlsSkipVerify = parsed;
    }
  }

  let timeoutSeconds = DEFAULT_TIMEOUT_SECONDS;
  const rawTimeout = envSetting(env, 'CLIENT_TIMEOUT');
  if (rawTimeout !== undefined) {
    try {
      timeoutSeconds = parseDurationSeconds(rawTimeout);
    } catch {
      throw new ClientConfigError(`could not parse CLIENT_TIMEOUT value ${JSON.stringify(rawTimeout)}`);
    }
    if (timeoutSeconds <= 0) timeoutSeconds = DEFAULT_TIMEOUT_SECONDS;
  }

  let wrapTTL = flags.wrapTTL;
  const rawWrap = wrapTTL === undefined ? envSetting(env, 'WRAP_TTL') : undefined;
  if (rawWrap !== undefined) {
    try {
      wrapTTL = parseDurationSeconds(rawWrap);
    } catch {
      throw new ClientConfigError(`could not parse WRAP_TTL value ${JSON.stringify(rawWrap)}`);
    }
  }

  return {
    address,
    token: envSetting(env, 'TOKEN') ?? readTokenHelper(env),
    wrapTTL,
    caCert: flags.caCert ?? envSetting(env, 'CACERT'),
    tlsSkipVerify: tlsSkipVerify ?? false,
    tlsServerName: flags.tlsServerName ?? envSetting(env, 'TLS_SERVER_NAME'),
    timeoutMs: timeoutSeconds * 1000,
  };
}

/** Accept "http(s)://host[:port][/]"; anything else is a configuration error. */
export function normalizeAddress(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    throw new ClientConfigError(`invalid address ${JSON.stringify(raw)}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ClientConfigError(`unsupported protocol scheme ${JSON.stringify(url.protocol.replace(/:$/, ''))} in address`);
  }
  const path = url.pathname.replace(/\/+$/, '');
  return `${url.protocol}//${url.host}${path}`;
}
