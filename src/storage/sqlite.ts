/**
 * SQLite Physical: the embedded default for a single node. One table, keys in a WITHOUT ROWID
 * primary key so the table itself is the ordered index that one-level listing seeks in.
 *
 * Two connections to one file. Writes go to a writer thread (`sqlite-writer.ts`, a worker with
 * its own connection) so the fsync of a commit never blocks this event loop; reads use this
 * thread's connection (WAL mode: readers never wait for the writer). Durability: WAL journal
 * with synchronous=FULL; a write's promise resolves only after the writer reports its
 * transaction committed, so it is on disk, and any read started after that sees it (a read
 * transaction takes its snapshot when it starts). Group commit: writes issued during one
 * event-loop turn go to the writer in one message; the writer commits everything waiting in one
 * transaction and drains new messages the moment a commit ends, so one fsync serves many callers.
 *
 * `batchRelaxed` is the one exception, for data another node holds durably (a replication
 * secondary's applied batches): a group made only of relaxed units commits with
 * synchronous=NORMAL (no fsync; survives a process crash, may lose the last commits, whole and in
 * order, on power loss). Any group holding an ordinary write commits FULL, and that fsync of the
 * WAL file also makes every earlier relaxed commit durable.
 *
 * If the writer thread dies, every write not yet acknowledged fails with StorageBrokenError (it
 * may or may not have committed), and so does every later write: nothing is dropped silently.
 */

