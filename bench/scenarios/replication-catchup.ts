/**
 * merkle-catchup: a primary (own process, SQLite, WAL retention 1,000 entries) holding 100,000
 * KV v2 secrets (quick: 10,000) written through its pipeline; then a new secondary is activated
 * (secondary-token, secondary/enable, unseal). Its WAL position is long trimmed away, so it
 * catches up by Merkle diff. Reported: seconds from the unseal request (streaming starts at
 * unseal) to the moment the secondary's applied position jumps to the primary's snapshot
 * (recorded in the secondary's process, lib/repl-host.ts), and merkle_root equal on both.
 */
import { activateSecondary, caughtUp, startPrimary, startReplNode, until, type ReplNode } from '../lib/repl-pair.js';
import { round } from '../lib/stats.js';
import type { Scenario } from './types.js';

const RETENTION = 1000;

export const merkleCatchup: Scenario = {
  name: 'merkle-catchup',
  async run(ctx) {
    const keys = ctx.settings.quick ? 10_000 : 100_000;
    const primary = await startPrimary({ walRetentionEntries: RETENTION });
    let secondary: ReplNode | undefined;
    try {
      const [ms] = await primary.command({ op: 'prefill', count: keys, token: primary.token, timeoutMs: 300_000 }, /prefilled (\d+)/, 310_000);
      ctx.log(`  merkle-catchup: ${keys} secrets written in ${ms} ms`);
      secondary = await startReplNode();
      const s = secondary;
      await s.watch();
      const unsealAt = await activateSecondary(primary, s, 'catchup');
      await until('merkle roots to match', 600_000, 50, () => caughtUp(primary, s));
      const synced = (await s.positions()).find(([index]) => index > 0);
      if (synced === undefined) throw new Error('the secondary never recorded its synced position');
      const pstatus = await primary.status();
      const seconds = (synced[1] - unsealAt) / 1000;
      return {
        name: this.name,
        title: `Merkle catch-up of a new secondary, ${keys.toLocaleString('en-US')} secrets`,
        runs: [],
        measurements: [
          { name: 'catch-up', value: round(seconds, 2), unit: 's' },
          { name: 'secrets', value: keys, unit: '' },
        ],
        notes: [
          `${keys} KV v2 secrets (2 storage entries each) written at ${round((keys * 1000) / Number(ms), 0)}/s; WAL retention ${RETENTION} entries, primary last_wal ${String(pstatus['last_wal'])}; merkle_root equal on both afterwards`,
        ],
      };
    } finally {
      await secondary?.stop();
      await primary.stop();
    }
  },
};
