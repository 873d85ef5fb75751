/**
 * The PostgreSQL schema and every statement the backend runs.
 *
 * Data: one table `(key text COLLATE "C" PRIMARY KEY, value bytea NOT NULL)`. The primary key is
 * the ordered index that listing seeks in, and "C" makes its order byte order of UTF-8, which is
 * code point order (one-level.ts). HA lock (created when ha_enabled, used by the HA change): one
 * row per lock, `(ha_key PRIMARY KEY, ha_identity, ha_value, valid_until)`, the shape Vault uses,
 * so a lock is an upsert guarded by `valid_until < now()` and a lease is renewed by updating
 * valid_until.
 *
 * A table of another shape under the configured name (a Vault table, whose `key` column holds only
 * the last path segment) is refused at start rather than written into.
 */

import type pg from 'pg';
import { PostgresSetupError } from './pg-connection.js';

/**
 * PostgreSQL refuses btree entries over about 2,700 bytes; a key's UTF-8 form longer than this
 * cannot be indexed (ASCII keys, at most 2,048 bytes, always can).
 */
export const MAX_KEY_BYTES = 2600;

export interface Statements {
  readonly get: string;
  readonly put: string;
  readonly delete: string;
  readonly batch: string;
  /** One level of listing: [unbounded, bounded above by $5]. */
  readonly list: readonly [string, string];
}

export function statements(table: string): Statements {
  return {
    get: `SELECT value FROM ${table} WHERE key = $1`,
    put: `INSERT INTO ${table} (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value`,
    delete: `DELETE FROM ${table} WHERE key = $1`,
    // One statement, so one atomic commit and one round trip. The caller reduces the batch to
    // each key's last op, so the deleted and the written keys are disjoint.
    batch:
      `WITH removed AS (DELETE FROM ${table} WHERE key = ANY($1::text[])) ` +
      `INSERT INTO ${table} (key, value) SELECT k, v FROM unnest($2::text[], $3::bytea[]) AS u(k, v) ` +
      `ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value`,
    list: [listStatement(table, ''), listStatement(table, ' AND key < $5::text')],
  };
}

/**
 * One-level listing in one round trip, with the walk of one-level.ts done by the server: find the
 * first key at or after $2; if it lies in a child folder, seek straight past that folder
 * ("name" + "0"), else past the key itself (key || chr(1) is the next possible string, as keys
 * hold no NUL). Each step is one index probe, so the cost is the number of entries returned,
 * whatever lies deeper. PostgreSQL evaluates the recursive walk only as far as LIMIT pulls it.
 *
 * $1 prefix, $2 first key to consider, $3 `after` ('' = none), $4 limit (NULL = none), and in
 * the bounded variant $5, the first key past the prefix's subtree.
 */
function listStatement(table: string, upper: string): string {
  const start = 'char_length($1::text) + 1';
  const rest = (k: string): string => `substr(${k}, ${start})`;
  const slash = (k: string): string => `strpos(${rest(k)}, '/')`;
  const next = (k: string): string =>
    `CASE WHEN ${slash(k)} = 0 THEN ${k} || chr(1) ELSE substr(${k}, 1, ${start} + ${slash(k)} - 2) || '0' END`;
  return (
    `WITH RECURSIVE walk(k) AS (` +
    `SELECT (SELECT key FROM ${table} WHERE key >= $2::text${upper} ORDER BY key LIMIT 1) ` +
    `UNION ALL ` +
    `SELECT (SELECT key FROM ${table} WHERE key >= ${next('w.k')}${upper} ORDER BY key LIMIT 1) FROM walk w WHERE w.k IS NOT NULL` +
    `) ` +
    `SELECT entry FROM (` +
    `SELECT CASE WHEN ${slash('k')} = 0 THEN ${rest('k')} ELSE substr(k, ${start}, ${slash('k')}) END AS entry ` +
    `FROM walk WHERE k IS NOT NULL` +
    `) e WHERE entry > $3::text COLLATE "C" LIMIT $4::bigint`
  );
}

export interface ServerFacts {
  /** PostgreSQL's `synchronous_commit` for our role and database. */
  readonly synchronousCommit: string;
  readonly version: number;
}

/** Check the server, create the tables if missing, and refuse a table of another shape. */
export async function prepareSchema(client: pg.ClientBase, table: string, ha: { enabled: boolean; table: string }): Promise<ServerFacts> {
  const facts = await client.query<{ version: number; encoding: string; sync: string }>(
    `SELECT current_setting('server_version_num')::int AS version, current_setting('server_encoding') AS encoding, ` +
      `current_setting('synchronous_commit') AS sync`,
  );
  const row = facts.rows[0];
  if (row === undefined) throw new PostgresSetupError('the server returned no settings');
  if (row.version < 90500) throw new PostgresSetupError(`PostgreSQL ${row.version} is too old: Arca needs 9.5 or later`);
  if (row.encoding !== 'UTF8') {
    throw new PostgresSetupError(`the database encoding is ${row.encoding}; Arca needs a UTF8 database to store keys unchanged`);
  }
  await client.query(`CREATE TABLE IF NOT EXISTS ${table} (key TEXT COLLATE "C" PRIMARY KEY, value BYTEA NOT NULL)`);
  await checkDataTable(client, table);
  if (ha.enabled) {
    await client.query(
      `CREATE TABLE IF NOT EXISTS ${ha.table} (ha_key TEXT COLLATE "C" PRIMARY KEY, ha_identity TEXT COLLATE "C" NOT NULL, ` +
        `ha_value TEXT COLLATE "C", valid_until TIMESTAMP WITH TIME ZONE NOT NULL)`,
    );
  }
  return { synchronousCommit: row.sync, version: row.version };
}

async function checkDataTable(client: pg.ClientBase, table: string): Promise<void> {
  const cols = await client.query<{ name: string; type: string; notnull: boolean; collation: string | null; pk: boolean }>(
    `SELECT a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type, a.attnotnull AS notnull, c.collname AS collation,
            EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = a.attrelid AND i.indisprimary AND i.indnatts = 1 AND a.attnum = ANY(i.indkey)) AS pk
       FROM pg_attribute a LEFT JOIN pg_collation c ON c.oid = a.attcollation
      WHERE a.attrelid = to_regclass($1) AND a.attnum > 0 AND NOT a.attisdropped
      ORDER BY a.attnum`,
    [table],
  );
  const shape = cols.rows.map((c) => `${c.name} ${c.type}${c.collation !== null && c.collation !== 'default' ? ` collate ${c.collation}` : ''}`);
  const [key, value] = cols.rows;
  const ok =
    cols.rows.length === 2 &&
    key?.name === 'key' && key.type === 'text' && key.collation === 'C' && key.pk &&
    value?.name === 'value' && value.type === 'bytea' && value.notnull;
  if (!ok) {
    throw new PostgresSetupError(
      `table ${table} exists but is not an Arca storage table (it has: ${shape.join(', ') || 'no columns'}; ` +
        `expected: key text collate C primary key, value bytea not null); set "table" to another name`,
    );
  }
}
