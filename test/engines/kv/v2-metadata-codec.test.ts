/**
 * The stored form of KV v2 key metadata (metadata-codec.ts): compact, lossless, shared frozen,
 * and entries in the earlier format (the KeyMetadata object as JSON) still read and update.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { kvV2Factory } from '../../../src/engines/kv/index.js';
import { metadataKey, versionKey, type KeyMetadata } from '../../../src/engines/kv/v2/layout.js';
import { decodeMetadata, decodeSharedMetadata, encodeMetadata } from '../../../src/engines/kv/v2/metadata-codec.js';
import { VersionRecords, versionRecord } from '../../../src/engines/kv/v2/version-records.js';
import { call, makeHarness } from '../../framework/harness.js';

function sample(versions: number): KeyMetadata {
  const meta: KeyMetadata = {
    createdTime: 1_767_225_600_000,
    updatedTime: 1_767_225_600_123,
    currentVersion: versions + 4,
    oldestVersion: 5,
    maxVersions: 0,
    casRequired: true,
    deleteVersionAfter: 3600,
    customMetadata: { owner: 'team "a"', 'cost/center': 'ünïcode ✓' },
    records: VersionRecords.EMPTY,
  };
  const records = [];
  for (let n = 5; n < 5 + versions; n++) {
    records.push(versionRecord(n, 1_767_225_600_000 + n, n % 3 === 0 ? 1_767_229_200_000 + n : null, n % 4 === 0));
  }
  return { ...meta, records: VersionRecords.of(records) };
}

/** The form builds before the compact codec wrote: KeyMetadata as JSON, versions keyed by number. */
function earlierForm(meta: KeyMetadata): Record<string, unknown> {
  const versions: Record<string, unknown> = {};
  for (const r of meta.records.list()) versions[String(r.version)] = { createdTime: r.createdTime, deletionTime: r.deletionTime, destroyed: r.destroyed };
  const { records: _records, ...fields } = meta;
  return { ...fields, versions };
}

test('metadata round-trips through its stored form, records in version order', () => {
  for (const meta of [sample(0), sample(1), sample(10), { ...sample(3), customMetadata: null, casRequired: false }]) {
    const decoded = decodeMetadata(encodeMetadata(meta));
    assert.deepEqual(decoded, meta);
    assert.deepEqual(decoded.records.list().map((r) => r.version), meta.records.list().map((r) => r.version));
    // The earlier form of the same metadata decodes to the same value.
    assert.deepEqual(decodeMetadata(Buffer.from(JSON.stringify(earlierForm(meta)))), meta);
  }
});

test('ten versions fit well inside one SQLite page; the earlier format needed more than twice the bytes', () => {
  const meta = sample(10);
  const compact = encodeMetadata(meta).length;
  const earlier = Buffer.byteLength(JSON.stringify(earlierForm(meta)));
  assert.ok(compact < 600, `compact form is ${compact} bytes`);
  assert.ok(earlier > 2 * compact - 100, `earlier form ${earlier} bytes, compact ${compact}`);
});

test('the shared decoding is frozen all the way down; the plain one belongs to the caller', () => {
  const bytes = encodeMetadata(sample(3));
  const shared = decodeSharedMetadata(bytes);
  assert.ok(Object.isFrozen(shared) && Object.isFrozen(shared.records) && Object.isFrozen(shared.customMetadata));
  assert.ok(Object.isFrozen(shared.records.newest));
  const own = decodeMetadata(bytes);
  assert.ok(!Object.isFrozen(own));
  own.records = VersionRecords.EMPTY;
  own.currentVersion = 99;
  assert.equal(decodeSharedMetadata(bytes).records.count, 3);
});

test('a secret stored in the earlier format reads, and its next write stores the compact form', async () => {
  const h = makeHarness({ type: 'kv-v2' });
  const kv = kvV2Factory(h.ctx);
  const earlier = {
    createdTime: Date.parse('2025-06-01T00:00:00Z'),
    updatedTime: Date.parse('2025-06-02T00:00:00Z'),
    currentVersion: 2,
    oldestVersion: 0,
    maxVersions: 0,
    casRequired: false,
    deleteVersionAfter: 0,
    customMetadata: { team: 'blue' },
    versions: {
      '1': { createdTime: Date.parse('2025-06-01T00:00:00Z'), deletionTime: null, destroyed: true },
      '2': { createdTime: Date.parse('2025-06-02T00:00:00Z'), deletionTime: null, destroyed: false },
    },
  };
  await h.ctx.storage.putJSON(metadataKey('legacy/app'), earlier);
  await h.ctx.storage.putJSON(versionKey('legacy/app', 2), { data: { password: 'two' } });

  const read = await call(kv, 'read', 'data/legacy/app');
  assert.deepEqual(read?.data?.data, { password: 'two' });
  assert.equal((read?.data?.metadata as Record<string, unknown>).created_time, '2025-06-02T00:00:00Z');
  const meta = (await call(kv, 'read', 'metadata/legacy/app'))?.data as Record<string, unknown>;
  assert.equal(meta.current_version, 2);
  assert.deepEqual(meta.custom_metadata, { team: 'blue' });
  assert.equal((meta.versions as Record<string, { destroyed: boolean }>)['1']?.destroyed, true);

  await call(kv, 'update', 'data/legacy/app', { data: { password: 'three' } });
  const stored = JSON.parse((await h.ctx.storage.get(metadataKey('legacy/app')))!.toString('utf8')) as Record<string, unknown>;
  assert.ok(Array.isArray(stored.r), 'rewritten in the compact form');
  assert.equal(stored.versions, undefined);
  const after = decodeMetadata(Buffer.from(JSON.stringify(stored)));
  assert.deepEqual(after.records.list().map((r) => r.version), [1, 2, 3]);
  assert.equal(after.records.list()[0]?.destroyed, true);
  assert.equal(after.createdTime, earlier.createdTime);
  assert.deepEqual(after.customMetadata, { team: 'blue' });
  assert.deepEqual((await call(kv, 'read', 'data/legacy/app', { version: 2 }))?.data?.data, { password: 'two' });
  assert.deepEqual((await call(kv, 'read', 'data/legacy/app'))?.data?.data, { password: 'three' });
});
