/**
 * SQLite Physical: the embedded default for a single node. One table, keys in a WITHOUT ROWID
 * primary key so the table itself is the ordered index that one-level listing seeks in.
 *
 * Durability: WAL journal with synchronous=FULL, so a commit is on disk (fsynced) before the
 * caller's promise resolves. Throughput comes from group commit: writes issued while the event
 * loop is busy are queued and committed together in one transaction at the next setImmediate,
 * so one fsync serves many callers. better-sqlite3 is synchronous, so each commit runs to its
 * end without interleaving with any other call on this object.
 *
 * `batchRelaxed` is the one exception, for data another node holds durably (a replication
 * secondary's applied batches): a group made only of relaxed units commits with
 * synchronous=NORMAL (no fsync; survives a process crash, may lose the last commits, whole and in
 * order, on power loss). Any group holding an ordinary write commits FULL, and that fsync of the
 * WAL file also makes every earlier relaxed commit durable.
 */

import { chmodSync, closeSync, existsSync, openSync } from 'node:fs';
import Database from 'better-sqlite3';
import { StorageClosedError } from './errors.js';
import { type KeyScan, checkLimit, checkPrefix, listOneLevel } from './one-level.js';
import { copyValue, prepareBatch } from './ops.js';
import { type BatchOp, type Physical, checkKey } from './physical.js';

export interface SqliteOptions {
  /**
   * Most ops committed in one transaction (default 1000). A batch larger than this still
   * commits whole, alone in its transaction.
   */
  readonly maxBatchOps?: number;
}

const DEFAULT_MAX_BATCH_OPS = 1000;
/** How long a commit waits for another connection's lock before failing. */
const BUSY_TIMEOUT_MS = 5000;
/** Owner read/write only: the file holds the (encrypted) keyring and every secret. */
const FILE_MODE = 0o600;

/** One caller's writes: committed together, and settled together. */
interface Unit {
  readonly ops: readonly BatchOp[];
  /** Committed without fsync when its whole group is relaxed (batchRelaxed). */
  readonly relaxed: boolean;
  readonly resolve: () => void;
  readonly reject: (err: unknown) => void;
}

type Statement = Database.Statement;

export class SqlitePhysical implements Physical {
  /** Open (creating if missing) the database at path. Throws if the file cannot be used. */
  static open(path: string, opts: SqliteOptions = {}): SqlitePhysical {
    const maxBatchOps = opts.maxBatchOps ?? DEFAULT_MAX_BATCH_OPS;
    if (!Number.isInteger(maxBatchOps) || maxBatchOps < 1) {
      throw new RangeError('maxBatchOps must be a positive integer');
    }
    const onDisk = path !== '' && path !== ':memory:';
    // Create the file private before SQLite opens it; SQLite gives -wal and -shm the same mode.
    if (onDisk) closeSync(openSync(path, 'a', FILE_MODE));
    const db = new Database(path, { timeout: BUSY_TIMEOUT_MS });
    try {
      const mode = db.pragma('journal_mode = WAL', { simple: true });
      if (onDisk && mode !== 'wal') throw new Error(`sqlite storage: cannot enable WAL (journal_mode=${String(mode)})`);
      db.pragma('synchronous = FULL');
      db.exec('CREATE TABLE IF NOT EXISTS kv (key TEXT PRIMARY KEY, value BLOB NOT NULL) WITHOUT ROWID');
      if (onDisk) {
        for (const file of [path, `${path}-wal`, `${path}-shm`]) {
          if (existsSync(file)) chmodSync(file, FILE_MODE);
        }
      }
      return new SqlitePhysical(db, maxBatchOps);
    } catch (err) {
      db.close();
      throw err;
    }
  }

  private readonly getStmt: Statement;
  private readonly putStmt: Statement;
  private readonly deleteStmt: Statement;
  /** Key scans for listing: [inclusive][bounded]. */
  private readonly scanStmts: readonly [readonly [Statement, Statement], readonly [Statement, Statement]];
  private readonly commitUnits: Database.Transaction<(units: readonly Unit[]) => void>;

  private queue: Unit[] = [];
  private flushScheduled = false;
  private closed = false;
  private commitCount = 0;
  /** The connection's current synchronous setting (FULL unless the last group was all relaxed). */
  private syncFull = true;

  private constructor(
    private readonly db: Database.Database,
    private readonly maxBatchOps: number,
  ) {
    this.getStmt = db.prepare('SELECT value FROM kv WHERE key = ?').pluck();
    this.putStmt = db.prepare('INSERT INTO kv (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value');
    this.deleteStmt = db.prepare('DELETE FROM kv WHERE key = ?');
    const scan = (lower: string, upper: string): Statement =>
      db.prepare(`SELECT key FROM kv WHERE ${lower}${upper} ORDER BY key`).pluck();
    this.scanStmts = [
      [scan('key > ?', ''), scan('key > ?', ' AND key < ?')],
      [scan('key >= ?', ''), scan('key >= ?', ' AND key < ?')],
    ];
    this.commitUnits = db.transaction((units: readonly Unit[]) => {
      for (const unit of units) {
        for (const op of unit.ops) {
          if (op.type === 'put') this.putStmt.run(op.key, op.value);
          else this.deleteStmt.run(op.key);
        }
      }
    });
  }

