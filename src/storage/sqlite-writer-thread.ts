/**
 * The SQLite writer thread: the one connection that writes a database file. SqlitePhysical
 * (sqlite-writer.ts) sends it the units of each event-loop turn; it commits them in groups
 * (sqlite-group-commit.ts), makes them durable with an fdatasync of the WAL (wal-sync.ts), and
 * sends back which units are settled. It owns the checkpoint thread (sqlite-checkpointer.ts).
 *
 * Protocol: sqlite-writer-wire.ts. 'close' commits what is queued, waits until every unit is
 * settled, closes the checkpoint thread and this connection, answers 'closed' and ends.
 */
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { Checkpointer } from './sqlite-checkpointer.js';
import { GroupCommitter, configureWriter } from './sqlite-group-commit.js';
import { type Failure, type FromWriter, type ToWriter, decodeUnits } from './sqlite-writer-wire.js';
import { WalSyncer } from './wal-sync.js';

export interface WriterData {
  readonly path: string;
  readonly maxBatchOps: number;
  readonly busyTimeoutMs: number;
}

function failure(id: number, err: unknown): Failure {
  if (!(err instanceof Error)) return { id, name: 'Error', message: String(err) };
  const code = (err as { code?: unknown }).code;
  return { id, name: err.name, message: err.message, ...(typeof code === 'string' ? { code } : {}) };
}

function main(): void {
  const port = parentPort;
  if (port === null) throw new Error('sqlite-writer-thread must run in a worker thread');
  const { path, maxBatchOps, busyTimeoutMs } = workerData as WriterData;
  const db = new Database(path, { fileMustExist: true, timeout: busyTimeoutMs });
  configureWriter(db, true);
  const post = (msg: FromWriter): void => port.postMessage(msg);

  const checkpointer = new Checkpointer(path, undefined, (reply) => {
    post({ t: 'checkpoint', stats: { requests: checkpointer.requests, last: reply } });
  });
  // The callback runs after a sync, long after `commits` exists.
  const syncer = new WalSyncer(`${path}-wal`, () => commits.afterSync());
  const commits = new GroupCommitter(db, maxBatchOps, syncer, checkpointer);

  // Settlements are gathered and sent once per turn of this thread's event loop.
  let done: number[] = [];
  let failed: Failure[] = [];
  let flushQueued = false;
  const flush = (): void => {
    flushQueued = false;
    post({ t: 'settled', done, failed, commits: commits.commits, syncs: syncer.syncs, checkpointRequests: checkpointer.requests });
    done = [];
    failed = [];
  };
  const queueFlush = (): void => {
    if (flushQueued) return;
    flushQueued = true;
    queueMicrotask(flush);
  };

  port.on('message', (msg: ToWriter) => {
    if (msg.t === 'units') {
      decodeUnits(msg.buf, (id, relaxed, ops) => {
        commits.enqueue({
          ops,
          relaxed,
          resolve: () => {
            done.push(id);
            queueFlush();
          },
          reject: (err) => {
            failed.push(failure(id, err));
            queueFlush();
          },
        });
      });
      return;
    }
    void (async () => {
      await commits.drain();
      if (flushQueued) flush();
      syncer.close();
      await checkpointer.close();
      db.close();
      post({ t: 'closed', commits: commits.commits, syncs: syncer.syncs });
      port.close();
    })();
  });
}

main();
