/** The pure parts of src/replication/consistency.ts: header parsing, own requests, index stamping. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BadRequestError, PreconditionFailedError } from '../../src/errors.js';
import { NO_CONSISTENCY, ownRequest, parseConsistency, place, stampIndex, type ConsistencyView } from '../../src/replication/consistency.js';
import { parseDurationMs } from '../../src/util/duration.js';

test('parseConsistency: the largest of repeated indexes, forwarding flags, staleness in ms', () => {
  assert.equal(parseConsistency({}), NO_CONSISTENCY);
  assert.deepEqual(parseConsistency({ 'x-vault-index': '7, 12 ,3' }), { index: 12, forwardInconsistent: false, forwardActive: false });
  assert.deepEqual(parseConsistency({ 'x-vault-inconsistent': 'Forward-Active-Node', 'x-vault-forward': 'active-node', 'x-arca-max-staleness': '1.5s' }), {
    forwardInconsistent: true,
    forwardActive: true,
    maxStalenessMs: 1500,
  });
  assert.equal(parseConsistency({ 'x-vault-inconsistent': 'fail' }).forwardInconsistent, false);
  const bads: Record<string, string>[] = [{ 'x-vault-index': 'YWJj' }, { 'x-vault-index': '1.5' }, { 'x-arca-max-staleness': '5 parsecs' }];
  for (const bad of bads) {
    assert.throws(() => parseConsistency(bad), BadRequestError);
  }
});

test('parseDurationMs: Vault duration syntax kept to the millisecond; bare numbers are seconds', () => {
  assert.equal(parseDurationMs('250ms'), 250);
  assert.equal(parseDurationMs('2'), 2000);
  assert.equal(parseDurationMs('1m30s'), 90_000);
  assert.equal(parseDurationMs('-1s'), -1000);
  assert.throws(() => parseDurationMs('ms'));
  assert.throws(() => parseDurationMs('1x'));
});

test('ownRequest: tokens, local mounts, local mount creation and lifecycle endpoints stay on the node', () => {
  const sys = { kind: 'secret', type: 'system', local: false };
  assert.equal(ownRequest({ kind: 'auth', type: 'token', local: false }, 'lookup-self', {}), true);
  assert.equal(ownRequest({ kind: 'secret', type: 'cubbyhole', local: true }, 'x', {}), true);
  assert.equal(ownRequest({ kind: 'secret', type: 'kv', local: false }, 'data/x', {}), false);
  assert.equal(ownRequest({ kind: 'auth', type: 'userpass', local: false }, 'login/bob', {}), false);
  for (const rel of ['replication/status', 'leases/lookup', 'renew/abc', 'revoke-prefix/aws', 'wrapping/unwrap', 'seal', 'audit/file', 'capabilities-self', 'internal/ui/mounts']) {
    assert.equal(ownRequest(sys, rel, {}), true, rel);
  }
  for (const rel of ['mounts/kv2', 'policies/acl/p', 'auth/userpass', 'key-status']) assert.equal(ownRequest(sys, rel, {}), false, rel);
  assert.equal(ownRequest(sys, 'mounts/scratch', { local: true }), true);
  assert.equal(ownRequest(sys, 'auth/ldap', { local: 'true' }), true);
});

test('stampIndex: writes (204s too) get the index, reads and already stamped answers do not', () => {
  assert.deepEqual(stampIndex(undefined, 'delete', 9), { headers: { 'X-Vault-Index': '9' } });
  assert.deepEqual(stampIndex({ data: { a: 1 } }, 'create', 9)?.headers, { 'X-Vault-Index': '9' });
  assert.equal(stampIndex(undefined, 'read', 9), undefined);
  assert.deepEqual(stampIndex({ headers: { 'X-Vault-Index': '4' } }, 'update', 9)?.headers, { 'X-Vault-Index': '4' });
});

test('place: a primary waits for its own index; forwarding only on a secondary and only when allowed', async () => {
  const view = (over: Partial<ConsistencyView>): ConsistencyView => ({
    mode: () => 'secondary',
    lastIndex: () => 5,
    waitForIndex: async (i) => i <= 5,
    stalenessMs: () => 0,
    canForward: () => true,
    viaHeader: true,
    ...over,
  });
  const c = (h: Record<string, string>) => parseConsistency(h);
  assert.equal(await place(c({ 'x-vault-index': '5' }), view({}), 'read', true, 10), 'local');
  await assert.rejects(place(c({ 'x-vault-index': '6' }), view({ mode: () => 'primary' }), 'read', true, 10), PreconditionFailedError);
  assert.equal(await place(c({ 'x-vault-index': '6', 'x-vault-inconsistent': 'forward-active-node' }), view({}), 'read', true, 10), 'forward');
  await assert.rejects(place(c({ 'x-vault-index': '6', 'x-vault-inconsistent': 'forward-active-node' }), view({ viaHeader: false }), 'read', true, 10), PreconditionFailedError);
  await assert.rejects(place(c({ 'x-vault-index': '6', 'x-vault-inconsistent': 'forward-active-node' }), view({}), 'read', false, 10), PreconditionFailedError);
  assert.equal(await place(c({ 'x-vault-forward': 'active-node' }), view({}), 'update', true, 10), 'forward');
  assert.equal(await place(c({ 'x-vault-forward': 'active-node' }), view({ viaHeader: false }), 'update', true, 10), 'local');
  assert.equal(await place(c({ 'x-vault-forward': 'active-node' }), view({ mode: () => 'primary' }), 'read', true, 10), 'local');
  const lagging = view({ stalenessMs: () => 3000, viaHeader: false });
  assert.equal(await place(c({ 'x-arca-max-staleness': '2s' }), lagging, 'read', true, 10), 'forward');
  assert.equal(await place(c({ 'x-arca-max-staleness': '5s' }), lagging, 'read', true, 10), 'local');
  assert.equal(await place(c({ 'x-arca-max-staleness': '2s' }), lagging, 'update', true, 10), 'local');
  assert.equal(await place(c({ 'x-arca-max-staleness': '2s' }), lagging, 'read', false, 10), 'local');
  await assert.rejects(place(c({ 'x-arca-max-staleness': '2s' }), view({ stalenessMs: () => Infinity, canForward: () => false }), 'list', true, 10), PreconditionFailedError);
});
