/**
 * Sorting node-pg's failures: which mean "the database cannot be reached right now" (503 to a
 * client, retried while a server starts) and which are real errors (wrong password, missing
 * database, no privilege: retrying cannot help). Decided by SQLSTATE and by Node's system error
 * codes, never by message text.
 */

import pg from 'pg';
import { PostgresSetupError } from './pg-connection.js';

/** Node system errors of a connection that failed or broke. */
const NETWORK_CODES = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'ECONNABORTED', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'EHOSTDOWN',
  'ENETUNREACH', 'ENETDOWN', 'EAI_AGAIN', 'ENOTFOUND', 'ENOENT', 'EADDRNOTAVAIL',
]);

/**
 * SQLSTATEs of a database that is there but cannot serve: class 08 (connection exception),
 * class 53 (insufficient resources: too many connections, disk full), 57P01-57P03 (shutting
 * down, crashed, starting up) and 25006 (a read-only standby, as after a failover).
 */
function isUnavailableState(code: string): boolean {
  return code.startsWith('08') || code.startsWith('53') || code === '57P01' || code === '57P02' || code === '57P03' || code === '25006';
}

/** The host could not be reached at all (as opposed to a refused login or TLS handshake). */
export function isNetworkFailure(err: unknown): boolean {
  if (err instanceof PostgresSetupError || isServerError(err)) return false;
  const code = systemCode(err);
  return code !== undefined && NETWORK_CODES.has(code);
}

/** A server-side error (it carries a SQLSTATE). */
export function isServerError(err: unknown): err is pg.DatabaseError {
  return err instanceof pg.DatabaseError;
}

/** The Node system error code of err, looking inside an AggregateError (both address families refused). */
function systemCode(err: unknown): string | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string') return code;
  const inner = (err as { errors?: unknown }).errors;
  return Array.isArray(inner) ? systemCode(inner[0]) : undefined;
}

/**
 * The database cannot be reached or cannot serve right now. Besides the codes above, any
 * failure node-pg raises without a code (connection terminated, timed out acquiring or
 * connecting, client no longer queryable) is about the connection, not the statement.
 */
export function isUnavailable(err: unknown): boolean {
  if (err instanceof PostgresSetupError) return false;
  if (isServerError(err)) return typeof err.code === 'string' && isUnavailableState(err.code);
  if (!(err instanceof Error) || err instanceof TypeError || err instanceof RangeError) return false;
  const code = systemCode(err);
  return code === undefined || NETWORK_CODES.has(code);
}

/**
 * Retrying at start can help: unavailable as above, or a concurrent node creating the same
 * table at the same moment (the loser sees a duplicate and finds the table on its next try).
 */
export function isTransientAtStart(err: unknown): boolean {
  if (isServerError(err) && (err.code === '23505' || err.code === '42P07')) return true;
  return isUnavailable(err);
}

/**
 * The statement lost a deadlock or a serialization check and was rolled back whole: running it
 * again is safe (every statement here is idempotent) and will usually succeed.
 */
export function isRetryableConflict(err: unknown): boolean {
  return isServerError(err) && (err.code === '40P01' || err.code === '40001');
}

const FRIENDLY: Readonly<Record<string, string>> = {
  ECONNREFUSED: 'connection refused (is PostgreSQL running and listening there?)',
  ENOTFOUND: 'host name not found',
  EAI_AGAIN: 'host name lookup failed temporarily',
  ETIMEDOUT: 'connection timed out',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ECONNRESET: 'connection reset by the server',
  ENOENT: 'no server socket there',
};

/**
 * One line for logs and startup errors: the driver's message and its code, with `secret` (the
 * password) blanked should a message ever contain it. Never the `detail` of a server error,
 * which can quote row contents.
 */
export function describePgError(err: unknown, secret?: string): string {
  let text: string;
  if (isServerError(err)) {
    text = `${err.message} (SQLSTATE ${err.code ?? 'unknown'})`;
  } else if (err instanceof Error) {
    const code = systemCode(err);
    const friendly = code === undefined ? undefined : FRIENDLY[code];
    const message = err.message !== '' ? err.message : (err as { errors?: unknown[] }).errors?.map((e) => (e as Error).message).join('; ') ?? '';
    text = friendly !== undefined ? `${friendly}: ${message} (${code})` : code !== undefined ? `${message} (${code})` : message;
  } else {
    text = String(err);
  }
  return secret !== undefined && secret !== '' ? text.split(secret).join('***') : text;
}
