/**
 * Group commit on one SQLite connection: units of ops (a put, a delete, a batch) queued while the
 * thread is busy are committed together in one transaction at the next setImmediate, at most
 * maxBatchOps ops per transaction (a larger unit still commits whole, alone). A transaction that
 * fails rolled back entirely; each of its units is then retried alone, so one bad unit fails only
 * its own caller.
 *
 * Durability (with a WalSyncer, on disk): the connection commits with synchronous=NORMAL and a
 * unit is settled only after an fdatasync of the WAL that started after its commit. Ordinary
 * units arriving while a sync runs are held and committed as one group when it ends: committed
 * earlier they would still wait for the next sync, and a larger group writes each B-tree page
 * once. Relaxed units (a replication secondary's applied batches) are settled at commit.
 *
 * Runs in the SQLite writer thread (sqlite-writer-thread.ts) for a database file, and on the
 * caller's thread for an in-memory database (nothing to sync, no other connection possible).
 * better-sqlite3 is synchronous, so each commit runs to its end without interleaving.
 */
import type Database from 'better-sqlite3';
import type { Checkpointer } from './sqlite-checkpointer.js';
import type { WalSyncer } from './wal-sync.js';
import type { BatchOp } from './physical.js';

/** Page cache size in KiB, per connection (default 2 MiB): version keys are digests, so a group of writes touches pages all over the tree. */
export const CACHE_KIB = 32 * 1024;
/**
 * WAL pages (4 KiB each) after which the writer checkpoints by itself. With the checkpoint thread
 * at work this copies only the last few frames, but it is the writer's checkpoint that lets the
 * next transaction start the WAL file over (a concurrent one rarely catches up with the writer).
 */
const SAFETY_CHECKPOINT_PAGES = 4096;
/** Size a restarted WAL file is truncated to. */
const WAL_SIZE_LIMIT_BYTES = 64 * 1024 * 1024;

/** Settings of the connection that writes (the table exists: SqlitePhysical.open made it). */
export function configureWriter(db: Database.Database, onDisk: boolean): void {
  // NORMAL: commits write the WAL without an fsync; the WalSyncer makes them durable before they are settled.
  db.pragma(onDisk ? 'synchronous = NORMAL' : 'synchronous = FULL');
  db.pragma(`cache_size = -${CACHE_KIB}`);
  // Checkpoints run in their own thread (sqlite-checkpointer.ts); the writer's automatic one is
  // only the safety net, and the WAL file is cut back to a bounded size when it restarts.
  db.pragma(`wal_autocheckpoint = ${SAFETY_CHECKPOINT_PAGES}`);
  db.pragma(`journal_size_limit = ${WAL_SIZE_LIMIT_BYTES}`);
}

/** One caller's writes: committed together, and settled together. */
export interface Unit {
  readonly ops: readonly BatchOp[];
  /** Settled at commit, without waiting for the WAL sync (batchRelaxed). */
  readonly relaxed: boolean;
  readonly resolve: () => void;
  readonly reject: (err: unknown) => void;
}

export class GroupCommitter {
  private readonly commitUnits: Database.Transaction<(units: readonly Unit[]) => void>;
  private queue: Unit[] = [];
  /** Ordinary units queued while a sync ran wait for its end, then commit as one group. */
  private heldForSync = false;
  private flushScheduled = false;
  private commitCount = 0;

  constructor(
    private readonly db: Database.Database,
    private readonly maxBatchOps: number,
    /** Undefined for an in-memory database (nothing to make durable). */
    private readonly syncer: WalSyncer | undefined,
    private readonly checkpointer: Checkpointer | undefined,
  ) {
    const put = db.prepare('INSERT INTO kv (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value');
    const del = db.prepare('DELETE FROM kv WHERE key = ?');
    this.commitUnits = db.transaction((units: readonly Unit[]) => {
      for (const unit of units) {
        for (const op of unit.ops) {
          if (op.type === 'put') put.run(op.key, op.value);
          else del.run(op.key);
        }
      }
    });
  }

  /** Transactions committed so far. */
  get commits(): number {
    return this.commitCount;
  }

  /** Queue a unit for the next group commit; it is settled after its transaction (and sync). */
  enqueue(unit: Unit): void {
    this.queue.push(unit);
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(this.flushTurn);
    }
  }

  /** Commit everything queued and wait until every unit is settled (close). */
  async drain(): Promise<void> {
    // Each pass removes at least one unit, so this ends.
    while (this.queue.length > 0) this.commitNext();
    await this.syncer?.drained();
  }

  /**
   * One event-loop turn of committing: one group, then yield so new units get in. While a sync
   * runs ordinary units are held (see the header); relaxed ones commit at once.
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

  /** A sync ended (its units are settled): commit what was held for it, then the next sync starts. */
  readonly afterSync = (): void => {
    if (!this.heldForSync) return;
    this.heldForSync = false;
    if (this.queue.length > 0 && this.db.open) this.commitNext();
    if (this.queue.length > 0 && !this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(this.flushTurn);
    }
  };

  /** Commit the oldest units (up to maxBatchOps ops, never splitting a unit) in one transaction. */
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
