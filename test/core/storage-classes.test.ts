/**
 * Every key the server writes has a declared replication class (ARCHITECTURE.md §2): a node
 * exercises its subsystems, then a walk of the physical store classifies every key.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startNode } from '../../src/server/node.js';
import { InmemPhysical } from '../../src/storage/inmem.js';
import type { Physical } from '../../src/storage/physical.js';
import { findPrefix } from '../../src/storage/keys.js';
import { silentLogger } from '../../src/util/logger.js';
import { DEFAULT_REPLICATION, DEFAULT_TELEMETRY, DEFAULT_TOP_LEVEL } from '../../src/config/server-config-types.js';
import type { Request } from '../../src/logical/request.js';

async function walk(p: Physical, prefix = ''): Promise<string[]> {
  const out: string[] = [];
  for (const k of await p.list(prefix)) {
    if (k.endsWith('/')) out.push(...(await walk(p, prefix + k)));
    else out.push(prefix + k);
  }
  return out;
}

function req(operation: Request['operation'], path: string, data: Record<string, unknown>, token: string): Request {
  return { id: 'r', operation, path, data, clientToken: token, headers: {}, wrapTTL: 0, remoteAddr: '127.0.0.1' };
}

test('every physical key written by the server has a declared class', async () => {
  const physical = new InmemPhysical();
  const node = await startNode(
    { ...DEFAULT_TOP_LEVEL, storage: { type: 'inmem', options: {} }, listeners: [], telemetry: DEFAULT_TELEMETRY, replication: DEFAULT_REPLICATION, ignoredKeys: [] },
    { logger: silentLogger, physical, dev: { rootTokenId: 'root' } },
  );
  const h = node.pipeline;
  await h.handle(req('update', 'sys/mounts/local-kv', { type: 'kv', local: true }, 'root'));
  await h.handle(req('update', 'local-kv/x', { a: 1 }, 'root'));
  await h.handle(req('update', 'secret/data/y', { data: { b: 2 } }, 'root'));
  await h.handle(req('update', 'secret/config', { max_versions: 3 }, 'root'));
  await h.handle(req('update', 'sys/rotate', {}, 'root'));
  await node.core.generateRoot.start();
  await h.handle(req('update', 'sys/quotas/rate-limit/q', { rate: 1000 }, 'root'));
  await h.handle(req('update', 'sys/policies/password/pp', { policy: 'length = 8\nrule "charset" { charset = "abc" }' }, 'root'));

  const classifier = node.core.classifier;
  const keys = await walk(physical);
  assert.ok(keys.length > 5);
  const classes = new Map<string, string>();
  for (const k of keys) {
    assert.ok(findPrefix(k) !== undefined, `key ${k} matches no declared prefix`);
    classes.set(k, classifier.classify(k));
  }
  // A local mount's data is local; a replicated mount's data is replicated; tokens are local.
  const localMount = node.core.mounts.find('local-kv')!;
  const secretMount = node.core.mounts.find('secret')!;
  assert.ok(keys.some((k) => k.startsWith(`logical/${localMount.uuid}/`) && classes.get(k) === 'local'));
  assert.ok(keys.some((k) => k.startsWith(`logical/${secretMount.uuid}/`) && classes.get(k) === 'replicated'));
  assert.ok(keys.filter((k) => k.startsWith('sys/token/')).every((k) => classes.get(k) === 'local'));
  assert.equal(classes.get('core/keyring'), 'replicated');
  assert.equal(classes.get('sys/policy/password/pp'), 'replicated', 'password policies replicate with the ACL policies');
  assert.equal(classes.get('sys/quotas/rate-limit/q'), 'replicated', 'quota rules replicate; each node enforces them');
  await node.close();
});
