/**
 * PostgreSQL Physical: shared storage for several nodes (HA) and for data that should live in an
 * existing, backed-up, replicated database. Schema and statements in pg-schema.ts, connection
 * settings in pg-connection.ts, start-up retries in pg-start.ts.
 *
 * Every call is one statement on a pooled connection, in autocommit: a put, a delete and a whole
 * batch each commit atomically and resolve only after COMMIT returned (durable, as the session
 * runs with synchronous_commit on). No group commit here: concurrent commits on several
 * connections already share WAL flushes inside PostgreSQL.
 *
 * Failures: an unreachable or unavailable database is a StorageUnavailableError (503), logged
 * at most every few seconds; any other database error is a plain Error (500, detail in the log
 * only). Neither ever carries a value or the password.
 */

import pg from 'pg';
import { type Clock, systemClock } from '../clock.js';
import { createLogger, type Logger } from '../util/logger.js';
import { StorageClosedError, StorageUnavailableError } from './errors.js';
import { checkLimit, checkPrefix, folderEnd } from './one-level.js';
import { copyValue, prepareBatch } from './ops.js';
import { type ConnectionTarget, describeTarget, parseConnectionUrl } from './pg-connection.js';
import { describePgError, isRetryableConflict, isUnavailable } from './pg-errors.js';
import type { PostgresOptions } from './pg-options.js';
import { type FencedStatements, fencedStatements, runFenced, type WriteFence } from './pg-lock.js';
import { MAX_KEY_BYTES, statements, type Statements } from './pg-schema.js';
import { connectAndPrepare, DEFAULT_CONNECT_TIMEOUT_MS, type StartDeps } from './pg-start.js';
import { type BatchOp, InvalidKeyError, type Physical, checkKey } from './physical.js';

export interface PostgresOpenDeps {
  readonly logger?: Logger;
  readonly clock?: Clock;
  /** For tests: replaces the wait between start-up attempts. */
  readonly sleep?: StartDeps['sleep'];
  /** PG* defaults for what the URL leaves out; process.env when absent. */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/** Idle pooled connections close after this long. */
const IDLE_TIMEOUT_MS = 30_000;
/** The server aborts (and rolls back) any statement running longer. */
const STATEMENT_TIMEOUT_MS = 60_000;
/** Backstop for a silent network partition mid-statement (longer than the server's own limit). */
const QUERY_TIMEOUT_MS = 90_000;
const UNAVAILABLE_LOG_INTERVAL_MS = 5000;
/** Runs of a statement that lost a deadlock or serialization check before its error is returned. */
const CONFLICT_ATTEMPTS = 3;

export class PostgresPhysical implements Physical {
  /**
   * Connect (retrying an unreachable database until `startupTimeoutMs`), check the server,
   * create the tables if missing, then open the pool. Throws PostgresStartError on failure.
   */
  static async open(options: PostgresOptions, deps: PostgresOpenDeps = {}): Promise<PostgresPhysical> {
    const logger = deps.logger ?? createLogger({ fields: { module: 'storage.postgresql' } });
    const clock = deps.clock ?? systemClock;
    const target = parseConnectionUrl(options.connectionUrl, deps.env);
    const started = await connectAndPrepare(target, options, { logger, clock, ...(deps.sleep ? { sleep: deps.sleep } : {}) });
    if (started.facts.synchronousCommit === 'off') {
      logger.warn('synchronous_commit is off for this database; Arca turns it on for its own sessions so acknowledged writes are durable');
    }
    const session: pg.ClientConfig = {
      ...started.config,
      connectionTimeoutMillis: started.config.connectionTimeoutMillis ?? DEFAULT_CONNECT_TIMEOUT_MS,
      keepAlive: true,
      statement_timeout: STATEMENT_TIMEOUT_MS,
      query_timeout: QUERY_TIMEOUT_MS,
      ...(started.facts.synchronousCommit === 'off' ? { options: '-c synchronous_commit=on' } : {}),
    };
    const pool = new pg.Pool({ ...session, max: options.maxParallel, idleTimeoutMillis: IDLE_TIMEOUT_MS });
    const ha = { enabled: options.haEnabled, table: options.haTable, dataTable: options.table, session };
    return new PostgresPhysical(pool, statements(options.table), target, logger, clock, ha);
  }

