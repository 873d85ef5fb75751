/**
 * SQLite Physical: the embedded default for a single node. One table, keys in a WITHOUT ROWID
 * primary key so the table itself is the ordered index that one-level listing seeks in.
 *
 * Two kinds of connection to one file in WAL mode: this one, on the caller's thread, reads and
 * lists; the writer thread's (sqlite-writer.ts) commits. A write's bytes are copied into a
 * message at the call, committed there in groups and made durable with an fdatasync of the WAL
 * (sqlite-group-commit.ts, wal-sync.ts) before its promise resolves, so the event loop neither
 * commits nor waits for a disk. Every read is its own read transaction, so a write is visible
 * to reads from the moment it commits (shortly before it is acknowledged), and always once it is.
 *
 * `batchRelaxed` is the one exception, for data another node holds durably (a replication
 * secondary's applied batches): its promise resolves at commit, without waiting for a sync
 * (survives a process crash, may lose the last commits, whole and in order, on power loss). The
 * next sync for an ordinary write makes every earlier relaxed commit durable too.
 *
 * Checkpoints (copying WAL pages back into the database file) run in a third thread
 * (sqlite-checkpointer.ts), started by the writer thread. An in-memory database (no other
 * connection can see it) commits on the caller's thread instead, with nothing to sync.
 */

import { chmodSync, closeSync, existsSync, openSync } from 'node:fs';
import Database from 'better-sqlite3';
import { StorageClosedError } from './errors.js';
import { CACHE_KIB, configureWriter } from './sqlite-group-commit.js';
import { InlineWriter, type SqliteWriter, ThreadWriter } from './sqlite-writer.js';
import type { CheckpointStats } from './sqlite-writer-wire.js';
import { type KeyScan, checkLimit, checkPrefix, listOneLevel } from './one-level.js';
import { checkBatch } from './ops.js';
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
      db.exec('CREATE TABLE IF NOT EXISTS kv (key TEXT PRIMARY KEY, value BLOB NOT NULL) WITHOUT ROWID');
      // This connection only reads (on disk) or is the writer too (in memory).
      if (onDisk) db.pragma(`cache_size = -${CACHE_KIB}`);
      else configureWriter(db, false);
      if (onDisk) {
        for (const file of [path, `${path}-wal`, `${path}-shm`]) {
          if (existsSync(file)) chmodSync(file, FILE_MODE);
        }
      }
      const writer = onDisk ? new ThreadWriter(path, maxBatchOps, BUSY_TIMEOUT_MS) : new InlineWriter(db, maxBatchOps);
      return new SqlitePhysical(db, writer);
    } catch (err) {
      db.close();
      throw err;
    }
  }

  private readonly getStmt: Statement;
  /** Key scans for listing: [inclusive][bounded]. */
  private readonly scanStmts: readonly [readonly [Statement, Statement], readonly [Statement, Statement]];
  private closed = false;

  private constructor(
    private readonly db: Database.Database,
    private readonly writer: SqliteWriter,
  ) {
    this.getStmt = db.prepare('SELECT value FROM kv WHERE key = ?').pluck();
    const scan = (lower: string, upper: string): Statement =>
      db.prepare(`SELECT key FROM kv WHERE ${lower}${upper} ORDER BY key`).pluck();
    this.scanStmts = [
      [scan('key > ?', ''), scan('key > ?', ' AND key < ?')],
      [scan('key >= ?', ''), scan('key >= ?', ' AND key < ?')],
    ];
  }

  /** What the checkpoint thread has done (tests, diagnostics); undefined for an in-memory database. */
  get checkpoints(): CheckpointStats | undefined {
    return this.writer.checkpoints;
  }

  /** WAL syncs completed so far (tests, diagnostics); undefined for an in-memory database. */
  get syncs(): number | undefined {
    return this.writer.syncs;
  }

  /** Transactions committed so far (group commit makes this far fewer than writes). */
  get commits(): number {
    return this.writer.commits;
  }

  async get(key: string): Promise<Buffer | undefined> {
    checkKey(key);
    this.assertOpen();
    return this.getStmt.get(key) as Buffer | undefined;
  }

  async put(key: string, value: Buffer): Promise<void> {
    return this.write([{ type: 'put', key, value }]);
  }

  async delete(key: string): Promise<void> {
    return this.write([{ type: 'delete', key }]);
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
    return this.write(ops);
  }

  /**
   * An atomic batch whose promise resolves without waiting for an fsync when no ordinary write
   * shares its transaction: durable against a process crash, not against power loss. Only for
   * data that can be fetched again from elsewhere (see the header).
   */
  async batchRelaxed(ops: readonly BatchOp[]): Promise<void> {
    return this.write(ops, true);
  }

  /** Commit everything already queued, then close the database. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.writer.close();
    // The other connections are closed: this last one checkpoints what is left.
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

  /** Every op checked before any is queued; the writer copies the bytes before this returns. */
  private write(ops: readonly BatchOp[], relaxed = false): Promise<void> {
    checkBatch(ops);
    this.assertOpen();
    if (ops.length === 0) return Promise.resolve();
    return this.writer.submit(ops, relaxed);
  }
}
