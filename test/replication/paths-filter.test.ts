/**
 * Paths filters (issue 5): a denied mount's data, and the identity aliases of a denied auth
 * mount, never reach that secondary; changing a filter (or moving a mount across it) removes
 * newly denied data there and brings newly allowed data. Checked key by key against the
 * primary's filtered keyspace, with the filter changing while writes stream.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { parsePathsFilter, peerKeyFilter, type PathsFilter } from '../../src/replication/paths-filter.js';
import { LOGICAL_PREFIX } from '../../src/storage/keys.js';
import { ReplicationSet, readSecret, replicatedKeyspace, waitFor, type PrimaryCluster, type SecondaryCluster } from './harness.js';

/** What writeFilter does at the primary: install the filter, then force the peer's resync. */
function applyFilter(p: PrimaryCluster, id: string, filters: Map<string, PathsFilter>, filter: PathsFilter | undefined): void {
  if (filter === undefined) filters.delete(id);
  else filters.set(id, filter);
  const m = p.node.core.replication;
  m.setKeyFilter((peer) => {
    const f = filters.get(peer);
    return f === undefined ? undefined : peerKeyFilter(p.node.core, f);
  });
  m.resyncSecondary(id);
}

/** The secondary holds exactly the primary's replicated keys the filter lets through, byte for byte. */
async function filteredIdentical(p: PrimaryCluster, s: SecondaryCluster, filter: PathsFilter | undefined): Promise<string | undefined> {
  const pred = filter === undefined ? () => true : peerKeyFilter(p.node.core, filter);
  const want = new Map([...(await replicatedKeyspace(p))].filter(([k]) => pred(k)));
  const have = await replicatedKeyspace(s, p);
  const missing = [...want.keys()].filter((k) => !have.has(k));
  const extra = [...have.keys()].filter((k) => !want.has(k));
  const differ = [...want].filter(([k, v]) => have.has(k) && !have.get(k)!.equals(v)).map(([k]) => k);
  if (missing.length + extra.length + differ.length === 0) return undefined;
  return `missing ${missing.length} (${missing.slice(0, 3).join(' ')}), extra ${extra.length} (${extra.slice(0, 3).join(' ')}), differing ${differ.length}`;
}

async function settle(p: PrimaryCluster, s: SecondaryCluster, filter: PathsFilter | undefined): Promise<void> {
  let why: string | undefined = 'not checked';
  await waitFor(
    async () => {
      const r = s.node.core.replication;
      if (r.lastIndex() < p.node.core.replication.lastIndex() || r.secondaryClient?.state !== 'stream-wals') return false;
      why = await filteredIdentical(p, s, filter);
      return why === undefined;
    },
    20_000,
    () => `secondary never matched the filtered primary: ${why}`,
  );
}

function dataPrefix(p: PrimaryCluster, mount: string): string {
  const m = p.node.core.mounts.find(mount);
  assert.ok(m !== undefined, `no mount ${mount}`);
  return `${LOGICAL_PREFIX}${m.uuid}/`;
}

async function denied(s: SecondaryCluster, p: PrimaryCluster, prefix: string): Promise<string[]> {
  return [...(await replicatedKeyspace(s, p)).keys()].filter((k) => k.startsWith(prefix));
}

test('a paths filter changing under load: the secondary ends with exactly the filtered keyspace', { timeout: 60_000 }, async () => {
  const set = new ReplicationSet();
  const filters = new Map<string, PathsFilter>();
  try {
    const p = await set.startPrimary();
    for (const m of ['eu', 'us']) await p.call('update', `sys/mounts/${m}`, { type: 'kv', options: { version: '2' } });
    const s = await set.addSecondary('s1');
    await set.converge();

    let writing = true;
    let n = 0;
    const writer = async (mount: string): Promise<void> => {
      while (writing) {
        await p.call('update', `${mount}/data/k${n++ % 50}`, { data: { value: `${mount}-${n}` } });
        await sleep(1);
      }
    };
    const writers = ['eu', 'us', 'secret', 'eu'].map(writer);
    // Filters change while the writes stream: deny, allow-list, another deny, none, deny again.
    const steps: (PathsFilter | undefined)[] = [
      parsePathsFilter('deny', ['eu/']),
      parsePathsFilter('allow', ['us/', 'secret/']),
      parsePathsFilter('deny', ['us/']),
      undefined,
      parsePathsFilter('deny', ['eu/', 'secret/']),
    ];
    for (const f of steps) {
      await sleep(250);
      applyFilter(p, 's1', filters, f);
    }
    await sleep(250);
    writing = false;
    await Promise.all(writers);
    assert.ok(n > 50, `too few writes under load (${n})`);

    const final = steps[steps.length - 1];
    await settle(p, s, final);
    assert.deepEqual(await denied(s, p, dataPrefix(p, 'eu/')), [], 'denied eu/ data at the secondary');
    assert.deepEqual(await denied(s, p, dataPrefix(p, 'secret/')), [], 'denied secret/ data at the secondary');
    assert.ok((await denied(s, p, dataPrefix(p, 'us/'))).length > 0, 'allowed us/ data should be there');

    // What a client at the secondary gets: the mount exists (its table entry replicates), the data does not.
    assert.ok(s.node.core.router.match('eu/data/k1') !== undefined, 'a denied mount stays routable');
    assert.equal(await readSecret(s, 'eu/', 'k1'), undefined);
    assert.ok((await readSecret(s, 'us/', 'k1')) !== undefined);
    // A write there is forwarded and lands at the primary, and stays invisible at this secondary.
    const fw = await s.call('update', 'eu/data/forwarded', { data: { value: 'fw' } });
    assert.ok(fw !== undefined && !(fw.warnings ?? []).some((w) => /stale/i.test(w)), JSON.stringify(fw));
    assert.equal(await readSecret(p, 'eu/', 'forwarded'), 'fw');
    assert.equal(await readSecret(s, 'eu/', 'forwarded'), undefined);
    await settle(p, s, final);

    // Lifting the filter brings the data back.
    applyFilter(p, 's1', filters, undefined);
    await settle(p, s, undefined);
    assert.ok((await denied(s, p, dataPrefix(p, 'eu/'))).length > 0);
  } finally {
    await set.close();
  }
});

