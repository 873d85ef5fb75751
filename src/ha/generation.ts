/**
 * The table generation that performance standbys follow (README.md, "Performance standbys").
 *
 * PostgreSQL itself counts changes to what a node keeps in memory: a trigger on the data table
 * bumps one row of the HA table (`arca/generation`) in the same transaction as any write of a
 * mount, auth or audit table, the keyring, the cluster info (`tables`), a policy (`policy`) or an
 * identity record (`identity`). No writer can forget it, and a committed change is visible to a
 * standby's next read of the row together with the change itself. A single row (three counters)
 * so two transactions never lock generation rows in opposite orders.
 *
 * `ha_identity` holds a random id made when the row is created, so a deleted and recreated row
 * (counters back at zero) never looks like "no change". The read also checks the triggers still
 * exist and fire; when anything is missing a standby serves nothing locally.
 */
import { createHash, randomUUID } from 'node:crypto';
import type pg from 'pg';
import { AUDIT_TABLE, AUTH_TABLE, BARRIER_KEYRING, CLUSTER_INFO, IDENTITY_PREFIX, LOCAL_AUTH_TABLE, LOCAL_IDENTITY_PREFIX, LOCAL_MOUNT_TABLE, MOUNT_TABLE, POLICY_PREFIX } from '../storage/keys.js';

export const GENERATION_KEY = 'arca/generation';
const ID_PREFIX = 'arca-generation-v1:';
const TRIGGERS = ['arca_generation_w', 'arca_generation_d'] as const;
const STATEMENT_TIMEOUT_MS = 5000;

/** What a standby compares: the row's id and its counters (tables, policy, identity). */
export interface Generation {
  readonly id: string;
  readonly tables: number;
  readonly policy: number;
  readonly identity: number;
}

/** Which in-memory state changed between two generations; all of it when the row was recreated. */
export function changedSince(loaded: Generation, now: Generation): { tables: boolean; policy: boolean; identity: boolean } | undefined {
  if (loaded.id !== now.id) return { tables: true, policy: true, identity: true };
  const c = { tables: now.tables > loaded.tables, policy: now.policy > loaded.policy, identity: now.identity > loaded.identity };
  return c.tables || c.policy || c.identity ? c : undefined;
}

/** The SQL of one data table / HA table pair (both already quoted by pg-options). */
export class GenerationSql {
  private readonly fn: string;

  constructor(
    readonly dataTable: string,
    readonly haTable: string,
  ) {
    const tag = createHash('sha256').update(`${dataTable}\0${haTable}`).digest('hex').slice(0, 16);
    const dot = dataTable.indexOf('.');
    // The function lives in the data table's schema when it names one.
    this.fn = `${dot === -1 ? '' : `${dataTable.slice(0, dot)}.`}"arca_generation_${tag}"`;
  }

  /**
   * Create the function, the row and the triggers (idempotent). Run by the active node at
   * activation; an advisory lock keeps concurrent installers apart.
   */
  async install(client: pg.ClientBase): Promise<void> {
    const exact = [MOUNT_TABLE, LOCAL_MOUNT_TABLE, AUTH_TABLE, LOCAL_AUTH_TABLE, AUDIT_TABLE, BARRIER_KEYRING, `${CLUSTER_INFO}info`];
    const when = (row: 'NEW' | 'OLD'): string =>
      `(${row}.key IN (${exact.map(lit).join(', ')}) OR ${row}.key LIKE ${lit(`${POLICY_PREFIX}%`)} ` +
      `OR ${row}.key LIKE ${lit(`${IDENTITY_PREFIX}%`)} OR ${row}.key LIKE ${lit(`${LOCAL_IDENTITY_PREFIX}%`)})`;
    const body =
      `DECLARE k text; i int; a bigint[]; ` +
      `BEGIN ` +
      `IF TG_OP = 'DELETE' THEN k := OLD.key; ELSE k := NEW.key; END IF; ` +
      `IF k LIKE ${lit(`${POLICY_PREFIX}%`)} THEN i := 2; ` +
      `ELSIF k LIKE ${lit(`${IDENTITY_PREFIX}%`)} OR k LIKE ${lit(`${LOCAL_IDENTITY_PREFIX}%`)} THEN i := 3; ` +
      `ELSE i := 1; END IF; ` +
      `SELECT string_to_array(ha_value, ',')::bigint[] INTO a FROM ${this.haTable} WHERE ha_key = ${lit(GENERATION_KEY)} FOR UPDATE; ` +
      // A missing row is noticed by every standby's next check (it then serves nothing locally).
      `IF a IS NULL THEN RETURN NULL; END IF; ` +
      `a[i] := a[i] + 1; ` +
      `UPDATE ${this.haTable} SET ha_value = array_to_string(a, ',') WHERE ha_key = ${lit(GENERATION_KEY)}; ` +
      `RETURN NULL; ` +
      `END`;
    const lockId = Number.parseInt(createHash('sha256').update(`arca-generation\0${this.dataTable}`).digest('hex').slice(0, 12), 16);
    await client.query('BEGIN');
    try {
      await client.query(`SET LOCAL statement_timeout = ${STATEMENT_TIMEOUT_MS}`);
      await client.query('SELECT pg_advisory_xact_lock($1::bigint)', [lockId]);
      await client.query(`CREATE OR REPLACE FUNCTION ${this.fn}() RETURNS trigger LANGUAGE plpgsql AS $arca$${body}$arca$`);
      await client.query(
        `INSERT INTO ${this.haTable} (ha_key, ha_identity, ha_value, valid_until) VALUES ($1, $2, '0,0,0', 'infinity') ON CONFLICT (ha_key) DO NOTHING`,
        [GENERATION_KEY, ID_PREFIX + randomUUID()],
      );
      const present = await client.query<{ tgname: string }>('SELECT tgname FROM pg_trigger WHERE tgrelid = to_regclass($1)', [this.dataTable]);
      const have = new Set(present.rows.map((r) => r.tgname));
      if (!have.has(TRIGGERS[0])) {
        await client.query(`CREATE TRIGGER ${TRIGGERS[0]} AFTER INSERT OR UPDATE ON ${this.dataTable} FOR EACH ROW WHEN ${when('NEW')} EXECUTE PROCEDURE ${this.fn}()`);
      }
      if (!have.has(TRIGGERS[1])) {
        await client.query(`CREATE TRIGGER ${TRIGGERS[1]} AFTER DELETE ON ${this.dataTable} FOR EACH ROW WHEN ${when('OLD')} EXECUTE PROCEDURE ${this.fn}()`);
      }
      await client.query('COMMIT');
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    }
  }

