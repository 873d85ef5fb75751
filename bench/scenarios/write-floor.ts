/**
 * The write-latency floor: the bare node:http baseline server (own process) answering the KV
 * write load (64 connections, the same POST bodies) after a fixed 160 µs of CPU work per
 * request, so that one event loop serves about 5,000 requests/s, the write target.
 * It has no storage, no pipeline stages and no threads: its p99 is what the load generator and
 * this host give a single-threaded server at that rate, measured in the same run as
 * kv-write-sqlite. A KV write p99 is read against it, not only against the 20 ms target.
 */
import { fileURLToPath } from 'node:url';
import { spawnNode } from '../lib/child.js';
import { KV_WRITE_BODY, kvDataPath } from '../lib/payload.js';
import { WRITE_KEYS, WRITE_RUN_SECONDS } from './kv-write.js';
import { failureNotes, measureLoad, runLengthNotes } from './repeat.js';
import type { Scenario } from './types.js';

const SERVER = fileURLToPath(new URL('../lib/baseline-server.js', import.meta.url));
/** CPU work per request besides node's HTTP (~40 µs): ~200 µs in all, 5,000 requests/s. */
const WORK_US = 160;
/** About the size of a KV v2 write's answer. */
const ANSWER_BYTES = 280;

export const writeFloor: Scenario = {
  name: 'write-floor',
  async run(ctx) {
    const child = await spawnNode(SERVER, { args: [String(ANSWER_BYTES), String(WORK_US)], ready: /baseline listening (\d+)/, timeoutMs: 10_000 });
    try {
      const target = {
        url: `http://127.0.0.1:${child.ready[0]!}`,
        path: kvDataPath('app/w{i}'),
        method: 'POST',
        headers: { 'X-Vault-Token': 'root', 'Content-Type': 'application/json' },
        body: KV_WRITE_BODY,
        keyCount: WRITE_KEYS,
        measuredSeconds: WRITE_RUN_SECONDS,
      } as const;
      const { runs, median } = await measureLoad(ctx, 'write-floor', child, target);
      return {
        name: this.name,
        title: `bare node:http, ${WORK_US} µs of fixed CPU work per POST, 64 connections`,
        runs,
        median,
        notes: [...runLengthNotes(ctx.settings, target), ...failureNotes(runs)],
      };
    } finally {
      await child.stop();
    }
  },
};
