/** Mount table changes issued at once are applied one at a time: none is lost, no path is taken twice. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startNode } from '../../src/server/node.js';
import { InmemPhysical } from '../../src/storage/inmem.js';
import { silentLogger } from '../../src/util/logger.js';
import { DEFAULT_REPLICATION, DEFAULT_TELEMETRY, DEFAULT_TOP_LEVEL } from '../../src/config/server-config-types.js';

const config = { ...DEFAULT_TOP_LEVEL, storage: { type: 'inmem' as const, options: {} }, listeners: [], telemetry: DEFAULT_TELEMETRY, replication: DEFAULT_REPLICATION, ignoredKeys: [] };

test('concurrent enables all persist, and one path is taken once', async () => {
  const physical = new InmemPhysical();
  const node = await startNode(config, { logger: silentLogger, physical, dev: { rootTokenId: 'root' } });
  const mounts = node.core.mounts;
  await Promise.all(Array.from({ length: 20 }, (_, i) => mounts.mount({ path: `m${i}`, type: 'kv' })));
  const same = await Promise.allSettled(Array.from({ length: 5 }, () => mounts.mount({ path: 'dup', type: 'kv' })));
  assert.equal(same.filter((r) => r.status === 'fulfilled').length, 1);

  // An enable and a disable of one path issued together: the router and the table agree after.
  await Promise.all([mounts.mount({ path: 'flip', type: 'kv', options: { version: '2' } }), mounts.unmount('flip')]);
  assert.equal(mounts.find('flip'), undefined);
  assert.equal(node.core.router.match('flip/data/a'), undefined, 'a route survives for a mount the table no longer has');

  // What was persisted is what a fresh load sees.
  await node.core.sealNode();
  await node.core.submitUnsealKey(node.dev!.unsealKey);
  const paths = node.core.mounts.list().map((e) => e.path);
  for (let i = 0; i < 20; i++) assert.ok(paths.includes(`m${i}/`), `m${i}/ lost`);
  assert.equal(paths.filter((p) => p === 'dup/').length, 1);
  await node.close();
});
