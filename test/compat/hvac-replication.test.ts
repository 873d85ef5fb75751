/** hvac (Debian's python3-hvac) activates performance replication between two real clusters. */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../helpers/server-process.js';
import { startCluster, type Cluster } from '../e2e/replication-harness.js';

const PYTHON = '/usr/bin/python3';
const hvacPresent = existsSync(PYTHON) && spawnSync(PYTHON, ['-c', 'import hvac'], { stdio: 'ignore' }).status === 0;
if (!hvacPresent) {
  process.stderr.write('\n*** hvac replication compatibility tests SKIPPED: /usr/bin/python3 with python3-hvac is not installed ***\n\n');
}

const clusters: Cluster[] = [];
after(async () => {
  await Promise.all(clusters.map((c) => c.stop()));
});

test('hvac: performance replication activation, streaming, status, revoke', { skip: hvacPresent ? false : 'python3-hvac not installed' }, async () => {
  const [primary, secondary] = await Promise.all([startCluster('primary'), startCluster('secondary')]);
  clusters.push(primary, secondary);
  // Asynchronous: the servers run in this process's event loop's children and must keep answering.
  const r = await new Promise<{ status: number | null; out: string }>((resolve) => {
    const child = spawn(PYTHON, [join(REPO_ROOT, 'test', 'compat', 'hvac_replication.py')], {
      env: {
        ...process.env,
        PRIMARY_ADDR: primary.url,
        PRIMARY_TOKEN: primary.root,
        PRIMARY_UNSEAL_KEY: primary.unsealKey,
        SECONDARY_ADDR: secondary.url,
        SECONDARY_TOKEN: secondary.root,
      },
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 90_000);
    child.on('exit', (status) => {
      clearTimeout(timer);
      resolve({ status, out });
    });
  });
  assert.equal(r.status, 0, `hvac script failed:\n${r.out}\n--- primary ---\n${primary.server.output()}\n--- secondary ---\n${secondary.server.output()}`);
  assert.match(r.out, /all checks passed/);
});
