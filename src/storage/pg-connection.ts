/**
 * `connection_url` in either of libpq's spellings, `postgres://user:pw@host:port/db?sslmode=...`
 * or `host=... port=... user=... password='...' dbname=... sslmode=...`, turned into node-pg
 * client settings. Unset parts fall back to the PG* environment variables as libpq's do.
 *
 * Nothing here ever puts the URL or the password into a message: `describe` names host, port,
 * database and user only, and is what every connection error quotes.
 */

import { readFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import type { ClientConfig } from 'pg';

/**
 * A database or setting Arca cannot use as it is (wrong encoding, too old, a foreign table under
 * the configured name, an unreadable certificate file): retrying cannot help.
 */
export class PostgresSetupError extends Error {}

export type SslMode = 'disable' | 'allow' | 'prefer' | 'require' | 'verify-ca' | 'verify-full';
const SSL_MODES: readonly SslMode[] = ['disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full'];

export interface ConnectionTarget {
  /** Host name, IP address, or a unix socket directory (starts with "/"). */
  readonly host: string;
  readonly port: number;
  readonly database: string;
  readonly user: string;
  /** Undefined: node-pg may still find one in ~/.pgpass. */
  readonly password: string | undefined;
  readonly sslMode: SslMode;
  readonly sslRootCert: string | undefined;
  readonly sslCert: string | undefined;
  readonly sslKey: string | undefined;
  readonly connectTimeoutMs: number | undefined;
  readonly applicationName: string | undefined;
}

const PARAMS = ['host', 'port', 'user', 'password', 'dbname', 'sslmode', 'sslrootcert', 'sslcert', 'sslkey', 'connect_timeout', 'application_name'] as const;
type Param = (typeof PARAMS)[number];

/** Parse; throws Error with a message that never quotes the input. */
export function parseConnectionUrl(url: string, env: Readonly<Record<string, string | undefined>> = process.env): ConnectionTarget {
  const text = url.trim();
  const params = /^postgres(ql)?:\/\//i.test(text) ? fromUrl(text) : fromKeywords(text);
  const hostParam = params.get('host') ?? env['PGHOST'] ?? '';
  if (hostParam.includes(',')) throw new Error('lists several hosts; Arca connects to one host (put a proxy or a virtual IP in front)');
  const host = hostParam === '' ? 'localhost' : hostParam;
  const portText = params.get('port') ?? env['PGPORT'] ?? '5432';
  const port = /^\d{1,5}$/.test(portText) ? Number(portText) : NaN;
  if (!(port >= 1 && port <= 65535)) throw new Error('has an invalid port');
  const user = params.get('user') ?? env['PGUSER'] ?? userInfo().username;
  const database = params.get('dbname') ?? env['PGDATABASE'] ?? user;
  const modeText = (params.get('sslmode') ?? env['PGSSLMODE'] ?? 'prefer').toLowerCase();
  const sslMode = SSL_MODES.find((m) => m === modeText);
  if (sslMode === undefined) throw new Error(`has an unknown sslmode (one of: ${SSL_MODES.join(', ')})`);
  const timeoutText = params.get('connect_timeout');
  let connectTimeoutMs: number | undefined;
  if (timeoutText !== undefined) {
    if (!/^\d+$/.test(timeoutText)) throw new Error('has an invalid connect_timeout (whole seconds)');
    connectTimeoutMs = Number(timeoutText) > 0 ? Number(timeoutText) * 1000 : undefined;
  }
  if (sslMode === 'verify-ca' && params.get('sslrootcert') === undefined) throw new Error('uses sslmode=verify-ca without sslrootcert');
  return {
    host,
    port,
    database,
    user,
    password: params.get('password') ?? env['PGPASSWORD'],
    sslMode,
    sslRootCert: params.get('sslrootcert'),
    sslCert: params.get('sslcert'),
    sslKey: params.get('sslkey'),
    connectTimeoutMs,
    applicationName: params.get('application_name'),
  };
}

/** `host:port (database "d", user "u")`: safe for logs and error messages. */
export function describeTarget(t: ConnectionTarget): string {
  const where = t.host.startsWith('/') ? `socket ${t.host}/.s.PGSQL.${t.port}` : `${t.host.includes(':') ? `[${t.host}]` : t.host}:${t.port}`;
  return `${where} (database ${JSON.stringify(t.database)}, user ${JSON.stringify(t.user)})`;
}

/**
 * The client settings to try, in order. `allow` and `prefer` yield two (plain then TLS, or TLS
 * then plain); the first that connects is kept for the pool, so one decision serves every
 * connection rather than each connection negotiating on its own.
 */
export function clientConfigs(t: ConnectionTarget): ClientConfig[] {
  const base: ClientConfig = {
    host: t.host,
    port: t.port,
    database: t.database,
    user: t.user,
    ...(t.password !== undefined ? { password: t.password } : {}),
    ...(t.connectTimeoutMs !== undefined ? { connectionTimeoutMillis: t.connectTimeoutMs } : {}),
    application_name: t.applicationName ?? 'arca',
  };
  const files = (): { ca?: string; cert?: string; key?: string } => ({
    ...(t.sslRootCert !== undefined ? { ca: readPem(t.sslRootCert, 'sslrootcert') } : {}),
    ...(t.sslCert !== undefined ? { cert: readPem(t.sslCert, 'sslcert') } : {}),
    ...(t.sslKey !== undefined ? { key: readPem(t.sslKey, 'sslkey') } : {}),
  });
  const unverified: ClientConfig = { ...base, ssl: { ...files(), rejectUnauthorized: false } };
  switch (t.sslMode) {
    case 'disable':
      return [{ ...base, ssl: false }];
    case 'allow':
      return [{ ...base, ssl: false }, unverified];
    case 'prefer':
      return [unverified, { ...base, ssl: false }];
    case 'require':
      // As libpq: with a root certificate, require verifies the chain (not the host name).
      return t.sslRootCert === undefined ? [unverified] : [{ ...base, ssl: { ...files(), checkServerIdentity: () => undefined } }];
    case 'verify-ca':
      return [{ ...base, ssl: { ...files(), checkServerIdentity: () => undefined } }];
    case 'verify-full':
      return [{ ...base, ssl: { ...files() } }];
  }
}

function readPem(path: string, param: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new PostgresSetupError(`cannot read the ${param} file ${JSON.stringify(path)}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
  }
}

function fromUrl(text: string): Map<Param, string> {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new Error('is not a valid postgres:// URL');
  }
  const out = new Map<Param, string>();
  const decode = (s: string, what: string): string => {
    try {
      return decodeURIComponent(s);
    } catch {
      throw new Error(`has a badly percent-encoded ${what}`);
    }
  };
  if (url.hostname !== '') out.set('host', decode(url.hostname, 'host').replace(/^\[(.*)\]$/, '$1'));
  if (url.port !== '') out.set('port', url.port);
  if (url.username !== '') out.set('user', decode(url.username, 'user name'));
  if (url.password !== '') out.set('password', decode(url.password, 'password'));
  const path = url.pathname.replace(/^\//, '');
  if (path !== '') out.set('dbname', decode(path, 'database name'));
  for (const [key, value] of url.searchParams) setParam(out, key, value);
  return out;
}

/** libpq's `key=value key='quoted \' value'` form. */
function fromKeywords(text: string): Map<Param, string> {
  const out = new Map<Param, string>();
  let i = 0;
  const skipSpace = (): void => {
    while (i < text.length && /\s/.test(text[i] as string)) i++;
  };
  skipSpace();
  if (i === text.length || !/^[a-z_]+\s*=/.test(text.slice(i))) {
    throw new Error('is neither a postgres:// URL nor a "key=value ..." connection string');
  }
  while (i < text.length) {
    const m = /^([a-z_]+)\s*=\s*/.exec(text.slice(i));
    if (m === null) throw new Error('is a malformed "key=value ..." connection string');
    i += m[0].length;
    let value = '';
    if (text[i] === "'") {
      i++;
      for (;;) {
        if (i >= text.length) throw new Error('has an unterminated quoted value');
        const c = text[i] as string;
        if (c === "'") break;
        if (c === '\\' && i + 1 < text.length) {
          value += text[i + 1];
          i += 2;
          continue;
        }
        value += c;
        i++;
      }
      i++;
    } else {
      while (i < text.length && !/\s/.test(text[i] as string)) {
        if (text[i] === '\\' && i + 1 < text.length) i++;
        value += text[i];
        i++;
      }
    }
    setParam(out, m[1] as string, value);
    skipSpace();
  }
  return out;
}

function setParam(out: Map<Param, string>, key: string, value: string): void {
  const param = PARAMS.find((p) => p === key);
  if (param === undefined) throw new Error(`has an unsupported parameter ${JSON.stringify(key)} (supported: ${PARAMS.join(', ')})`);
  out.set(param, value);
}
