/**
 * The PostgreSQL plugin (`postgresql-database-plugin`): one `pg` pool per config, statements
 * run in a transaction so a failing statement leaves nothing half-created, and PostgreSQL's
 * defaults where a role gives no statements (VALID UNTIL on renew, ALTER ROLE ... PASSWORD on
 * rotation, reassign/drop owned and DROP ROLE on revocation).
 */
import pg from 'pg';
import { formatExpiration, scramSha256Verifier } from './credentials.js';
import { PluginError, type ConnectionDetails, type DatabasePlugin, type NewUser } from './plugin-api.js';
import { urlPassword, type Redactor } from './redact.js';
import { parseStatements, quoteIdentifier, quoteLiteral, renderStatement, type TemplateValues } from './statements.js';

export const POSTGRES_PLUGIN_NAME = 'postgresql-database-plugin';
/** Vault's default pool size for SQL plugins. */
export const DEFAULT_MAX_OPEN_CONNECTIONS = 4;
/** A connection attempt longer than this fails instead of hanging a request. */
const CONNECT_TIMEOUT_MS = 15_000;
/** Idle connections close after this (Vault keeps up to max_idle_connections; pg pools close by age). */
const IDLE_TIMEOUT_MS = 30_000;

export function validatePostgres(details: ConnectionDetails): void {
  if (details.connectionUrl === '') throw new PluginError('connection_url cannot be empty');
  if (details.maxOpenConnections < 0) throw new PluginError('max_open_connections cannot be negative');
}

/** The connection URL with `{{username}}`/`{{name}}` and `{{password}}` filled in (percent-encoded). */
export function connectionString(details: ConnectionDetails): string {
  const enc = details.disableEscaping ? (s: string) => s : encodeURIComponent;
  return details.connectionUrl.replace(/\{\{\s*(username|name|password)\s*\}\}/g, (_whole, key: string) =>
    key === 'password' ? enc(details.password) : enc(details.username),
  );
}