  /**
   * HA fencing (pg-lock.ts): while a fence is set, every put, delete and batch commits only if
   * the fence's lock claim is still the live one, checked inside the write's own statement.
   */
  setWriteFence(fence: WriteFence | undefined): void {
    this.fence = fence;
    this.fenced = fence === undefined ? undefined : fencedStatements(this.ha.dataTable, this.ha.table);
  }

  /** A new, unconnected client with the pool's settings: the HA lock's dedicated session. */
  newSession(): pg.Client {
    return new pg.Client(this.ha.session);
  }

  /** `ha_enabled` and the quoted lock table name. */
  get haLock(): { readonly enabled: boolean; readonly table: string } {
    return { enabled: this.ha.enabled, table: this.ha.table };
  }

  /** A driver failure as text without the password (for the HA lock's log lines and errors). */
  describeError(err: unknown): string {
    return describePgError(err, this.target.password);
  }

  private closed = false;
  private fence: WriteFence | undefined;
  private fenced: FencedStatements | undefined;
  private closing: Promise<void> | undefined;
  private readonly inflight = new Set<Promise<unknown>>();
  private lastUnavailableLog = Number.NEGATIVE_INFINITY;
  private suppressedUnavailable = 0;

  private constructor(
    private readonly pool: pg.Pool,
    private readonly sql: Statements,
    private readonly target: ConnectionTarget,
    private readonly logger: Logger,
    private readonly clock: Clock,
    /** ha_enabled, the (quoted) lock and data table names, and the pool's client settings. */
    private readonly ha: { readonly enabled: boolean; readonly table: string; readonly dataTable: string; readonly session: pg.ClientConfig },
  ) {
    // An idle pooled connection that breaks (database restarted) emits 'error' on the pool; it is
    // dropped from the pool and the next call opens a new one. Without a listener Node would
    // treat the event as fatal.
    pool.on('error', (err) => this.noteUnavailable(err));
  }

  async get(key: string): Promise<Buffer | undefined> {
    checkPgKey(key);
    const result = await this.run<{ value: Buffer }>(this.sql.get, [key]);
    return result.rows[0]?.value;
  }

  async put(key: string, value: Buffer): Promise<void> {
    checkPgKey(key);
    if (this.fence !== undefined) return runFenced(this.fence, this.fenced!.put, [key, copyValue(value)], (t, v) => this.run(t, v));
    await this.run(this.sql.put, [key, copyValue(value)]);
  }

  async delete(key: string): Promise<void> {
    checkPgKey(key);
    if (this.fence !== undefined) return runFenced(this.fence, this.fenced!.delete, [key], (t, v) => this.run(t, v));
    await this.run(this.sql.delete, [key]);
  }

  async list(prefix: string): Promise<string[]> {
    checkPrefix(prefix);
    return this.listLevel(prefix, '', Number.POSITIVE_INFINITY);
  }

  async listPage(prefix: string, after: string, limit: number): Promise<string[]> {
    checkPrefix(prefix);
    if (after !== '') checkKey(after);
    return this.listLevel(prefix, after, checkLimit(limit));
  }