  /** Transactions committed so far (group commit makes this far fewer than writes). */
  get commits(): number {
    return this.commitCount;
  }

  async get(key: string): Promise<Buffer | undefined> {
    checkKey(key);
    this.assertOpen();
    return this.getStmt.get(key) as Buffer | undefined;
  }

  async put(key: string, value: Buffer): Promise<void> {
    checkKey(key);
    return this.enqueue([{ type: 'put', key, value: copyValue(value) }]);
  }

  async delete(key: string): Promise<void> {
    checkKey(key);
    return this.enqueue([{ type: 'delete', key }]);
  }

  async list(prefix: string): Promise<string[]> {
    checkPrefix(prefix);
    this.assertOpen();
    return listOneLevel(this.scan, prefix, '', Number.POSITIVE_INFINITY);
  }

  async listPage(prefix: string, after: string, limit: number): Promise<string[]> {
    checkPrefix(prefix);
    if (after !== '') checkKey(after);
    const max = checkLimit(limit);
    this.assertOpen();
    return listOneLevel(this.scan, prefix, after, max);
  }

  async batch(ops: readonly BatchOp[]): Promise<void> {
    const prepared = prepareBatch(ops);
    if (prepared.length === 0) return this.assertOpen();
    return this.enqueue(prepared);
  }

  /**
   * An atomic batch whose promise resolves without waiting for an fsync when no ordinary write
   * shares its transaction: durable against a process crash, not against power loss. Only for
   * data that can be fetched again from elsewhere (see the header).
   */
  async batchRelaxed(ops: readonly BatchOp[]): Promise<void> {
    const prepared = prepareBatch(ops);
    if (prepared.length === 0) return this.assertOpen();
    return this.enqueue(prepared, true);
  }

  /** Commit everything already queued, then close the database. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // Each pass removes at least one unit, so this ends.
    while (this.queue.length > 0) this.commitNext();
    this.db.close();
  }

  private readonly scan: KeyScan = (from, inclusive, below) => {
    const [unbounded, bounded] = this.scanStmts[inclusive ? 1 : 0];
    const rows = below === undefined ? unbounded.iterate(from) : bounded.iterate(from, below);
    return rows as IterableIterator<string>;
  };

  private assertOpen(): void {
    if (this.closed) throw new StorageClosedError('sqlite');
  }

  /** Queue a unit for the next group commit; the promise settles after its transaction. */
  private enqueue(ops: readonly BatchOp[], relaxed = false): Promise<void> {
    this.assertOpen();
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ ops, relaxed, resolve, reject });
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        setImmediate(this.flushTurn);
      }
    });
  }

  /** One event-loop turn of committing: one group, then yield so reads and new writes get in. */
  private readonly flushTurn = (): void => {
    this.flushScheduled = false;
    if (this.queue.length === 0 || !this.db.open) return;
    this.commitNext();
    if (this.queue.length > 0) {
      this.flushScheduled = true;
      setImmediate(this.flushTurn);
    }
  };

  /**
   * Commit the oldest units (up to maxBatchOps ops, never splitting a unit) in one transaction.
   * If it fails, the transaction rolled back; retry each unit alone so one bad unit fails only
   * its own caller.
   */
  private commitNext(): void {
    let count = 0;
    let ops = 0;
    for (const unit of this.queue) {
      if (count > 0 && ops + unit.ops.length > this.maxBatchOps) break;
      ops += unit.ops.length;
      count++;
    }
    const group = this.queue.splice(0, count);
    try {
      this.setSync(group.every((u) => u.relaxed));
      this.commitUnits.immediate(group);
      this.commitCount++;
    } catch (err) {
      if (group.length === 1) {
        group[0]?.reject(err);
        return;
      }
      for (const unit of group) this.commitAlone(unit);
      return;
    }
    for (const unit of group) unit.resolve();
  }

  private commitAlone(unit: Unit): void {
    try {
      this.setSync(unit.relaxed);
      this.commitUnits.immediate([unit]);
      this.commitCount++;
    } catch (err) {
      unit.reject(err);
      return;
    }
    unit.resolve();
  }

  /** Switch synchronous between transactions, only when it changes (a statement per switch). */
  private setSync(relaxed: boolean): void {
    if (this.syncFull === !relaxed) return;
    this.db.pragma(relaxed ? 'synchronous = NORMAL' : 'synchronous = FULL');
    this.syncFull = !relaxed;
  }
}
