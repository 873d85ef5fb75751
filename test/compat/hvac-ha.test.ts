/**
 * hvac (Debian's python3-hvac) against an HA cluster of two in-process nodes on a real
 * PostgreSQL: leader and health status from a standby, KV through a standby (hvac follows the
 * 307s), and a step-down sent to the standby moving the active role.
 */
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import type { RunningNode } from '../../src/server/node.js';
import { activeIndex, initAndUnseal, startHaNode, waitFor } from '../ha/harness.js';
import { startPostgresOrSkip } from '../helpers/postgres.js';
import { api, REPO_ROOT } from '../helpers/server-process.js';

const PYTHON = '/usr/bin/python3';
const hvacPresent = existsSync(PYTHON) && spawnSync(PYTHON, ['-c', 'import hvac'], { stdio: 'ignore' }).status === 0;
if (!hvacPresent) {
  process.stderr.write('\n*** hvac HA compatibility tests SKIPPED: /usr/bin/python3 with python3-hvac is not installed ***\n\n');
}
const cluster = hvacPresent ? await startPostgresOrSkip() : 'python3-hvac not installed';

const nodes: RunningNode[] = [];
after(async () => {
  for (const n of nodes) await n.close();
  if (typeof cluster !== 'string') await cluster.stop();
});

test('hvac: leader and health from a standby, KV and step-down through a standby', { skip: typeof cluster === 'string' ? cluster : false }, async () => {
  if (typeof cluster === 'string') return;
  const tables = { table: cluster.freshTable('kv'), haTable: cluster.freshTable('ha') };
  nodes.push(await startHaNode(cluster, tables), await startHaNode(cluster, tables));
  const urls = nodes.map((n) => n.apiAddr);
  const { root } = await initAndUnseal(urls);
  const active = await activeIndex(urls);
  assert.equal((await api(urls[active]!, 'POST', 'sys/mounts/kv', { token: root, body: { type: 'kv' } })).status, 204);

  // Asynchronously: the nodes run in this process and must keep answering.
  const r = await new Promise<{ code: number; out: string }>((resolve) => {
    execFile(
      PYTHON,
      [join(REPO_ROOT, 'test', 'compat', 'hvac_ha.py')],
      { env: { ...process.env, STANDBY_ADDR: urls[1 - active]!, ACTIVE_ADDR: urls[active]!, VAULT_TOKEN: root }, timeout: 60_000 },
      (err, stdout, stderr) => resolve({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : 1, out: `${stdout}\n${stderr}` }),
    );
  });
  assert.equal(r.code, 0, `hvac script failed:\n${r.out}`);
  assert.match(r.out, /all checks passed/);
  await waitFor('the standby to become active', async () => ((await activeIndex(urls)) === 1 - active ? true : undefined));
});
