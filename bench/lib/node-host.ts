/**
 * A bench server process: one Arca node started through the in-process API (startNode, the same
 * assembly `arca server` uses), initialised dev-style (root token "root", KV v2 at secret/),
 * optionally prefilled through the pipeline with KV v2 keys and live leases. Run as
 * `node node-host.js '<HostSpec JSON>'`; prints "node ready <apiAddr> <kvMs> <leaseMs>" when
 * it is serving.
 *
 * Later prefills are asked for on stdin, one JSON line each ({"op":"kv"|"leases","count":N,
 * "timeoutMs":T}); each is answered on stdout with "prefilled <op> <ms>" (or "prefill failed").
 * One process can thus serve several scenarios, saving a node start each.
 */
import { createInterface } from 'node:readline';
import { parseServerConfig } from '../../src/config/server-config.js';
import type { Pipeline } from '../../src/core/pipeline.js';
import { startNode } from '../../src/server/node.js';
import { silentLogger } from '../../src/util/logger.js';
import { HOST_TOKEN, type HostSpec, type PrefillCommand } from './host-spec.js';
import { prefillKv, prefillLeases } from './prefill.js';

/** KV keys already written: a later KV prefill continues the numbering. */
let kvWritten = 0;

function configText(spec: HostSpec): string {
  const storage = spec.storage === 'sqlite' ? `storage "sqlite" { path = ${JSON.stringify(spec.dbPath)} }` : 'storage "inmem" {}';
  return `${storage}\nlistener "tcp" {\n  address = "127.0.0.1:0"\n  tls_disable = true\n}\ndisable_mlock = true\n`;
}

async function run(pipeline: Pipeline, cmd: PrefillCommand): Promise<number> {
  const options = { token: HOST_TOKEN, concurrency: 256, timeoutMs: cmd.timeoutMs, count: cmd.count };
  const started = Date.now();
  if (cmd.op === 'kv') {
    await prefillKv(pipeline, { ...options, first: kvWritten });
    kvWritten += cmd.count;
  } else {
    await prefillLeases(pipeline, options);
  }
  return Date.now() - started;
}

async function main(): Promise<void> {
  const spec = JSON.parse(process.argv[2] ?? '') as HostSpec;
  const config = parseServerConfig(configText(spec), 'bench.hcl');
  const node = await startNode(config, { logger: silentLogger, dev: { rootTokenId: HOST_TOKEN } });
  const kvMs = await run(node.pipeline, { op: 'kv', count: spec.prefill, timeoutMs: spec.prefillTimeoutMs });
  const leaseMs = await run(node.pipeline, { op: 'leases', count: spec.leases ?? 0, timeoutMs: spec.prefillTimeoutMs });
  process.stdout.write(`node ready ${node.apiAddr} ${kvMs} ${leaseMs}\n`);

  // One command at a time, in order.
  let queue = Promise.resolve();
  createInterface({ input: process.stdin }).on('line', (line) => {
    queue = queue.then(async () => {
      try {
        const cmd = JSON.parse(line) as PrefillCommand;
        process.stdout.write(`prefilled ${cmd.op} ${await run(node.pipeline, cmd)}\n`);
      } catch (err) {
        process.stdout.write(`prefill failed: ${err instanceof Error ? err.message : String(err)}\n`);
      }
    });
  });
  process.on('SIGTERM', () => {
    node.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  });
}

main().catch((err: unknown) => {
  process.stderr.write(`node host: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
