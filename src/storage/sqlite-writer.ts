/**
 * The SQLite writer thread (a worker_threads worker started by sqlite.ts). It holds the one
 * connection that writes, so a commit's fsync blocks this thread and never the event loop that
 * serves requests. The main thread keeps its own connection for reads (WAL mode: readers never
 * wait for the writer).
 *
 * Group commit: units arrive as messages; after each commit every message already waiting is
 * drained (receiveMessageOnPort), so the next transaction takes everything queued the moment
 * the previous one ends, with no timer. A unit's result is posted only after its transaction
 * committed (synchronous=FULL: fsynced), so the caller's promise resolves only once it is durable.
 */

import { parentPort, receiveMessageOnPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';

export interface WriterConfig {
  readonly path: string;
  readonly busyTimeoutMs: number;
  /** Most ops per transaction; a larger unit still commits whole, alone. */
  readonly maxBatchOps: number;
}

/** An op on the wire: values are exact-size private copies (structured-cloned to the writer). */
export type WireOp = { readonly type: 'put'; readonly key: string; readonly value: Uint8Array } | { readonly type: 'delete'; readonly key: string };

/** One caller's writes (a put, a delete or an atomic batch): committed together, settled together. */
export interface WireUnit {
  readonly id: number;
  readonly ops: readonly WireOp[];
  /** Commit without fsync when the whole group is relaxed (SqlitePhysical.batchRelaxed). */
  readonly relaxed: boolean;
}

/** An error as it crosses the thread boundary; `code` is SqliteError's (SQLITE_BUSY, SQLITE_FULL...). */
export interface WireError {
  readonly name: string;
  readonly message: string;
  readonly code?: string;
}

export type ToWriter = { readonly type: 'units'; readonly units: readonly WireUnit[] } | { readonly type: 'close' };

export type FromWriter =
  /** `commits`: transactions so far; `syncFull`: the connection's synchronous setting now. */
  | {
      readonly type: 'settled';
      readonly ok: readonly number[];
      readonly failed: readonly (readonly [number, WireError])[];
      readonly commits: number;
      readonly syncFull: boolean;
    }
  | { readonly type: 'closed' };

function toWireError(err: unknown): WireError {
  if (!(err instanceof Error)) return { name: 'Error', message: String(err) };
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' ? { name: err.name, message: err.message, code } : { name: err.name, message: err.message };
}

class Writer {
  private readonly db: Database.Database;
  private readonly commitUnits: Database.Transaction<(units: readonly WireUnit[]) => void>;
  private queue: WireUnit[] = [];
  private closing = false;
  private commits = 0;
  /** The connection's synchronous setting: FULL unless the last group was all relaxed. */
  private syncFull = true;

  constructor(
    private readonly port: NonNullable<typeof parentPort>,
    private readonly config: WriterConfig,
  ) {
    this.db = new Database(config.path, { timeout: config.busyTimeoutMs });
    // The main thread created the file in WAL mode; WAL is persistent, synchronous is per connection.
    this.db.pragma('synchronous = FULL');
    const put = this.db.prepare('INSERT INTO kv (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value');
    const del = this.db.prepare('DELETE FROM kv WHERE key = ?');
    this.commitUnits = this.db.transaction((units: readonly WireUnit[]) => {
      for (const unit of units) {
        for (const op of unit.ops) {
          if (op.type === 'put') put.run(op.key, op.value);
          else del.run(op.key);
        }
      }
    });
    port.on('message', (msg: ToWriter) => {
      this.accept(msg);
      this.run();
    });
  }

  private accept(msg: ToWriter): void {
    if (msg.type === 'close') this.closing = true;
    else for (const unit of msg.units) this.queue.push(unit);
  }

  /** Commit until nothing is queued, draining new messages before each transaction. */
  private run(): void {
    for (;;) {
      for (let m = receiveMessageOnPort(this.port); m !== undefined; m = receiveMessageOnPort(this.port)) {
        this.accept(m.message as ToWriter);
      }
      if (this.queue.length === 0) break;
      this.commitNext();
    }
    if (this.closing) {
      this.db.close();
      this.post({ type: 'closed' });
      this.port.close();
    }
  }

  /**
   * Commit the oldest units (up to maxBatchOps ops, never splitting a unit) in one transaction.
   * If it fails, it rolled back whole; each unit is then retried alone, so one bad unit fails
   * only its own caller.
   */
  private commitNext(): void {
    let count = 0;
    let ops = 0;
    for (const unit of this.queue) {
      if (count > 0 && ops + unit.ops.length > this.config.maxBatchOps) break;
      ops += unit.ops.length;
      count++;
    }
    const group = this.queue.splice(0, count);
    const error = this.commit(group);
    if (error === undefined) {
      this.settled(group.map((u) => u.id), []);
      return;
    }
    if (group.length === 1) {
      this.settled([], [[group[0]?.id ?? 0, toWireError(error)]]);
      return;
    }
    const ok: number[] = [];
    const failed: [number, WireError][] = [];
    for (const unit of group) {
      const alone = this.commit([unit]);
      if (alone === undefined) ok.push(unit.id);
      else failed.push([unit.id, toWireError(alone)]);
    }
    this.settled(ok, failed);
  }

  private settled(ok: readonly number[], failed: readonly (readonly [number, WireError])[]): void {
    this.post({ type: 'settled', ok, failed, commits: this.commits, syncFull: this.syncFull });
  }

  /** One transaction; the error if it failed (and rolled back). */
  private commit(group: readonly WireUnit[]): unknown {
    try {
      this.setSync(group.every((u) => u.relaxed));
      this.commitUnits.immediate(group);
      this.commits++;
      return undefined;
    } catch (err) {
      return err ?? new Error('sqlite commit failed');
    }
  }

  /** Switch synchronous between transactions, only when it changes (a statement per switch). */
  private setSync(relaxed: boolean): void {
    if (this.syncFull === !relaxed) return;
    this.db.pragma(relaxed ? 'synchronous = NORMAL' : 'synchronous = FULL');
    this.syncFull = !relaxed;
  }

  private post(msg: FromWriter): void {
    this.port.postMessage(msg);
  }
}

// Only when started as the worker: sqlite.ts imports this module for its types alone.
if (parentPort !== null) new Writer(parentPort, workerData as WriterConfig);
