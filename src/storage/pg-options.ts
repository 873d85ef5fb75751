/**
 * The `storage "postgresql"` options: Vault's keys, their defaults, and one Arca addition
 * (`startup_timeout`). The config loader checks each key with `checkPostgresOption` so a typo
 * fails at load time with its line; `parsePostgresOptions` builds the typed options when the
 * backend opens. Messages name keys, never values (the URL holds a password).
 */

import { parseDurationSeconds } from '../util/duration.js';
import { parseConnectionUrl } from './pg-connection.js';

export interface PostgresOptions {
  /** From `connection_url` or, overriding it as in Vault, VAULT_PG_CONNECTION_URL. */
  readonly connectionUrl: string;
  /** The quoted, possibly schema-qualified, data table: `"vault_kv_store"`. */
  readonly table: string;
  /** Connection pool size. */
  readonly maxParallel: number;
  /** High availability: the lock table is created and nodes elect an active one (src/ha/). */
  readonly haEnabled: boolean;
  readonly haTable: string;
  /** How long a starting server keeps retrying an unreachable database, in milliseconds. */
  readonly startupTimeoutMs: number;
}

/** Vault's own default table names, so a Vault configuration carries over unchanged. */
export const DEFAULT_TABLE = 'vault_kv_store';
export const DEFAULT_HA_TABLE = 'vault_ha_locks';
/**
 * Vault defaults max_parallel to 128; PostgreSQL's default max_connections is 100 and several
 * nodes share one database, so Arca opens at most 32. Commits from concurrent connections
 * already share WAL flushes inside PostgreSQL, so more connections buy little.
 */
export const DEFAULT_MAX_PARALLEL = 32;
export const DEFAULT_STARTUP_TIMEOUT_MS = 60_000;
export const CONNECTION_URL_ENV = 'VAULT_PG_CONNECTION_URL';

/** A bad option; `key` is the stanza key it concerns. */
export class PostgresOptionError extends Error {
  constructor(
    readonly key: string,
    problem: string,
  ) {
    super(`${JSON.stringify(key)}: ${problem}`);
  }
}

type Check = (value: string) => string | undefined;

const identifierProblem: Check = (value) => (quoteTableName(value) === undefined
  ? 'must be a table name of letters, digits and "_" (optionally "schema.table"), at most 63 characters each'
  : undefined);

const CHECKS: Readonly<Record<string, Check>> = {
  connection_url: (value) => {
    if (value.trim() === '') return undefined; // may come from VAULT_PG_CONNECTION_URL
    try {
      parseConnectionUrl(value);
      return undefined;
    } catch (err) {
      return (err as Error).message;
    }
  },
  table: identifierProblem,
  ha_table: identifierProblem,
  max_parallel: (value) => (parsePositiveInt(value) === undefined ? 'must be a positive integer' : undefined),
  // Vault's knob for idle connections; the pool closes connections idle for 30 s instead.
  max_idle_connections: (value) => (/^\d+$/.test(value.trim()) ? undefined : 'must be a non-negative integer'),
  ha_enabled: (value) => (parseBool(value) === undefined ? 'must be true or false' : undefined),
  // Vault's pre-9.5 upsert function; Arca requires 9.5+ and uses ON CONFLICT.
  upsert_function: () => undefined,
  startup_timeout: (value) => (parseTimeoutMs(value) === undefined ? 'must be a duration such as "60s" (0 = try once)' : undefined),
};

/** The problem with one option, or undefined. Unknown keys are problems. */
export function checkPostgresOption(key: string, value: string): string | undefined {
  const check = CHECKS[key];
  if (check === undefined) return `unknown key ${JSON.stringify(key)} (known: ${Object.keys(CHECKS).join(', ')})`;
  const problem = check(value);
  return problem === undefined ? undefined : `${JSON.stringify(key)} ${problem}`;
}

export function parsePostgresOptions(
  options: Readonly<Record<string, string>>,
  env: Readonly<Record<string, string | undefined>> = process.env,
): PostgresOptions {
  for (const [key, value] of Object.entries(options)) {
    const problem = checkPostgresOption(key, value);
    if (problem !== undefined) throw new PostgresOptionError(key, problem.replace(/^"[^"]*" /, ''));
  }
  const fromEnv = env[CONNECTION_URL_ENV];
  const connectionUrl = fromEnv !== undefined && fromEnv !== '' ? fromEnv : (options['connection_url'] ?? '').trim();
  if (connectionUrl === '') {
    throw new PostgresOptionError('connection_url', `is required (or set ${CONNECTION_URL_ENV})`);
  }
  if (fromEnv !== undefined && fromEnv !== '') {
    try {
      parseConnectionUrl(fromEnv);
    } catch (err) {
      throw new PostgresOptionError(CONNECTION_URL_ENV, (err as Error).message);
    }
  }
  const table = quoteTableName(options['table'] ?? DEFAULT_TABLE) as string;
  const haTable = quoteTableName(options['ha_table'] ?? DEFAULT_HA_TABLE) as string;
  return {
    connectionUrl,
    table,
    haTable,
    maxParallel: options['max_parallel'] === undefined ? DEFAULT_MAX_PARALLEL : (parsePositiveInt(options['max_parallel']) as number),
    haEnabled: options['ha_enabled'] === undefined ? false : (parseBool(options['ha_enabled']) as boolean),
    startupTimeoutMs: options['startup_timeout'] === undefined ? DEFAULT_STARTUP_TIMEOUT_MS : (parseTimeoutMs(options['startup_timeout']) as number),
  };
}

/**
 * `name` or `schema.name`, each part a plain identifier, returned double-quoted so the case
 * written is the case used. Undefined when not acceptable.
 */
export function quoteTableName(name: string): string | undefined {
  const parts = name.split('.');
  if (parts.length > 2) return undefined;
  if (!parts.every((p) => /^[A-Za-z_][A-Za-z0-9_]{0,62}$/.test(p))) return undefined;
  return parts.map((p) => `"${p}"`).join('.');
}

function parsePositiveInt(value: string): number | undefined {
  const s = value.trim();
  if (!/^\d+$/.test(s)) return undefined;
  const n = Number(s);
  return Number.isSafeInteger(n) && n > 0 ? n : undefined;
}

/** Go's strconv.ParseBool, which Vault uses for storage options. */
function parseBool(value: string): boolean | undefined {
  const s = value.trim();
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(s)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(s)) return false;
  return undefined;
}

function parseTimeoutMs(value: string): number | undefined {
  try {
    const seconds = parseDurationSeconds(value);
    return seconds >= 0 && seconds <= 86_400 ? seconds * 1000 : undefined;
  } catch {
    return undefined;
  }
}