export function openPostgres(details: ConnectionDetails, redactor: Redactor): DatabasePlugin {
  const r = redactor.with(details.password, urlPassword(details.connectionUrl));
  const maxIdle = details.maxIdleConnections;
  const pool = new pg.Pool({
    connectionString: connectionString(details),
    max: details.maxOpenConnections > 0 ? details.maxOpenConnections : DEFAULT_MAX_OPEN_CONNECTIONS,
    // A negative max_idle_connections disables idle connections (closed right after use).
    idleTimeoutMillis: maxIdle < 0 ? 1 : IDLE_TIMEOUT_MS,
    maxLifetimeSeconds: Math.max(0, details.maxConnectionLifetime),
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    allowExitOnIdle: true,
  });
  // An idle connection that dies (server restart) is dropped by the pool and replaced on next
  // use; without a listener the 'error' event would crash the process.
  pool.on('error', () => undefined);
  let closed: Promise<void> | undefined;
  const listened = new WeakSet<pg.PoolClient>();

  const connect = async (what: string, calls: Redactor): Promise<pg.PoolClient> => {
    if (closed !== undefined) throw new PluginError(`${what}: connection closed`);
    let client: pg.PoolClient;
    try {
      client = await pool.connect();
    } catch (err) {
      throw new PluginError(`${what}: ${calls.message(err)}`);
    }
    // A checked-out connection can die between two queries; the next query then fails, but
    // the 'error' event itself needs a listener or it would crash the process.
    if (!listened.has(client)) {
      client.on('error', () => undefined);
      listened.add(client);
    }
    return client;
  };

  /**
   * Run queries in one transaction; any failure rolls everything back. Concurrent GRANTs on one
   * object make PostgreSQL abort one of them ("tuple concurrently updated"; also deadlocks and
   * serialization failures): the rolled-back transaction is retried a few times with jitter, so
   * parallel credential requests do not fail as they do on Vault.
   */
  const inTransaction = async (what: string, calls: Redactor, queries: readonly string[]): Promise<void> => {
    for (let attempt = 1; ; attempt++) {
      try {
        return await inTransactionOnce(what, calls, queries);
      } catch (err) {
        if (!(err instanceof ConcurrentUpdate) || attempt >= CONCURRENT_RETRIES) throw err instanceof ConcurrentUpdate ? err.failure : err;
        // Growing, jittered waits: the colliding transactions spread out instead of meeting again.
        await new Promise((resolve) => setTimeout(resolve, 10 * attempt + Math.random() * 10 * attempt));
      }
    }
  };

  const inTransactionOnce = async (what: string, calls: Redactor, queries: readonly string[]): Promise<void> => {
    const client = await connect(what, calls);
    let broken = false;
    try {
      await client.query('BEGIN');
      for (const q of queries) await client.query(q);
      await client.query('COMMIT');
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {
        broken = true;
      });
      const failure = new PluginError(`${what}: ${calls.message(err)}`);
      throw !broken && isConcurrentUpdate(err) ? new ConcurrentUpdate(failure) : failure;
    } finally {
      client.release(broken);
    }
  };

  const render = (statements: readonly string[], values: TemplateValues): string[] =>
    parseStatements(statements).map((s) => renderStatement(s, values));

  /** What PostgreSQL receives as the new password: the plaintext or a SCRAM verifier of it. */
  const passwordLiteral = (password: string): string =>
    details.passwordAuthentication === 'scram-sha-256' ? scramSha256Verifier(password) : password;

  return {
    async verify() {
      const client = await connect('error verifying connection', r);
      try {
        await client.query('SELECT 1');
      } catch (err) {
        throw new PluginError(`error verifying connection: ${r.message(err)}`);
      } finally {
        client.release();
      }
    },

    async createUser(req: NewUser) {
      const password = passwordLiteral(req.password);
      const calls = r.with(req.password, password);
      const queries = render(req.statements, { name: req.username, password, expiration: formatExpiration(req.expiration) });
      if (queries.length === 0) throw new PluginError('empty creation statements');
      await inTransaction('unable to create user', calls, queries);
    },

    async renewUser(req) {
      const expiration = formatExpiration(req.expiration);
      const queries =
        req.statements.length > 0
          ? render(req.statements, { name: req.username, expiration })
          : [`ALTER ROLE ${quoteIdentifier(req.username)} VALID UNTIL ${quoteLiteral(expiration)}`];
      await inTransaction('unable to renew user', r, queries);
    },

    async revokeUser(req) {
      if (req.statements.length > 0) {
        await inTransaction('unable to revoke user', r, render(req.statements, { name: req.username }));
        return;
      }
      await defaultRevoke(req.username);
    },

    async setPassword(req) {
      const password = passwordLiteral(req.password);
      const calls = r.with(req.password, password);
      const queries =
        req.statements.length > 0
          ? render(req.statements, { name: req.username, password })
          : [`ALTER ROLE ${quoteIdentifier(req.username)} WITH PASSWORD ${quoteLiteral(password)}`];
      await inTransaction('unable to set password', calls, queries);
    },

    close() {
      closed ??= pool.end().catch(() => undefined);
      return closed;
    },
  };

  /**
   * Vault's default revocation: a user that is already gone is revoked; otherwise whatever it
   * owns in this database goes to the engine's own user, its privileges here (and on the
   * database itself) are dropped, and the role is dropped, all in one transaction.
   */
  async function defaultRevoke(username: string): Promise<void> {
    const what = 'unable to revoke user';
    const client = await connect(what, r);
    let exists: boolean;
    try {
      exists = (await client.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [username])).rowCount !== 0;
    } catch (err) {
      throw new PluginError(`${what}: ${r.message(err)}`);
    } finally {
      client.release();
    }
    if (!exists) return;
    const role = quoteIdentifier(username);
    await inTransaction(what, r, [`REASSIGN OWNED BY ${role} TO CURRENT_USER`, `DROP OWNED BY ${role}`, `DROP ROLE IF EXISTS ${role}`]);
  }
}

/** Attempts of one transaction aborted by concurrent catalog updates (waits add up to ~1 s at most). */
const CONCURRENT_RETRIES = 10;

/** A transaction PostgreSQL aborted because another one touched the same catalog rows. */
class ConcurrentUpdate extends Error {
  constructor(readonly failure: PluginError) {
    super(failure.message);
  }
}

function isConcurrentUpdate(err: unknown): boolean {
  const e = err as { code?: unknown; message?: unknown };
  if (e.code === '40001' || e.code === '40P01') return true;
  return e.code === 'XX000' && typeof e.message === 'string' && e.message.includes('tuple concurrently updated');
}
