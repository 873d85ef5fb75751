/**
 * The SQLite checkpointer's thread (sqlite-checkpointer.ts): its own connection to the database
 * file, copying committed WAL frames back into the database on request so the event loop never
 * does. Only PASSIVE checkpoints: they never wait for, or block, the writer on the main thread.
 *
 * Protocol: 'checkpoint' -> CheckpointReply; 'close' -> the connection is closed and the thread ends.
 */
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';

export interface CheckpointReply {
  readonly ok: boolean;
  /** Frames in the WAL and frames copied back after the last pass. */
  readonly log: number;
  readonly checkpointed: number;
  readonly error?: string;
}

/** Passes per request: frames committed during a pass are copied by the next, so the WAL can restart. */
const MAX_PASSES = 4;

interface CheckpointRow {
  busy: number;
  log: number;
  checkpointed: number;
}

function main(): void {
  const port = parentPort;
  if (port === null) throw new Error('sqlite-checkpoint-worker must run in a worker thread');
  const { path } = workerData as { path: string };
  const db = new Database(path, { fileMustExist: true });
  // The copy and the database file's fsync follow this connection's setting.
  db.pragma('synchronous = FULL');
  port.on('message', (msg: unknown) => {
    if (msg === 'close') {
      db.close();
      port.close();
      return;
    }
    let reply: CheckpointReply;
    try {
      let row: CheckpointRow = { busy: 0, log: 0, checkpointed: 0 };
      for (let pass = 0; pass < MAX_PASSES; pass++) {
        row = (db.pragma('wal_checkpoint(PASSIVE)') as CheckpointRow[])[0] ?? row;
        if (row.log <= 0 || row.checkpointed >= row.log) break;
      }
      reply = { ok: true, log: row.log, checkpointed: row.checkpointed };
    } catch (err) {
      // SQLite's message names no values; it goes back as diagnostics only.
      reply = { ok: false, log: -1, checkpointed: -1, error: err instanceof Error ? err.message : String(err) };
    }
    port.postMessage(reply);
  });
}

main();
