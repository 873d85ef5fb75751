/**
 * A replication bench server: one Arca node (startNode, the assembly `arca server` uses) on
 * SQLite, listening on 127.0.0.1 with an ephemeral API and cluster port, NOT initialised:
 * the orchestrator initialises, unseals and activates it over HTTP like an operator
 * (lib/repl-pair.ts). Run as `node repl-host.js '<ReplHostSpec JSON>'`; prints
 * "repl host ready <apiAddr>".
 *
 * Commands on stdin, one JSON line each (ReplHostCommand), answered on stdout:
 * - watch: from now on, record [index, time] each time this node's WAL position moves (the
 *   primary's committed index, the secondary's applied index). "watching".
 * - positions: write what was recorded to `file` as JSON. "positions <count>".
 * - prefill: write `count` KV v2 keys through the pipeline with `token`. "prefilled <ms>".
 *
 * Why record positions here: the moment a secondary's applied index moves is exactly when its
 * reads start to see the batch (the applier advances it only after the caches follow). One
 * array push per batch is the least intrusive observer there is: no request to the secondary,
 * no extra process work per write. Times are CLOCK_MONOTONIC (process.hrtime), which every
 * process on the machine shares, so they compare with the load writer's acknowledgement times.
 */
import { writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { parseServerConfig } from '../../src/config/server-config.js';
import { startNode, type RunningNode } from '../../src/server/node.js';
import { silentLogger } from '../../src/util/logger.js';
import { prefillKv } from './prefill.js';

export interface ReplHostSpec {
  readonly dbPath: string;
  /** replication { wal_retention_entries } (default: the server's). */
  readonly walRetentionEntries?: number;
}

export type ReplHostCommand =
  | { readonly op: 'watch' }
  | { readonly op: 'positions'; readonly file: string }
  | { readonly op: 'prefill'; readonly count: number; readonly token: string; readonly timeoutMs: number };

/** Monotonic milliseconds shared by every process on this machine (CLOCK_MONOTONIC). */
export function monoMs(): number {
  return Number(process.hrtime.bigint() / 1000n) / 1000;
}

function configText(spec: ReplHostSpec): string {
  const retention = spec.walRetentionEntries === undefined ? '' : `replication {\n  wal_retention_entries = ${spec.walRetentionEntries}\n}\n`;
  return (
    `storage "sqlite" { path = ${JSON.stringify(spec.dbPath)} }\n` +
    `listener "tcp" {\n  address = "127.0.0.1:0"\n  cluster_address = "127.0.0.1:0"\n  tls_disable = true\n}\n` +
    `disable_mlock = true\n${retention}`
  );
}

/** [index, monoMs] each time the position moves; bounded (a bench run is bounded too). */
const MAX_POSITIONS = 2_000_000;
const positions: [number, number][] = [];
let watching = false;

async function watch(node: RunningNode): Promise<void> {
  if (watching) return;
  watching = true;
  const repl = node.core.replication;
  while (watching && positions.length < MAX_POSITIONS) {
    const ok = await repl.waitForIndex(repl.lastIndex() + 1, 1000);
    if (ok) positions.push([repl.lastIndex(), monoMs()]);
  }
}

async function handle(node: RunningNode, cmd: ReplHostCommand): Promise<string> {
  switch (cmd.op) {
    case 'watch':
      void watch(node);
      return 'watching';
    case 'positions':
      writeFileSync(cmd.file, JSON.stringify(positions));
      return `positions ${positions.length}`;
    case 'prefill': {
      const started = Date.now();
      await prefillKv(node.pipeline, { count: cmd.count, token: cmd.token, concurrency: 256, timeoutMs: cmd.timeoutMs });
      return `prefilled ${Date.now() - started}`;
    }
  }
}

async function main(): Promise<void> {
  const spec = JSON.parse(process.argv[2] ?? '') as ReplHostSpec;
  const node = await startNode(parseServerConfig(configText(spec), 'bench-repl.hcl'), { logger: silentLogger });
  process.stdout.write(`repl host ready ${node.apiAddr}\n`);
  let queue = Promise.resolve();
  createInterface({ input: process.stdin }).on('line', (line) => {
    queue = queue.then(async () => {
      try {
        process.stdout.write(`${await handle(node, JSON.parse(line) as ReplHostCommand)}\n`);
      } catch (err) {
        process.stdout.write(`command failed: ${err instanceof Error ? err.message : String(err)}\n`);
      }
    });
  });
  process.on('SIGTERM', () => {
    watching = false;
    node.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  });
}

main().catch((err: unknown) => {
  process.stderr.write(`repl host: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
