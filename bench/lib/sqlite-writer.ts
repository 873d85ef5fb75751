/**
 * The storage baseline: raw better-sqlite3 writes with Arca's SQLite durability (WAL,
 * synchronous=FULL, same table shape), in its own process. One "write" is what a KV v2 write
 * commits: two upserts (metadata and version). Modes: one transaction per write, or groups of
 * `group` writes per transaction (what group commit achieves with that many clients waiting).
 * Run as `node sqlite-writer.js '<WriterSpec JSON>'`; prints one LoadResult JSON line, where
 * latency is each write's wait for its commit.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { LoadResult } from './load-spec.js';
import { percentile } from './stats.js';

export interface WriterSpec {
  /** Writes per transaction (1 = one transaction per write). */
  readonly group: number;
  readonly seconds: number;
  readonly maxWrites: number;
  /** Distinct keys written (uniformly, in turn). */
  readonly keyCount: number;
}

/** Close to the barrier-encrypted sizes of a small secret's metadata and version entries. */
const METADATA_BYTES = 350;
const VERSION_BYTES = 200;

function main(): void {
  const spec = JSON.parse(process.argv[2] ?? '') as WriterSpec;
  const dir = mkdtempSync(join(tmpdir(), 'arca-bench-raw-'));
  const db = new Database(join(dir, 'raw.db'));
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.exec('CREATE TABLE kv (key TEXT PRIMARY KEY, value BLOB NOT NULL) WITHOUT ROWID');
    const put = db.prepare('INSERT INTO kv (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value');
    const meta = randomBytes(METADATA_BYTES);
    const version = randomBytes(VERSION_BYTES);
    let seq = 0;
    const commitGroup = db.transaction((n: number) => {
      for (let j = 0; j < n; j++) {
        const k = seq++ % spec.keyCount;
        put.run(`logical/bench/metadata/k${k}`, meta);
        put.run(`logical/bench/versions/k${k}/${seq}`, version);
      }
    });

    const latencies = new Float64Array(spec.maxWrites);
    let writes = 0;
    const cpuBefore = process.cpuUsage();
    const start = process.hrtime.bigint();
    const deadline = start + BigInt(spec.seconds * 1e9);
    let now = start;
    while (writes + spec.group <= spec.maxWrites && now < deadline) {
      const t0 = process.hrtime.bigint();
      commitGroup(spec.group);
      now = process.hrtime.bigint();
      const ms = Number(now - t0) / 1e6;
      latencies.fill(ms, writes, writes + spec.group);
      writes += spec.group;
    }
    const seconds = Number(now - start) / 1e9;
    const cpu = process.cpuUsage(cpuBefore);
    const sample = latencies.subarray(0, writes);
    const result: LoadResult = {
      rps: writes / seconds,
      p50: percentile(sample, 50),
      p99: percentile(sample, 99),
      ok: writes,
      non2xx: 0,
      errors: 0,
      timeouts: 0,
      seconds,
      cpuUsPerRequest: writes > 0 ? (cpu.user + cpu.system) / writes : Number.NaN,
    };
    process.stdout.write(`${JSON.stringify(result)}\n`);
  } finally {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

main();
