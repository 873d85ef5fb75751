/**
 * A bench server process: one Arca node started through the in-process API (startNode, the same
 * assembly `arca server` uses), initialised dev-style with root token "root", optionally
 * prefilled with KV v2 keys and live leases through the pipeline. Run as
 * `node node-host.js '<HostSpec JSON>'`; prints "node ready <apiAddr> <kvMs> <leaseMs>" when
 * it is serving.
 */
import { parseServerConfig } from '../../src/config/server-config.js';
import { startNode } from '../../src/server/node.js';
import { silentLogger } from '../../src/util/logger.js';
import { HOST_TOKEN, type HostSpec } from './host-spec.js';
import { prefillKv, prefillLeases } from './prefill.js';

function configText(spec: HostSpec): string {
  const storage = spec.storage === 'sqlite' ? `storage "sqlite" { path = ${JSON.stringify(spec.dbPath)} }` : 'storage "inmem" {}';
  return `${storage}\nlistener "tcp" {\n  address = "127.0.0.1:0"\n  tls_disable = true\n}\ndisable_mlock = true\n`;
}

async function main(): Promise<void> {
  const spec = JSON.parse(process.argv[2] ?? '') as HostSpec;
  const config = parseServerConfig(configText(spec), 'bench.hcl');
  const node = await startNode(config, { logger: silentLogger, dev: { rootTokenId: HOST_TOKEN } });
  const options = { token: HOST_TOKEN, concurrency: 256, timeoutMs: spec.prefillTimeoutMs };
  const t0 = Date.now();
  await prefillKv(node.pipeline, { ...options, count: spec.prefill });
  const t1 = Date.now();
  await prefillLeases(node.pipeline, { ...options, count: spec.leases ?? 0 });
  const t2 = Date.now();
  process.stdout.write(`node ready ${node.apiAddr} ${t1 - t0} ${t2 - t1}\n`);
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
