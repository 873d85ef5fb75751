/**
 * The HA lock in PostgreSQL (issue 7): one row of `ha_table` says which node is active, until
 * when (a lease in the database's own clock), and through which database session. Node
 * heartbeats live in the same table, and `fencedStatements` are the data writes that commit only
 * while the writer's lock claim is still the live one. The design is explained in
 * src/ha/README.md; src/ha/coordinator.ts drives this module.
 *
 * Rows (`ha_key, ha_identity, ha_value, valid_until`, the shape of Vault's lock table):
 * - `core/lock`: ha_identity = the holder's node id; ha_value = JSON {term, api_addr,
 *   cluster_addr, hostname, active_since, pid, start}, where `term` is fresh per acquisition and
 *   `pid`/`start` name the holder's dedicated lock session (pg_backend_pid and backend_start).
 *   The exact (identity, value) pair is the fencing token.
 * - `arca/node/<node id>`: a heartbeat per unsealed node, for sys/ha-status.
 *
 * Every statement here runs on one dedicated session per node (never the data pool), so the
 * session recorded in the lock row is the one whose death other nodes can see.
 */

import type pg from 'pg';

export const LOCK_KEY = 'core/lock';
const NODE_PREFIX = 'arca/node/';
/** Lock-session statements are cut off after this long: a silent network must not stall the election. */
const LOCK_QUERY_TIMEOUT_MS = 5000;
/** Heartbeat rows expired for longer than this are deleted by the active node. */
const NODE_RETENTION = "interval '1 hour'";

/** The exact lock row contents a holder wrote: checked by renewals, release and every fenced write. */
export interface LockClaim {
  readonly identity: string;
  readonly value: string;
}

/** What an active node advertises in the lock row (and a node in its heartbeat). */
export interface NodeAdvert {
  readonly apiAddr: string;
  readonly clusterAddr: string;
  readonly hostname: string;
  readonly version: string;
}

/** The lock row as another node sees it. */
export interface LockHolder extends LockClaim {
  /** The lease has not run out (database clock). */
  readonly valid: boolean;
  /** Undefined when ha_value is not ours (not JSON of the expected shape). */
  readonly advert: (NodeAdvert & { readonly activeSince: string; readonly pid: number; readonly start: string }) | undefined;
}

export interface NodeRow {
  readonly nodeId: string;
  readonly advert: NodeAdvert;
  /** When the node last reported (ms since the epoch, database clock). */
  readonly lastSeen: number;
}

/**
 * Lets PostgresPhysical check the lock in the same statement as each write. `current` throws
 * when this node may not write at all (standby, sealed after HA started); `refused` is told that
 * a write found its claim gone and returns the error to raise.
 */
export interface WriteFence {
  current(): LockClaim;
  refused(claim: LockClaim): Error;
}

export interface FencedStatements {
  /** $1 key, $2 value, $3/$4 claim. */
  readonly put: string;
  /** $1 key, $2/$3 claim. */
  readonly delete: string;
  /** $1 deleted keys, $2 keys, $3 values, $4/$5 claim. */
  readonly batch: string;
}

/**
 * The data writes of pg-schema.ts, each gated on the lock row in the same statement. The fence
 * CTE takes a FOR SHARE lock on the row: a takeover (an UPDATE of that row) waits until the write
 * committed, and a write that queued behind a takeover re-reads the row after it (READ
 * COMMITTED re-check of locked rows), finds another holder and writes nothing. So every write
 * is ordered either before the next holder's acquisition or refused. Each statement answers one
 * row: `held`.
 */