test('moving a mount across a filter (remount) resyncs: its data leaves, or arrives', { timeout: 60_000 }, async () => {
  const set = new ReplicationSet();
  const filters = new Map<string, PathsFilter>();
  try {
    const p = await set.startPrimary();
    await p.call('update', 'sys/mounts/staging', { type: 'kv', options: { version: '2' } });
    for (let i = 0; i < 10; i++) await p.call('update', `staging/data/k${i}`, { data: { v: i } });
    const s = await set.addSecondary('s1');
    const filter = parsePathsFilter('deny', ['restricted/']);
    applyFilter(p, 's1', filters, filter);
    await settle(p, s, filter);
    const prefix = dataPrefix(p, 'staging/');
    assert.equal((await denied(s, p, prefix)).length > 0, true);

    await p.call('update', 'sys/remount', { from: 'staging', to: 'restricted' });
    await p.call('update', 'restricted/data/after', { data: { value: 'x' } });
    await settle(p, s, filter);
    assert.deepEqual(await denied(s, p, prefix), [], 'data of a mount moved under a denied path stayed at the secondary');

    await p.call('update', 'sys/remount', { from: 'restricted', to: 'open' });
    await settle(p, s, filter);
    assert.ok((await denied(s, p, prefix)).length >= 11, 'data of a mount moved out of the denied path did not arrive');
    assert.equal(await readSecret(s, 'open/', 'after'), 'x');
  } finally {
    await set.close();
  }
});

test('entity and group aliases of a denied auth mount stay on the primary; entities replicate', { timeout: 60_000 }, async () => {
  const set = new ReplicationSet();
  const filters = new Map<string, PathsFilter>();
  try {
    const p = await set.startPrimary();
    for (const m of ['eu-users', 'us-users']) {
      await p.call('update', `sys/auth/${m}`, { type: 'userpass' });
      await p.call('update', `auth/${m}/users/alice`, { password: 'alice-password-1', policies: 'default' });
    }
    const s = await set.addSecondary('s1');
    const filter = parsePathsFilter('deny', ['auth/eu-users/']);
    // An alias created before the filter is removed by the resync; one created after never leaves.
    await p.call('update', 'auth/eu-users/login/alice', { password: 'alice-password-1' });
    await set.converge();
    applyFilter(p, 's1', filters, filter);
    await p.call('update', 'auth/us-users/login/alice', { password: 'alice-password-1' });
    await p.call('update', 'sys/auth/eu-users2', { type: 'userpass' });
    const eu = p.node.core.authMounts.find('eu-users/')!;
    const us = p.node.core.authMounts.find('us-users/')!;
    // A group alias on the denied mount, written while streaming.
    const group = await p.call('update', 'identity/group', { name: 'eu-admins', type: 'external' });
    const groupId = (group?.data as { id: string }).id;
    await p.call('update', 'identity/group-alias', { name: 'eu-admins', mount_accessor: eu.accessor, canonical_id: groupId });
    await settle(p, s, filter);

    const index = p.node.core.identity.index;
    const euAliases = [...index.aliases.values()].filter((a) => a.mountAccessor === eu.accessor);
    const usAliases = [...index.aliases.values()].filter((a) => a.mountAccessor === us.accessor);
    assert.equal(euAliases.length, 1);
    assert.equal(usAliases.length, 1);
    const sIndex = s.node.core.identity.index;
    assert.equal(sIndex.aliases.get(euAliases[0]!.id), undefined, 'the eu alias reached the secondary');
    assert.ok(sIndex.aliases.get(usAliases[0]!.id) !== undefined, 'the us alias did not reach the secondary');
    assert.ok(sIndex.entities.get(euAliases[0]!.canonicalId) !== undefined, 'entities replicate whatever their aliases');
    const groupAlias = [...index.groupAliases.values()].find((a) => a.mountAccessor === eu.accessor);
    assert.ok(groupAlias !== undefined);
    assert.equal(sIndex.groupAliases.get(groupAlias.id), undefined, 'the group alias of the denied mount reached the secondary');
    assert.ok(sIndex.groups.get(groupId) !== undefined);

    // Allowing the mount again brings its aliases.
    applyFilter(p, 's1', filters, undefined);
    await settle(p, s, undefined);
    assert.ok(s.node.core.identity.index.aliases.get(euAliases[0]!.id) !== undefined);
  } finally {
    await set.close();
  }
});
