/**
 * replication-lag: a primary and a secondary (own processes, SQLite, activated through the
 * sys/replication endpoints), 1,000 KV v2 writes/s on the primary (paced, open loop, from a
 * separate writer process), and for each write the ms between its acknowledgement at the
 * writer and its visibility on the secondary.
 *
 * Method (least observer effect): the secondary's process records [applied index, time] each
 * time its applied WAL index moves (lib/repl-host.ts), which is the moment its reads see the
 * batch; the writer records each acknowledgement's time and X-Vault-Index. Both clocks are
 * CLOCK_MONOTONIC, shared by every process on the machine. Nothing polls the secondary. A write
 * visible before its acknowledgement reached the writer counts as 0 ms. Also reported: commit
 * on the primary -> applied on the secondary (the primary's process records its committed
 * index the same way), which needs no response header.
 */
import { KV_WRITE_BODY, kvDataPath } from '../lib/payload.js';
import { startPair, type ReplPair, until } from '../lib/repl-pair.js';
import { runPacedWrites } from '../lib/repl-writer-client.js';
import { percentile, round } from '../lib/stats.js';
import type { Measurement, Scenario } from './types.js';

export const RATE = 1000;
export const pair = (ctx: Parameters<Scenario['run']>[0]): Promise<ReplPair> => ctx.shared('repl-pair', startPair);

/** Time of the first recorded position at or past `index` (positions ascend in both index and time). */
export function reachedAt(positions: readonly [number, number][], index: number): number | undefined {
  let lo = 0;
  let hi = positions.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (positions[mid]![0] >= index) hi = mid;
    else lo = mid + 1;
  }
  return positions[lo]?.[1];
}

export const replicationLag: Scenario = {
  name: 'replication-lag',
  async run(ctx) {
    const { primary, secondary } = await pair(ctx);
    const seconds = ctx.settings.quick ? 3 : 10;
    await primary.watch();
    await secondary.watch();
    const w = await runPacedWrites({ url: primary.url, token: primary.token, path: kvDataPath('lag/k{i}'), keyCount: 10_000, body: KV_WRITE_BODY, rate: RATE, seconds, maxInFlight: 64 });
    // Bounded wait for the secondary to apply everything the primary committed.
    await until('the secondary to apply the last write', 30_000, 20, async () => {
      const [p, s] = await Promise.all([primary.status(), secondary.status()]);
      return Number(s['last_remote_wal']) >= Number(p['last_wal']) ? true : undefined;
    });
    const [committed, applied] = await Promise.all([primary.positions(), secondary.positions()]);
    const ackLags: number[] = [];
    const commitLags: number[] = [];
    let early = 0;
    let unseen = 0;
    for (const [ackAt, index] of w.acks) {
      if (index < 0) continue;
      const visible = reachedAt(applied, index);
      const commit = reachedAt(committed, index);
      if (visible === undefined) {
        unseen++;
        continue;
      }
      if (visible < ackAt) early++;
      ackLags.push(Math.max(0, visible - ackAt));
      if (commit !== undefined) commitLags.push(Math.max(0, visible - commit));
    }
    if (ackLags.length === 0) {
      // No X-Vault-Index on the primary's answers: measure per committed batch instead.
      for (const [index, at] of committed) {
        const visible = reachedAt(applied, index);
        if (visible !== undefined) commitLags.push(Math.max(0, visible - at));
      }
    }
    const ackLatency = w.acks.map((a) => a[2]);
    const m: Measurement[] = [];
    const add = (name: string, values: number[], p: number): void => {
      if (values.length > 0) m.push({ name, value: round(percentile(values, p), 2), unit: 'ms' });
    };
    add('lag p50', ackLags, 50);
    add('lag p99', ackLags, 99);
    add('commit->apply p50', commitLags, 50);
    add('commit->apply p99', commitLags, 99);
    add('write ack p50', ackLatency, 50);
    m.push({ name: 'writes/s', value: round(w.acks.length / w.seconds, 0), unit: '' });
    const notes = [
      `${w.acks.length} writes acknowledged of ${w.sent} sent at ${RATE}/s for ${seconds} s (${w.failed} failed, ${w.late} sends delayed by 64 in flight); ${applied.length} applied batches at the secondary`,
    ];
    if (ackLags.length === 0) notes.push('the primary answered without X-Vault-Index: lag is commit -> apply per committed batch');
    if (early > 0) notes.push(`${early} writes were visible at the secondary before their acknowledgement reached the writer (counted as 0 ms)`);
    if (unseen > 0) notes.push(`${unseen} acknowledged writes were never seen applied`);
    return { name: this.name, title: `replication lag at ${RATE} writes/s`, runs: [], measurements: m, notes };
  },
  target(result) {
    const m = result.measurements ?? [];
    const p99 = m.find((x) => x.name === 'lag p99') ?? m.find((x) => x.name === 'commit->apply p99');
    if (p99 === undefined) return undefined;
    return { text: `replication lag p99 < 10 ms at ${RATE} writes/s (${p99.name})`, met: p99.value < 10 };
  },
};