export function fencedStatements(table: string, haTable: string): FencedStatements {
  const fence = (n: number): string =>
    `WITH fence AS (SELECT 1 FROM ${haTable} WHERE ha_key = '${LOCK_KEY}' AND ha_identity = $${n}::text ` +
    `AND ha_value = $${n + 1}::text AND valid_until > now() FOR SHARE)`;
  const held = ' SELECT EXISTS (SELECT 1 FROM fence) AS held';
  const upsert = 'ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value RETURNING 1)';
  return {
    put: `${fence(3)}, w AS (INSERT INTO ${table} (key, value) SELECT $1::text, $2::bytea FROM fence ${upsert}${held}`,
    delete: `${fence(2)}, w AS (DELETE FROM ${table} WHERE key = $1::text AND EXISTS (SELECT 1 FROM fence) RETURNING 1)${held}`,
    batch:
      `${fence(4)}, removed AS (DELETE FROM ${table} WHERE key = ANY($1::text[]) AND EXISTS (SELECT 1 FROM fence) RETURNING 1), ` +
      `w AS (INSERT INTO ${table} (key, value) SELECT k, v FROM unnest($2::text[], $3::bytea[]) AS u(k, v) ` +
      `WHERE EXISTS (SELECT 1 FROM fence) ${upsert}${held}`,
  };
}

/** Run one fenced write; throws the fence's error when the claim is no longer held. */
export async function runFenced(
  fence: WriteFence,
  text: string,
  params: readonly unknown[],
  run: (text: string, values: unknown[]) => Promise<pg.QueryResult<{ held: boolean }>>,
): Promise<void> {
  const claim = fence.current();
  const result = await run(text, [...params, claim.identity, claim.value]);
  if (result.rows[0]?.held !== true) throw fence.refused(claim);
}

/** Epoch microseconds of a session's backend_start, as text (stable across time zones and DateStyle). */
const START_EPOCH = '(extract(epoch from a.backend_start) * 1000000)::bigint::text';

/**
 * The lock table seen through one dedicated session. Calls are queued on that session by the
 * driver; a broken session is reported once through `onSessionLost` and replaced by the next call.
 */
export class PgHaLock {
  private client: pg.Client | undefined;
  private connecting: Promise<{ client: pg.Client; pid: number; start: string }> | undefined;
  private session: { pid: number; start: string } | undefined;
  private readonly lostListeners: (() => void)[] = [];
  private closed = false;

  constructor(
    private readonly newClient: () => pg.Client,
    private readonly haTable: string,
    /** Driver failures as text, without the password. */
    private readonly describe: (err: unknown) => string,
  ) {}

  /** Called when the dedicated session breaks (the lock row then names a dead session). */
  onSessionLost(listener: () => void): void {
    this.lostListeners.push(listener);
  }

  /**
   * Take the lock if it is free: no row, a lapsed lease, or a holder whose lock session no
   * longer exists (a killed process: PostgreSQL ends its session as soon as the socket closes).
   * `observed` is the row as last read; the takeover of a live-lease row only succeeds if the
   * row still holds exactly that, so two contenders cannot both win.
   */
  async tryAcquire(nodeId: string, advert: NodeAdvert, activeSince: string, term: string, ttlMs: number, observed: LockHolder | undefined): Promise<LockClaim | undefined> {
    const { client, pid, start } = await this.connect();
    const value = JSON.stringify({
      term,
      api_addr: advert.apiAddr,
      cluster_addr: advert.clusterAddr,
      hostname: advert.hostname,
      version: advert.version,
      active_since: activeSince,
      pid,
      start,
    });
    const dead = observed?.advert;
    const result = await this.query<{ ha_identity: string }>(
      client,
      `INSERT INTO ${this.haTable} (ha_key, ha_identity, ha_value, valid_until) VALUES ($1, $2, $3, now() + $4::int * interval '1 millisecond') ` +
        `ON CONFLICT (ha_key) DO UPDATE SET ha_identity = EXCLUDED.ha_identity, ha_value = EXCLUDED.ha_value, valid_until = EXCLUDED.valid_until ` +
        `WHERE ${this.haTable}.valid_until < now() OR (${this.haTable}.ha_identity = $5::text AND ${this.haTable}.ha_value = $6::text ` +
        `AND NOT EXISTS (SELECT 1 FROM pg_stat_activity a WHERE a.pid = $7::int AND (a.backend_start IS NULL OR ${START_EPOCH} = $8::text))) ` +
        `RETURNING ha_identity`,
      [LOCK_KEY, nodeId, value, ttlMs, observed?.identity ?? null, observed?.value ?? null, dead?.pid ?? null, dead?.start ?? null],
    );
    return result.rowCount === 1 ? { identity: nodeId, value } : undefined;
  }