  async batch(ops: readonly BatchOp[]): Promise<void> {
    const prepared = prepareBatch(ops);
    for (const op of prepared) checkPgKey(op.key);
    if (prepared.length === 0) return this.assertOpen();
    // Within one statement only each key's final state matters; reducing to it keeps the deleted
    // and written sets disjoint, which the single-statement batch relies on. Sorting makes
    // concurrent batches lock rows in one order, so they queue instead of deadlocking.
    const last = new Map<string, BatchOp>();
    for (const op of prepared) last.set(op.key, op);
    const deletes: string[] = [];
    const keys: string[] = [];
    const values: Buffer[] = [];
    for (const op of [...last.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))) {
      if (op.type === 'delete') deletes.push(op.key);
      else {
        keys.push(op.key);
        values.push(op.value);
      }
    }
    if (this.fence !== undefined) return runFenced(this.fence, this.fenced!.batch, [deletes, keys, values], (t, v) => this.run(t, v));
    await this.run(this.sql.batch, [deletes, keys, values]);
  }

  /** Wait for every call already issued, then close the pool. Idempotent. */
  close(): Promise<void> {
    if (this.closing === undefined) {
      this.closed = true;
      this.closing = (async () => {
        await Promise.allSettled([...this.inflight]);
        await this.pool.end();
      })();
    }
    return this.closing;
  }

  private async listLevel(prefix: string, after: string, limit: number): Promise<string[]> {
    // Start at the prefix, or just past `after`: past its whole folder when it names one, else
    // at the next possible key (keys hold no NUL, so after + "\u0001" is the next string).
    let from = prefix;
    if (after !== '') from = prefix + (after.endsWith('/') ? folderEnd(after) : `${after}\u0001`);
    const max = Number.isFinite(limit) ? limit : null;
    const result =
      prefix === ''
        ? await this.run<{ entry: string }>(this.sql.list[0], [prefix, from, after, max])
        : await this.run<{ entry: string }>(this.sql.list[1], [prefix, from, after, max, folderEnd(prefix)]);
    return result.rows.map((r) => r.entry);
  }

  private assertOpen(): void {
    if (this.closed) throw new StorageClosedError('postgresql');
  }

  /** One statement on a pooled connection, tracked so close() can wait for it. */
  private run<R extends pg.QueryResultRow = pg.QueryResultRow>(text: string, values: unknown[]): Promise<pg.QueryResult<R>> {
    this.assertOpen();
    const call = this.execute<R>(text, values);
    this.inflight.add(call);
    const forget = (): void => {
      this.inflight.delete(call);
    };
    call.then(forget, forget);
    return call;
  }

  private async execute<R extends pg.QueryResultRow>(text: string, values: unknown[]): Promise<pg.QueryResult<R>> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.pool.query<R>(text, values);
      } catch (err) {
        if (attempt < CONFLICT_ATTEMPTS && isRetryableConflict(err)) continue;
        throw this.storageError(err);
      }
    }
  }

  private storageError(err: unknown): Error {
    const text = describePgError(err, this.target.password);
    if (isUnavailable(err)) {
      this.noteUnavailable(err);
      return new StorageUnavailableError({ cause: new Error(`postgresql ${describeTarget(this.target)}: ${text}`) });
    }
    return new Error(`postgresql storage: ${text}`);
  }

  /** Log an outage, but at most once per interval however many calls fail. */
  private noteUnavailable(err: unknown): void {
    const now = this.clock.now();
    if (now - this.lastUnavailableLog < UNAVAILABLE_LOG_INTERVAL_MS) {
      this.suppressedUnavailable++;
      return;
    }
    this.logger.warn('postgresql storage unavailable', {
      target: describeTarget(this.target),
      error: describePgError(err, this.target.password),
      ...(this.suppressedUnavailable > 0 ? { similarSinceLastLog: this.suppressedUnavailable } : {}),
    });
    this.lastUnavailableLog = now;
    this.suppressedUnavailable = 0;
  }
}

/** The common key checks, plus PostgreSQL's index entry limit. */
function checkPgKey(key: string): void {
  checkKey(key);
  if (key.length * 3 > MAX_KEY_BYTES && Buffer.byteLength(key, 'utf8') > MAX_KEY_BYTES) {
    throw new InvalidKeyError(`storage key is too long for PostgreSQL (over ${MAX_KEY_BYTES} bytes as UTF-8)`);
  }
}
