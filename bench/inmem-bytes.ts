/**
 * Estimate what one stored KV v2 secret and one lease cost in RSS on a dev (inmem) server,
 * without the several-minute 1,000,000-entry run: start a hosted node, then write KV secrets
 * and leases in steps through its in-process pipeline, reading RSS after each step. Each KV
 * secret is two physical entries (metadata + version data).
 *
 *   node dist/bench/inmem-bytes.js [kvCount=100000] [leaseCount=20000] [inmem|sqlite]
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { startHostedNode } from './lib/node-host-client.js';

const MIB = 2 ** 20;

async function main(): Promise<void> {
  const kv = Number(process.argv[2] ?? 100_000);
  const leases = Number(process.argv[3] ?? 20_000);
  const storage = process.argv[4] === 'sqlite' ? 'sqlite' : 'inmem';
  // The first 2,000 secrets warm up (JIT, pools, caches) before the baseline reading.
  const node = await startHostedNode({ storage, prefill: 2_000, leases: 0, prefillTimeoutMs: 600_000 });
  try {
    const settle = async (): Promise<number> => {
      await sleep(1500);
      return node.child.rss();
    };
    const base = await settle();
    const kvMs = await node.prefill('kv', kv, 600_000);
    const afterKv = await settle();
    const leaseMs = await node.prefill('leases', leases, 600_000);
    const afterLeases = await settle();
    const perKv = (afterKv - base) / kv;
    const perLease = leases > 0 ? (afterLeases - afterKv) / leases : 0;
    console.log(`${storage}: base RSS ${(base / MIB).toFixed(0)} MiB`);
    console.log(`  +${kv} KV secrets in ${kvMs} ms: RSS ${(afterKv / MIB).toFixed(0)} MiB, ${perKv.toFixed(0)} B per secret (${(perKv / 2).toFixed(0)} B per physical entry)`);
    console.log(`  +${leases} leases in ${leaseMs} ms: RSS ${(afterLeases / MIB).toFixed(0)} MiB, ${perLease.toFixed(0)} B per lease`);
    const projected = base + perKv * 1_000_000 + perLease * 100_000;
    console.log(`  projected for 1,000,000 secrets + 100,000 leases: ${(projected / MIB).toFixed(0)} MiB`);
  } finally {
    await node.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