  /** Extend a live claim; false when it is gone or lapsed (a lapsed lease is never revived). */
  async renew(claim: LockClaim, ttlMs: number): Promise<boolean> {
    const { client } = await this.connect();
    const result = await this.query(
      client,
      `UPDATE ${this.haTable} SET valid_until = now() + $4::int * interval '1 millisecond' ` +
        `WHERE ha_key = $1 AND ha_identity = $2 AND ha_value = $3 AND valid_until > now()`,
      [LOCK_KEY, claim.identity, claim.value, ttlMs],
    );
    return result.rowCount === 1;
  }

  /** Give the lock up at once (step-down, seal, shutdown). A claim already lost is left alone. */
  async release(claim: LockClaim): Promise<void> {
    const { client } = await this.connect();
    await this.query(client, `DELETE FROM ${this.haTable} WHERE ha_key = $1 AND ha_identity = $2 AND ha_value = $3`, [LOCK_KEY, claim.identity, claim.value]);
  }

  /**
   * The lock row, or undefined when there is none. `valid` is false when the lease lapsed or the
   * holder's lock session is gone (it will be taken over at the next attempt).
   */
  async holder(): Promise<LockHolder | undefined> {
    const { client } = await this.connect();
    const result = await this.query<{ ha_identity: string; ha_value: string | null; valid: boolean }>(
      client,
      `SELECT ha_identity, ha_value, valid_until > now() AS valid FROM ${this.haTable} WHERE ha_key = $1`,
      [LOCK_KEY],
    );
    const row = result.rows[0];
    if (row === undefined) return undefined;
    const advert = parseLockValue(row.ha_value);
    let valid = row.valid;
    if (valid && advert !== undefined) valid = await this.sessionAlive(client, advert.pid, advert.start);
    return { identity: row.ha_identity, value: row.ha_value ?? '', valid, advert };
  }

  /** Record that this node is up (unsealed); rows expire after `ttlMs`. */
  async heartbeat(nodeId: string, advert: NodeAdvert, ttlMs: number): Promise<void> {
    const { client } = await this.connect();
    const value = JSON.stringify({ api_addr: advert.apiAddr, cluster_addr: advert.clusterAddr, hostname: advert.hostname, version: advert.version });
    await this.query(
      client,
      `INSERT INTO ${this.haTable} (ha_key, ha_identity, ha_value, valid_until) VALUES ($1, $2, $3, now() + $4::int * interval '1 millisecond') ` +
        `ON CONFLICT (ha_key) DO UPDATE SET ha_identity = EXCLUDED.ha_identity, ha_value = EXCLUDED.ha_value, valid_until = EXCLUDED.valid_until`,
      [NODE_PREFIX + nodeId, nodeId, value, ttlMs],
    );
  }

  /** Nodes whose heartbeat has not expired; `lastSeen` is the heartbeat time. */
  async nodes(ttlMs: number): Promise<NodeRow[]> {
    const { client } = await this.connect();
    const result = await this.query<{ ha_identity: string; ha_value: string | null; seen: string }>(
      client,
      `SELECT ha_identity, ha_value, (extract(epoch from valid_until) * 1000)::bigint - $2::int AS seen FROM ${this.haTable} ` +
        `WHERE ha_key LIKE $1 AND valid_until > now() ORDER BY ha_key`,
      [`${NODE_PREFIX}%`, ttlMs],
    );
    const rows: NodeRow[] = [];
    for (const r of result.rows) {
      const advert = parseNodeValue(r.ha_value);
      if (advert !== undefined) rows.push({ nodeId: r.ha_identity, advert, lastSeen: Number(r.seen) });
    }
    return rows;
  }

  /** Remove this node's heartbeat (clean shutdown or seal) and rows of nodes long gone. */
  async forgetNode(nodeId: string): Promise<void> {
    const { client } = await this.connect();
    await this.query(client, `DELETE FROM ${this.haTable} WHERE ha_key = $1`, [NODE_PREFIX + nodeId]);
  }

  /** Delete heartbeat rows that expired long ago (nodes that were removed or died). */
  async pruneNodes(): Promise<void> {
    const { client } = await this.connect();
    await this.query(client, `DELETE FROM ${this.haTable} WHERE ha_key LIKE $1 AND valid_until < now() - ${NODE_RETENTION}`, [`${NODE_PREFIX}%`]);
  }

