/**
 * KV v2 writes to a durable server: `arca server` on SQLite (WAL, synchronous=FULL), 64
 * concurrent connections, keys drawn from 10,000 so both creates and updates occur. Divided by
 * raw grouped better-sqlite3 writes with the same durability.
 */
import { startSqliteServer } from '../lib/arca-server.js';
import { KV_WRITE_BODY, kvDataPath } from '../lib/payload.js';
import { failureNotes, measureLoad, runLengthNotes } from './repeat.js';
import type { Scenario } from './types.js';

export const WRITE_KEYS = 10_000;
/** Its target is a p99 under sustained load: measured runs long enough for that (repeat.ts). */
export const WRITE_RUN_SECONDS = 30;

export const kvWrite: Scenario = {
  name: 'kv-write-sqlite',
  baseline: 'sqlite-raw-grouped',
  /** Run with it: the p99 a bare server gets at the target rate on this host (write-floor.ts). */
  companions: ['write-floor'],
  async run(ctx) {
    const server = await startSqliteServer();
    try {
      const target = {
        url: server.url,
        path: kvDataPath('app/w{i}'),
        method: 'POST',
        headers: { 'X-Vault-Token': server.token, 'Content-Type': 'application/json' },
        body: KV_WRITE_BODY,
        keyCount: WRITE_KEYS,
        measuredSeconds: WRITE_RUN_SECONDS,
      } as const;
      const { runs, median } = await measureLoad(ctx, 'kv-write-sqlite', server.child, target);
      return { name: this.name, title: 'KV v2 write, SQLite durable storage, 64 connections', runs, median, notes: [...runLengthNotes(ctx.settings, target), ...failureNotes(runs)] };
    } finally {
      await server.stop();
    }
  },
  target(result) {
    const m = result.median;
    return { text: '>= 5,000 writes/s and p99 < 20 ms at 64 connections', met: m !== undefined && m.rps >= 5000 && m.p99 < 20 };
  },
};