import { chmodSync, closeSync, existsSync, openSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { StorageBrokenError, StorageClosedError } from './errors.js';
import { type KeyScan, checkLimit, checkPrefix, listOneLevel } from './one-level.js';
import { type BatchOp, type Physical, checkKey } from './physical.js';
import type { FromWriter, ToWriter, WireError, WireOp, WireUnit, WriterConfig } from './sqlite-writer.js';

export interface SqliteOptions {
  /**
   * Most ops committed in one transaction (default 1000). A batch larger than this still
   * commits whole, alone in its transaction.
   */
  readonly maxBatchOps?: number;
}

const DEFAULT_MAX_BATCH_OPS = 1000;
/** How long a statement waits for another connection's lock before failing. */
const BUSY_TIMEOUT_MS = 5000;
/** Owner read/write only: the file holds the (encrypted) keyring and every secret. */
const FILE_MODE = 0o600;
const WRITER_SCRIPT = new URL('./sqlite-writer.js', import.meta.url);

interface Waiter {
  readonly resolve: () => void;
  readonly reject: (err: unknown) => void;
}

type Statement = Database.Statement;

export class SqlitePhysical implements Physical {
  /** Open (creating if missing) the database file at path. Throws if the file cannot be used. */
  static open(path: string, opts: SqliteOptions = {}): SqlitePhysical {
    const maxBatchOps = opts.maxBatchOps ?? DEFAULT_MAX_BATCH_OPS;
    if (!Number.isInteger(maxBatchOps) || maxBatchOps < 1) {
      throw new RangeError('maxBatchOps must be a positive integer');
    }
    // The writer thread opens a second connection: an in-memory database would be a different one.
    if (path === '' || path === ':memory:' || path.startsWith('file:')) {
      throw new Error('sqlite storage needs a file path');
    }
    // Create the file private before SQLite opens it; SQLite gives -wal and -shm the same mode.
    closeSync(openSync(path, 'a', FILE_MODE));
    const db = new Database(path, { timeout: BUSY_TIMEOUT_MS });
    try {
      const mode = db.pragma('journal_mode = WAL', { simple: true });
      if (mode !== 'wal') throw new Error(`sqlite storage: cannot enable WAL (journal_mode=${String(mode)})`);
      // This connection writes only when it closes last (the final checkpoint); that stays FULL too.
      db.pragma('synchronous = FULL');
      db.exec('CREATE TABLE IF NOT EXISTS kv (key TEXT PRIMARY KEY, value BLOB NOT NULL) WITHOUT ROWID');
      for (const file of [path, `${path}-wal`, `${path}-shm`]) {
        if (existsSync(file)) chmodSync(file, FILE_MODE);
      }
      return new SqlitePhysical(db, { path, busyTimeoutMs: BUSY_TIMEOUT_MS, maxBatchOps });
    } catch (err) {
      db.close();
      throw err;
    }
  }

  private readonly getStmt: Statement;
  /** Key scans for listing: [inclusive][bounded]. */
  private readonly scanStmts: readonly [readonly [Statement, Statement], readonly [Statement, Statement]];
  /** A listing runs in one read transaction, so it sees one snapshot while the writer commits. */
  private readonly listInSnapshot: Database.Transaction<(prefix: string, after: string, max: number) => string[]>;
  private readonly writer: Worker;
  private readonly writerExited: Promise<void>;

  /** Units not yet sent to the writer (sent once per event-loop turn). */
  private pending: WireUnit[] = [];
  private sendScheduled = false;
  /** Every unit sent or pending whose result has not come back, by id. */
  private readonly waiting = new Map<number, Waiter>();
  private nextId = 1;
  private closed = false;
  private closing: Promise<void> | undefined;
  /** The writer confirmed it committed everything and closed its connection. */
  private writerClosed = false;
  private brokenBy: StorageBrokenError | undefined;
  private commitCount = 0;
  private writerSyncFull = true;

  private constructor(
    private readonly db: Database.Database,
    config: WriterConfig,
  ) {
    this.getStmt = db.prepare('SELECT value FROM kv WHERE key = ?').pluck();
    const scan = (lower: string, upper: string): Statement =>
      db.prepare(`SELECT key FROM kv WHERE ${lower}${upper} ORDER BY key`).pluck();
    this.scanStmts = [
      [scan('key > ?', ''), scan('key > ?', ' AND key < ?')],
      [scan('key >= ?', ''), scan('key >= ?', ' AND key < ?')],
    ];
    this.listInSnapshot = db.transaction((prefix: string, after: string, max: number) => listOneLevel(this.scan, prefix, after, max));
    this.writer = new Worker(WRITER_SCRIPT, { workerData: config });
    this.writerExited = new Promise((resolve) => this.writer.once('exit', () => resolve()));
    this.writer.on('message', this.onSettled);
    this.writer.on('error', (err) => this.fail(err));
    this.writer.on('messageerror', (err) => this.fail(err));
    this.writer.on('exit', (code) => {
      if (!this.writerClosed || this.waiting.size > 0) this.fail(new Error(`sqlite writer thread exited with code ${code}`));
    });
    // An idle writer does not keep the process alive; a write in flight does (ref'd in enqueue).
    this.writer.unref();
  }

  /** Transactions committed so far (group commit makes this far fewer than writes). */
  get commits(): number {
    return this.commitCount;
  }

  /** The writer connection's synchronous setting after its last commit (FULL, or NORMAL after an all-relaxed group). */
  get writerSynchronous(): 'FULL' | 'NORMAL' {
    return this.writerSyncFull ? 'FULL' : 'NORMAL';
  }

  /** Set once the writer thread died: every write fails with it from then on. */
  get broken(): StorageBrokenError | undefined {
    return this.brokenBy;
  }

  async get(key: string): Promise<Buffer | undefined> {
    checkKey(key);
    this.assertOpen();
    return this.getStmt.get(key) as Buffer | undefined;
  }

  async put(key: string, value: Buffer): Promise<void> {
    checkKey(key);
    return this.enqueue([{ type: 'put', key, value: wireValue(value) }]);
  }

  async delete(key: string): Promise<void> {
    checkKey(key);
    return this.enqueue([{ type: 'delete', key }]);
  }

  async list(prefix: string): Promise<string[]> {
    checkPrefix(prefix);
    this.assertOpen();
    return this.listInSnapshot(prefix, '', Number.POSITIVE_INFINITY);
  }

  async listPage(prefix: string, after: string, limit: number): Promise<string[]> {
    checkPrefix(prefix);
    if (after !== '') checkKey(after);
    const max = checkLimit(limit);
    this.assertOpen();
    return this.listInSnapshot(prefix, after, max);
  }

  async batch(ops: readonly BatchOp[]): Promise<void> {
    const wire = wireOps(ops);
    if (wire.length === 0) return this.assertOpen();
    return this.enqueue(wire);
  }

  /**
   * An atomic batch whose promise resolves without waiting for an fsync when no ordinary write
   * shares its transaction: durable against a process crash, not against power loss. Only for
   * data that can be fetched again from elsewhere (see the header).
   */
  async batchRelaxed(ops: readonly BatchOp[]): Promise<void> {
    const wire = wireOps(ops);
    if (wire.length === 0) return this.assertOpen();
    return this.enqueue(wire, true);
  }

  /** Commit everything already queued, stop the writer, then close the database. Idempotent. */
  close(): Promise<void> {
    if (this.closing === undefined) {
      this.closed = true;
      this.closing = this.shutDown();
    }
    return this.closing;
  }

  /** Kill the writer thread as a crash would (for tests of the broken state). */
  async crashWriterForTest(): Promise<void> {
    await this.writer.terminate();
  }

  private async shutDown(): Promise<void> {
    this.writer.ref();
    if (this.brokenBy === undefined) {
      this.sendPending();
      this.writer.postMessage({ type: 'close' } satisfies ToWriter);
    }
    await this.writerExited;
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

  /** Queue a unit for the writer; the promise settles once its transaction did. */
  private enqueue(ops: readonly WireOp[], relaxed = false): Promise<void> {
    this.assertOpen();
    if (this.brokenBy !== undefined) return Promise.reject(this.brokenBy);
    const id = this.nextId++;
    return new Promise<void>((resolve, reject) => {
      if (this.waiting.size === 0) this.writer.ref();
      this.waiting.set(id, { resolve, reject });
      this.pending.push({ id, ops, relaxed });
      if (!this.sendScheduled) {
        this.sendScheduled = true;
        setImmediate(this.sendTurn);
      }
    });
  }

  private readonly sendTurn = (): void => {
    this.sendScheduled = false;
    this.sendPending();
  };

  /** One message per turn for everything queued: the writer takes it all into its next commit. */
  private sendPending(): void {
    if (this.pending.length === 0 || this.brokenBy !== undefined) return;
    const msg: ToWriter = { type: 'units', units: this.pending };
    this.pending = [];
    this.writer.postMessage(msg);
  }

  private readonly onSettled = (msg: FromWriter): void => {
    if (msg.type === 'closed') {
      this.writerClosed = true;
      return;
    }
    this.commitCount = msg.commits;
    this.writerSyncFull = msg.syncFull;
    for (const id of msg.ok) this.settle(id)?.resolve();
    for (const [id, err] of msg.failed) this.settle(id)?.reject(reviveError(err));
    if (this.waiting.size === 0 && this.closing === undefined) this.writer.unref();
  };

  private settle(id: number): Waiter | undefined {
    const waiter = this.waiting.get(id);
    this.waiting.delete(id);
    return waiter;
  }

  /** The writer is gone: fail every unacknowledged write now, and every later one. */
  private fail(cause: unknown): void {
    if (this.brokenBy !== undefined) return;
    this.brokenBy = new StorageBrokenError('sqlite', { cause });
    this.pending = [];
    const waiters = [...this.waiting.values()];
    this.waiting.clear();
    for (const waiter of waiters) waiter.reject(this.brokenBy);
  }
}

/**
 * A private copy of a value, owning a buffer of exactly its size: a pooled Buffer slice would
 * drag its whole 8 KiB slab through the structured clone to the writer. (Cloned, not
 * transferred: a transfer list costs time quadratic in its length, seconds for a 100k-op batch.)
 */
function wireValue(value: Buffer): Uint8Array {
  if (!(value instanceof Uint8Array)) throw new TypeError('storage value must be a Buffer');
  return new Uint8Array(value);
}

/** Validate every op before any applies (a bad op fails the whole batch), copying the values. */
function wireOps(ops: readonly BatchOp[]): WireOp[] {
  if (!Array.isArray(ops)) throw new TypeError('batch ops must be an array');
  return ops.map((op): WireOp => {
    checkKey(op.key);
    if (op.type === 'put') return { type: 'put', key: op.key, value: wireValue(op.value) };
    if (op.type === 'delete') return { type: 'delete', key: op.key };
    throw new TypeError(`unknown batch op type ${JSON.stringify((op as { type: unknown }).type)}`);
  });
}

/** The writer's error as the same type a synchronous better-sqlite3 call would have thrown. */
function reviveError(err: WireError): Error {
  if (err.name === 'SqliteError') return new Database.SqliteError(err.message, err.code ?? 'SQLITE_ERROR');
  if (err.name === 'TypeError') return new TypeError(err.message);
  if (err.name === 'RangeError') return new RangeError(err.message);
  const revived = new Error(err.message);
  revived.name = err.name;
  return revived;
}
