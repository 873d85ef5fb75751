/**
 * SQLite Physical: the embedded default for a single node. One table, keys in a WITHOUT ROWID
 * primary key so the table itself is the ordered index that one-level listing seeks in.
 *
 * Durability: WAL journal. A write's promise resolves only once its commit is on disk: the
 * connection commits with synchronous=NORMAL and the WAL file is fdatasynced off the event loop
 * (wal-sync.ts), so the event loop never waits for a disk. Throughput comes from group commit:
 * writes issued while the event loop is busy are queued and committed together in one
 * transaction at the next setImmediate, and one sync serves every commit made before it started.
 * better-sqlite3 is synchronous, so each commit runs to its end without interleaving with any
 * other call on this object.
 *
 * `batchRelaxed` is the one exception, for data another node holds durably (a replication
 * secondary's applied batches): its promise resolves at commit, without waiting for a sync
 * (survives a process crash, may lose the last commits, whole and in order, on power loss). The
 * next sync for an ordinary write makes every earlier relaxed commit durable too.
 *
 * Checkpoints (copying WAL pages back into the database file) run in a worker thread
 * (sqlite-checkpointer.ts), not inside the commit that crosses a threshold.
 */

import { chmodSync, closeSync, existsSync, openSync } from 'node:fs';
import Database from 'better-sqlite3';
import { StorageClosedError } from './errors.js';
import { Checkpointer } from './sqlite-checkpointer.js';
import { WalSyncer } from './wal-sync.js';
import type { CheckpointReply } from './sqlite-checkpoint-worker.js';
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
/** Page cache size in KiB. */
const CACHE_KIB = 32 * 1024;
/**
 * WAL pages (4 KiB each) after which the writer checkpoints by itself. With the checkpoint thread
 * at work this copies only the last few frames, but it is the writer's checkpoint that lets the
 * next transaction start the WAL file over (a concurrent one rarely catches up with the writer).
 */
const SAFETY_CHECKPOINT_PAGES = 4096;
/** Size a restarted WAL file is truncated to. */
const WAL_SIZE_LIMIT_BYTES = 64 * 1024 * 1024;
/** Owner read/write only: the file holds the (encrypted) keyring and every secret. */
const FILE_MODE = 0o600;

/** One caller's writes: committed together, and settled together. */
interface Unit {
  readonly ops: readonly BatchOp[];
  /** Resolved at commit, without waiting for the WAL sync (batchRelaxed). */
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
      // NORMAL: commits write the WAL without an fsync; WalSyncer makes them durable before they are acknowledged.
      db.pragma(onDisk ? 'synchronous = NORMAL' : 'synchronous = FULL');
      // A 32 MiB page cache (default 2 MiB): version keys are digests, so a group of writes
      // touches pages all over the tree.
      db.pragma(`cache_size = -${CACHE_KIB}`);
      // Checkpoints run in a thread (sqlite-checkpointer.ts); the writer's own automatic one is
      // only the safety net, and the WAL file is cut back to a bounded size when it restarts.
      db.pragma(`wal_autocheckpoint = ${SAFETY_CHECKPOINT_PAGES}`);
      db.pragma(`journal_size_limit = ${WAL_SIZE_LIMIT_BYTES}`);
      db.exec('CREATE TABLE IF NOT EXISTS kv (key TEXT PRIMARY KEY, value BLOB NOT NULL) WITHOUT ROWID');
      if (onDisk) {
        for (const file of [path, `${path}-wal`, `${path}-shm`]) {
          if (existsSync(file)) chmodSync(file, FILE_MODE);
        }
      }
      return new SqlitePhysical(db, maxBatchOps, onDisk ? new Checkpointer(path) : undefined, onDisk ? `${path}-wal` : undefined);
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

  private readonly syncer: WalSyncer | undefined;
  private queue: Unit[] = [];
  /** Ordinary writes queued while a sync ran wait for its end, then commit as one group. */
  private heldForSync = false;
  private flushScheduled = false;
  private closed = false;
  private commitCount = 0;

  private constructor(
    private readonly db: Database.Database,
    private readonly maxBatchOps: number,
    private readonly checkpointer: Checkpointer | undefined,
    /** Undefined for an in-memory database (nothing to make durable). */
    walPath: string | undefined,
  ) {
    this.syncer = walPath === undefined ? undefined : new WalSyncer(walPath, this.afterSync);
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

  /** What the checkpoint thread has done (tests, diagnostics); undefined for an in-memory database. */
  get checkpoints(): { readonly requests: number; readonly last: CheckpointReply | undefined } | undefined {
    const c = this.checkpointer;
    return c === undefined ? undefined : { requests: c.requests, last: c.last };
  }

  /** WAL syncs completed so far (tests, diagnostics); undefined for an in-memory database. */
  get syncs(): number | undefined {
    return this.syncer?.syncs;
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
    await this.syncer?.drained();
    this.syncer?.close();
    // The thread's connection first: the last connection to close checkpoints what is left.
    await this.checkpointer?.close();
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

  /**
   * One event-loop turn of committing: one group, then yield so reads and new writes get in.
   * While a sync runs, ordinary writes are held: committed now they would still be acknowledged
   * only after the next sync, so they wait for this one to end and commit as one larger group
   * (fewer transactions, each B-tree page written once for many writes). Relaxed units commit
   * at once (they are acknowledged at commit).
   */
  private readonly flushTurn = (): void => {
    this.flushScheduled = false;
    if (this.queue.length === 0 || !this.db.open) return;
    if (this.syncer?.busy === true && !this.queue.some((u) => u.relaxed)) {
      this.heldForSync = true;
      return;
    }
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
      this.commitUnits.immediate(group);
      this.commitCount++;
      this.checkpointer?.committed(ops);
    } catch (err) {
      if (group.length === 1) {
        group[0]?.reject(err);
        return;
      }
      for (const unit of group) this.commitAlone(unit);
      return;
    }
    this.settle(group);
  }

  private commitAlone(unit: Unit): void {
    try {
      this.commitUnits.immediate([unit]);
      this.commitCount++;
    } catch (err) {
      unit.reject(err);
      return;
    }
    this.settle([unit]);
  }

  /** A sync ended (its writes are acknowledged): commit what was held for it, then the next sync starts. */
  private readonly afterSync = (): void => {
    if (!this.heldForSync) return;
    this.heldForSync = false;
    if (this.queue.length > 0 && this.db.open) this.commitNext();
    if (this.queue.length > 0 && !this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(this.flushTurn);
    }
  };

  /** Committed units: relaxed ones are done, the others once the WAL is synced. */
  private settle(units: readonly Unit[]): void {
    const durable: Unit[] = [];
    for (const unit of units) {
      if (unit.relaxed || this.syncer === undefined) unit.resolve();
      else durable.push(unit);
    }
    if (durable.length > 0) this.syncer?.durable(durable);
  }
}