  /** The pid of this node's lock session, once connected (tests terminate it to simulate a broken session). */
  get sessionPid(): number | undefined {
    return this.session?.pid;
  }

  async close(): Promise<void> {
    this.closed = true;
    const client = this.client;
    this.client = undefined;
    this.session = undefined;
    await client?.end().catch(() => undefined);
  }

  private async sessionAlive(client: pg.Client, pid: number, start: string): Promise<boolean> {
    const r = await this.query(
      client,
      `SELECT 1 FROM pg_stat_activity a WHERE a.pid = $1::int AND (a.backend_start IS NULL OR ${START_EPOCH} = $2::text)`,
      [pid, start],
    );
    return r.rowCount === 1;
  }

  private connect(): Promise<{ client: pg.Client; pid: number; start: string }> {
    if (this.closed) return Promise.reject(new Error('HA lock session is closed'));
    if (this.client !== undefined && this.session !== undefined) {
      return Promise.resolve({ client: this.client, ...this.session });
    }
    this.connecting ??= this.open().finally(() => {
      this.connecting = undefined;
    });
    return this.connecting;
  }

  private async open(): Promise<{ client: pg.Client; pid: number; start: string }> {
    const client = this.newClient();
    let broken = false;
    const lost = (): void => {
      if (broken) return;
      broken = true;
      if (this.client === client) {
        this.client = undefined;
        this.session = undefined;
        for (const l of this.lostListeners) l();
      }
    };
    // Without an 'error' listener a broken socket would end the process.
    client.on('error', lost);
    client.on('end', lost);
    try {
      await client.connect();
      const r = await client.query<{ pid: number; start: string }>({
        text: `SELECT a.pid, ${START_EPOCH} AS start FROM pg_stat_activity a WHERE a.pid = pg_backend_pid()`,
        query_timeout: LOCK_QUERY_TIMEOUT_MS,
      } as pg.QueryConfig);
      const row = r.rows[0];
      if (row === undefined) throw new Error('the lock session cannot see itself in pg_stat_activity');
      if (this.closed || broken) throw new Error('HA lock session closed while connecting');
      this.client = client;
      this.session = { pid: row.pid, start: row.start };
      return { client, pid: row.pid, start: row.start };
    } catch (err) {
      broken = true;
      await client.end().catch(() => undefined);
      throw new Error(`HA lock session: ${this.describe(err)}`);
    }
  }

  private async query<R extends pg.QueryResultRow = pg.QueryResultRow>(client: pg.Client, text: string, values: unknown[]): Promise<pg.QueryResult<R>> {
    try {
      return await client.query<R>({ text, values, query_timeout: LOCK_QUERY_TIMEOUT_MS } as pg.QueryConfig);
    } catch (err) {
      // A timed-out or failed call may leave the session unusable: start a fresh one next time.
      if (this.client === client) {
        this.client = undefined;
        this.session = undefined;
        for (const l of this.lostListeners) l();
        void client.end().catch(() => undefined);
      }
      throw new Error(`HA lock: ${this.describe(err)}`);
    }
  }
}

function parseLockValue(raw: string | null): LockHolder['advert'] {
  const v = parseJson(raw);
  if (v === undefined) return undefined;
  const node = parseNodeValue(raw);
  const { active_since: since, pid, start } = v;
  if (node === undefined || typeof since !== 'string' || typeof pid !== 'number' || typeof start !== 'string') return undefined;
  return { ...node, activeSince: since, pid, start };
}

function parseNodeValue(raw: string | null): NodeAdvert | undefined {
  const v = parseJson(raw);
  if (v === undefined) return undefined;
  const { api_addr: api, cluster_addr: cluster, hostname, version } = v;
  if (typeof api !== 'string' || typeof cluster !== 'string' || typeof hostname !== 'string') return undefined;
  return { apiAddr: api, clusterAddr: cluster, hostname, version: typeof version === 'string' ? version : '' };
}

function parseJson(raw: string | null): Record<string, unknown> | undefined {
  if (raw === null) return undefined;
  try {
    const v: unknown = JSON.parse(raw);
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
