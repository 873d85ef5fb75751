/** The core's own path tables (sys/, auth/token/) have no overlapping patterns either. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { findOverlapDetails } from '../../src/framework/index.js';
import { Core } from '../../src/core/core.js';
import { InmemPhysical } from '../../src/storage/inmem.js';
import { silentLogger } from '../../src/util/logger.js';
import { sysPaths } from '../../src/system/sys-backend.js';

test('sys/ path table has no overlaps, with and without sys/raw', () => {
  for (const rawStorageEndpoint of [false, true]) {
    const core = new Core({ physical: new InmemPhysical(), storageType: 'inmem', logger: silentLogger, ttls: { defaultLeaseTTL: 60, maxLeaseTTL: 120 }, rawStorageEndpoint });
    const paths = sysPaths(core);
    assert.equal(paths.some((p) => p.pattern.startsWith('raw')), rawStorageEndpoint);
    assert.deepEqual(findOverlapDetails(paths), []);
  }
});