  /** The current generation, or undefined when the row or a firing trigger is missing. */
  async read(client: pg.ClientBase): Promise<Generation | undefined> {
    const r = await client.query<{ ha_identity: string; ha_value: string | null; triggers: number }>(
      `SELECT ha_identity, ha_value, (SELECT count(*) FROM pg_trigger WHERE tgrelid = to_regclass($2) AND tgname = ANY($3::text[]) ` +
        `AND tgenabled IN ('O', 'A'))::int AS triggers FROM ${this.haTable} WHERE ha_key = $1`,
      [GENERATION_KEY, this.dataTable, [...TRIGGERS]],
    );
    const row = r.rows[0];
    if (row === undefined || row.triggers !== TRIGGERS.length || !row.ha_identity.startsWith(ID_PREFIX)) return undefined;
    const parts = (row.ha_value ?? '').split(',').map(Number);
    if (parts.length !== 3 || !parts.every((n) => Number.isSafeInteger(n) && n >= 0)) return undefined;
    return { id: row.ha_identity, tables: parts[0]!, policy: parts[1]!, identity: parts[2]! };
  }
}

/** A SQL string literal of a constant (keys are fixed ASCII here; quotes doubled anyway). */
function lit(s: string): string {
  return `'${s.replace(/'/g, "''")}'`;
}

/**
 * Reads the generation on one dedicated session. A caller always gets a read that started
 * after it called (a read already in flight may predate a write the caller has seen
 * acknowledged), so concurrent callers share the next read instead of each sending one.
 */
export class GenerationReader {
  private client: pg.Client | undefined;
  private connecting: Promise<pg.Client> | undefined;
  private inflight: Promise<Generation | undefined> | undefined;
  private queued: Promise<Generation | undefined> | undefined;
  private closed = false;

  constructor(
    private readonly sql: GenerationSql,
    private readonly newClient: () => pg.Client,
  ) {}

  read(): Promise<Generation | undefined> {
    if (this.inflight === undefined) return this.launch();
    this.queued ??= this.inflight
      .then(
        () => undefined,
        () => undefined,
      )
      .then(() => {
        this.queued = undefined;
        return this.launch();
      });
    return this.queued;
  }

  /** Install the trigger and row over a short-lived session of its own (the active node). */
  async install(): Promise<void> {
    const client = this.newClient();
    client.on('error', () => undefined);
    try {
      await client.connect();
      await this.sql.install(client);
    } finally {
      await client.end().catch(() => undefined);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    const c = this.client;
    this.client = undefined;
    await c?.end().catch(() => undefined);
  }

  private launch(): Promise<Generation | undefined> {
    const p = this.query();
    this.inflight = p;
    const clear = (): void => {
      if (this.inflight === p) this.inflight = undefined;
    };
    p.then(clear, clear);
    return p;
  }

  private async query(): Promise<Generation | undefined> {
    const client = await this.connect();
    try {
      return await this.sql.read(client);
    } catch (err) {
      // The session may be broken: the next read opens a new one.
      if (this.client === client) this.client = undefined;
      await client.end().catch(() => undefined);
      throw err;
    }
  }

  private connect(): Promise<pg.Client> {
    if (this.closed) return Promise.reject(new Error('generation reader is closed'));
    if (this.client !== undefined) return Promise.resolve(this.client);
    this.connecting ??= (async () => {
      const client = this.newClient();
      client.on('error', () => {
        if (this.client === client) this.client = undefined;
      });
      client.on('end', () => {
        if (this.client === client) this.client = undefined;
      });
      await client.connect();
      this.client = client;
      return client;
    })().finally(() => {
      this.connecting = undefined;
    });
    return this.connecting;
  }
}
