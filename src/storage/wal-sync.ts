/**
 * Durability of SQLite commits without blocking the event loop on fsync.
 *
 * With synchronous=FULL, SQLite fsyncs the WAL inside every commit, and better-sqlite3 runs
 * commits on the main thread: the event loop stood still for the length of each fsync (on a
 * primary at ~1,000 small writes/s, commits were about a quarter of the main thread's time).
 * Instead the connection commits with synchronous=NORMAL (frames written, no fsync) and this
 * class fdatasyncs the WAL file on libuv's thread pool; a commit's callers are told it succeeded
 * only when a sync that started after the commit has finished. One sync runs at a time and takes
 * every commit made before it started, so syncs group themselves like commits do.
 *
 * What this changes: nothing for acknowledged writes (they are on disk, as with FULL). A write
 * is visible to readers of this process between its commit and its sync (~0.1-1 ms); if power
 * fails in that window, a value may have been read that the disk never kept, but it was never
 * acknowledged. A failed sync fails its writes and every later one (after a failed fsync the
 * kernel may have dropped the pages: nothing written since can be trusted durable).
 */
import { closeSync, fdatasync, fsyncSync, openSync } from 'node:fs';
import { dirname } from 'node:path';

export interface SyncWaiter {
  resolve(): void;
  reject(err: unknown): void;
}

export class WalSyncError extends Error {
  constructor(cause: unknown) {
    const code = (cause as { code?: unknown } | undefined)?.code;
    super(`sqlite storage: syncing the write-ahead log failed${typeof code === 'string' ? ` (${code})` : ''}; restart the server`);
    this.name = 'WalSyncError';
  }
}

export class WalSyncer {
  private fd: number | undefined;
  private inFlight = false;
  private waiting: SyncWaiter[] = [];
  private failure: WalSyncError | undefined;
  private drainedWaiters: (() => void)[] = [];
  private syncCount = 0;

  constructor(
    private readonly walPath: string,
    /** Called when a sync has finished and its callers are settled, before the next one starts. */
    private readonly onSynced: () => void = () => undefined,
  ) {}

  /** A sync is running: commits made now are settled by the next one. */
  get busy(): boolean {
    return this.inFlight;
  }

  /** Syncs completed so far (tests, diagnostics). */
  get syncs(): number {
    return this.syncCount;
  }

  /** Callers of commits that just returned: settle them once the WAL is on disk. */
  durable(waiters: readonly SyncWaiter[]): void {
    if (this.failure !== undefined) {
      for (const w of waiters) w.reject(this.failure);
      return;
    }
    for (const w of waiters) this.waiting.push(w);
    this.start();
  }

  /** Resolves once every commit handed to `durable` so far has been settled. */
  drained(): Promise<void> {
    if (!this.inFlight && this.waiting.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.drainedWaiters.push(resolve));
  }

  /** Release the file descriptor (after `drained`). */
  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }

  private start(): void {
    if (this.inFlight || this.waiting.length === 0) return;
    const batch = this.waiting;
    this.waiting = [];
    let fd: number;
    try {
      fd = this.walFd();
    } catch (err) {
      this.fail(batch, err);
      return;
    }
    this.inFlight = true;
    fdatasync(fd, (err) => {
      this.inFlight = false;
      if (err !== null) this.fail(batch, err);
      else {
        this.syncCount++;
        for (const w of batch) w.resolve();
      }
      this.onSynced();
      this.start();
      if (!this.inFlight && this.waiting.length === 0) {
        const done = this.drainedWaiters;
        this.drainedWaiters = [];
        for (const d of done) d();
      }
    });
  }

  /**
   * The WAL file, opened on first use (it exists once anything was committed). Its directory
   * entry is made durable once too: SQLite does not sync the directory in NORMAL mode.
   */
  private walFd(): number {
    if (this.fd !== undefined) return this.fd;
    const fd = openSync(this.walPath, 'r');
    try {
      const dir = openSync(dirname(this.walPath), 'r');
      try {
        fsyncSync(dir);
      } finally {
        closeSync(dir);
      }
    } catch (err) {
      closeSync(fd);
      throw err;
    }
    this.fd = fd;
    return fd;
  }

  private fail(batch: readonly SyncWaiter[], cause: unknown): void {
    this.failure ??= new WalSyncError(cause);
    for (const w of batch) w.reject(this.failure);
    for (const w of this.waiting) w.reject(this.failure);
    this.waiting = [];
  }
}
