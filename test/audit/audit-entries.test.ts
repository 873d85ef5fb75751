/**
 * Audit entries through the real pipeline: reads, writes, logins, errors and wrapped
 * responses; every secret hashed with the device's key (matching sys/audit-hash), the
 * device options (hmac_accessor, log_raw, prefix, elide_list_responses), audited headers,
 * non-HMAC keys of a mount, unaudited paths, and the table surviving a seal.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { markForwarded } from '../../src/audit/trail.js';
import type { CallerAuth, Request } from '../../src/logical/request.js';
import { auditNode, pair, ROOT } from './harness.js';

const hashOf = async (n: Awaited<ReturnType<typeof auditNode>>, device: string, input: string): Promise<string> => {
  const r = await n.call('update', `sys/audit-hash/${device}`, { input });
  const h = r?.data?.['hash'];
  assert.equal(typeof h, 'string');
  return h as string;
};

test('requests, responses, logins and errors are audited with every secret hashed', async () => {
  const n = await auditNode();
  try {
    const file = join(n.dir, 'audit.log');
    await n.call('update', 'sys/audit/file', { type: 'file', options: { file_path: file } });

    // A write and a read of a secret.
    const writeId = randomUUID();
    await n.call('update', 'secret/data/app', { data: { password: 'correct-horse' } }, ROOT, { id: writeId });
    const readId = randomUUID();
    const read = await n.call('read', 'secret/data/app', {}, ROOT, { id: readId });
    assert.equal((read?.data?.['data'] as Record<string, unknown>)['password'], 'correct-horse');

    // A login: the request carries the password, the response the new token.
    await n.call('update', 'sys/auth/userpass', { type: 'userpass' });
    await n.call('update', 'auth/userpass/users/alice', { password: 'alice-pass', token_policies: 'default' });
    const loginId = randomUUID();
    const login = await n.call('update', 'auth/userpass/login/alice', { password: 'alice-pass' }, '', { id: loginId });
    const aliceToken = login!.auth!.clientToken;

    // Refused by the ACL, and by a bad token.
    const deniedId = randomUUID();
    await assert.rejects(n.call('read', 'secret/data/app', {}, aliceToken, { id: deniedId }), { status: 403 });
    const badTokenId = randomUUID();
    await assert.rejects(n.call('read', 'secret/data/app', {}, 'not-a-token', { id: badTokenId }), { status: 403 });
    // A backend error after the request entry.
    const badInputId = randomUUID();
    await assert.rejects(n.call('update', 'secret/data/app', { data: { password: 'x' }, options: { cas: 0 } }, ROOT, { id: badInputId }), { status: 400 });

    const text = readFileSync(file, 'utf8');
    // (The dev root token "root" is also the name of the root policy, so it is checked by hash below.)
    for (const secret of ['correct-horse', 'alice-pass', aliceToken, 'not-a-token']) {
      assert.ok(!text.includes(`"${secret}"`), `plaintext ${secret} in the audit log`);
    }
    const entries = n.entries(file);
    // The first entry is the response to enabling the device itself.
    assert.equal(entries[0]!['type'], 'response');
    assert.equal(entries[0]!['request']['path'], 'sys/audit/file');

    const pw = await hashOf(n, 'file', 'correct-horse');
    assert.match(pw, /^hmac-sha256:[0-9a-f]{64}$/);
    const rootHash = await hashOf(n, 'file', ROOT);

    const w = pair(entries, writeId);
    assert.ok(w.request && w.response, 'write has both entries');
    assert.deepEqual(Object.keys(w.request).slice(0, 4), ['time', 'type', 'auth', 'request']);
    assert.equal(w.request['request']['operation'], 'create');
    assert.equal(w.request['request']['path'], 'secret/data/app');
    assert.equal(w.request['request']['mount_point'], 'secret/');
    assert.equal(w.request['request']['mount_type'], 'kv');
    assert.equal(w.request['request']['mount_class'], 'secret');
    assert.equal(w.request['request']['remote_address'], '127.0.0.1');
    assert.deepEqual(w.request['request']['namespace'], { id: 'root' });
    assert.equal(w.request['request']['data']['data']['password'], pw);
    assert.equal(w.request['request']['client_token'], rootHash);
    assert.equal(w.request['auth']['client_token'], rootHash);
    assert.deepEqual(w.request['auth']['policies'], ['root']);
    assert.equal(w.request['auth']['display_name'], 'root');
    assert.match(w.request['auth']['accessor'], /^hmac-sha256:/);
    assert.equal(w.request['error'], undefined);
    // The response repeats the request and adds what the backend answered (numbers stay readable).
    assert.equal(w.response['response']['data']['version'], 1);
    assert.match(w.response['response']['data']['created_time'], /^hmac-sha256:/);

    const r = pair(entries, readId);
    assert.equal(r.response!['response']['data']['data']['password'], pw);
    assert.equal(r.request!['request']['operation'], 'read');

    const l = pair(entries, loginId);
    assert.equal(l.request!['request']['data']['password'], await hashOf(n, 'file', 'alice-pass'));
    assert.equal(l.request!['request']['client_token'], undefined);
    assert.deepEqual(l.request!['auth'], { token_type: 'default' });
    assert.equal(l.request!['request']['mount_class'], 'auth');
    const aliceHash = await hashOf(n, 'file', aliceToken);
    assert.equal(l.response!['response']['auth']['client_token'], aliceHash);
    assert.equal(l.response!['auth']['client_token'], aliceHash);
    assert.deepEqual(l.response!['response']['auth']['policies'], ['default']);
    assert.equal(l.response!['response']['auth']['accessor'], await hashOf(n, 'file', login!.auth!.accessor));

    const d = pair(entries, deniedId);
    assert.equal(d.request!['error'], 'permission denied');
    assert.equal(d.request!['auth']['client_token'], aliceHash);
    assert.equal(d.response, undefined, 'a refused request has no response entry');
    const b = pair(entries, badTokenId);
    assert.equal(b.request!['error'], 'permission denied');
    assert.equal(b.request!['request']['client_token'], await hashOf(n, 'file', 'not-a-token'));
    const e = pair(entries, badInputId);
    assert.ok(e.request && e.request['error'] === undefined);
    assert.match(e.response!['error'], /check-and-set/);
  } finally {
    await n.close();
  }
});

test('hmac_accessor=false, log_raw, prefix and elide_list_responses', async () => {
  const n = await auditNode();
  try {
    const noAcc = join(n.dir, 'noacc.log');
    const raw = join(n.dir, 'raw.log');
    await n.call('update', 'sys/audit/noacc', { type: 'file', options: { file_path: noAcc, hmac_accessor: 'false', prefix: 'ARCA ', elide_list_responses: true } });
    await n.call('update', 'sys/audit/raw', { type: 'file', options: { file_path: raw, log_raw: 'true' } });
    const token = (await n.call('update', 'auth/token/create', { policies: ['default'] }))!.auth!;
    const id = randomUUID();
    await n.call('read', 'auth/token/lookup-self', {}, token.clientToken, { id });
    const listId = randomUUID();
    await n.call('update', 'secret/data/a', { data: { k: 'v' } });
    await n.call('update', 'secret/data/b', { data: { k: 'v' } });
    await n.call('list', 'secret/metadata/', {}, ROOT, { id: listId });

    const lines = readFileSync(noAcc, 'utf8').split('\n').filter((x) => x !== '');
    assert.ok(lines.every((x) => x.startsWith('ARCA {')), 'every line carries the prefix');
    const entries = lines.map((x) => JSON.parse(x.slice('ARCA '.length)) as Record<string, any>);
    const p = pair(entries, id);
    assert.equal(p.request!['auth']['accessor'], token.accessor, 'accessor in plaintext');
    assert.equal(p.request!['request']['client_token_accessor'], token.accessor);
    assert.match(p.request!['auth']['client_token'], /^hmac-sha256:/, 'the token itself still hashed');
    assert.equal(pair(entries, listId).response!['response']['data']['keys'], 2, 'list elided to a count');

    const rawEntries = n.entries(raw);
    const rp = pair(rawEntries, id);
    assert.equal(rp.request!['auth']['client_token'], token.clientToken);
    assert.equal(rp.response!['response']['data']['id'], token.clientToken);
    assert.deepEqual(pair(rawEntries, listId).response!['response']['data']['keys'], ['a', 'b']);

    // The two devices hash with different keys.
    const h1 = (await n.call('update', 'sys/audit-hash/noacc', { input: 'x' }))!.data!['hash'];
    const h2 = (await n.call('update', 'sys/audit-hash/raw', { input: 'x' }))!.data!['hash'];
    assert.notEqual(h1, h2);
  } finally {
    await n.close();
  }
});

test('non-HMAC keys of a mount, audited headers, wrapped responses and forwarded requests', async () => {
  const n = await auditNode();
  try {
    const file = join(n.dir, 'audit.log');
    await n.call('update', 'sys/audit/file', { type: 'file', options: { file_path: file } });
    await n.call('update', 'sys/mounts/kv1', { type: 'kv', config: { audit_non_hmac_request_keys: ['visible'], audit_non_hmac_response_keys: ['visible'] } });
    await n.call('update', 'sys/config/auditing/request-headers/x-forwarded-for', { hmac: false });
    await n.call('update', 'sys/config/auditing/request-headers/X-Custom-Secret', { hmac: true });
    const headers = (await n.call('read', 'sys/config/auditing/request-headers'))!.data!['headers'];
    assert.deepEqual(headers, { 'X-Forwarded-For': { hmac: false }, 'X-Custom-Secret': { hmac: true } });
    assert.deepEqual((await n.call('read', 'sys/config/auditing/request-headers/X-Forwarded-For'))!.data, { 'X-Forwarded-For': { hmac: false } });

    const writeId = randomUUID();
    await n.call('update', 'kv1/item', { visible: 'plain-value', hidden: 'hidden-value' }, ROOT, {
      id: writeId,
      headers: { 'x-forwarded-for': '10.0.0.9', 'x-custom-secret': 'header-secret', 'x-not-audited': 'nope' },
    });
    const wrapId = randomUUID();
    const wrapped = await n.call('read', 'kv1/item', {}, ROOT, { id: wrapId, wrapTTL: 300 });
    const wrapToken = wrapped!.wrapInfo!.token;
    const unwrapId = randomUUID();
    await n.call('update', 'sys/wrapping/unwrap', {}, wrapToken, { id: unwrapId });
    const fwdId = randomUUID();
    const fwd: Request = { id: fwdId, operation: 'read', path: 'kv1/item', data: {}, clientToken: '', headers: {}, wrapTTL: 0, remoteAddr: '10.1.1.1' };
    markForwarded(fwd, 'secondary-7');
    const caller: CallerAuth = {
      accessor: 'secondary-accessor',
      policies: ['root'],
      tokenPolicies: ['root'],
      identityPolicies: [],
      displayName: 'token-on-secondary',
      entityId: '',
      metadata: {},
      root: true,
      tokenType: 'service',
      orphan: false,
      cubbyholeId: '',
    };
    await n.node.pipeline.handleForwarded(fwd, caller);

    const entries = n.entries(file);
    const text = readFileSync(file, 'utf8');
    assert.ok(!text.includes('hidden-value') && !text.includes('header-secret') && !text.includes(wrapToken));

    const w = pair(entries, writeId);
    assert.equal(w.request!['request']['data']['visible'], 'plain-value');
    assert.match(w.request!['request']['data']['hidden'], /^hmac-sha256:/);
    assert.deepEqual(w.request!['request']['headers'], {
      'x-forwarded-for': ['10.0.0.9'],
      'x-custom-secret': [(await n.call('update', 'sys/audit-hash/file', { input: 'header-secret' }))!.data!['hash']],
    });

    const wr = pair(entries, wrapId).response!['response'];
    assert.equal(wr['data'], undefined, 'a wrapped response logs wrap_info only');
    assert.equal(wr['wrap_info']['token'], (await n.call('update', 'sys/audit-hash/file', { input: wrapToken }))!.data!['hash']);
    assert.equal(wr['wrap_info']['ttl'], 300);
    assert.equal(wr['wrap_info']['creation_path'], 'kv1/item');
    assert.equal(pair(entries, wrapId).request!['request']['wrap_info'], undefined);
    assert.equal(pair(entries, wrapId).request!['request']['wrap_ttl'], 300);

    const uw = pair(entries, unwrapId).response!['response'];
    assert.equal(uw['data']['visible'], 'hmac-sha256:' + uw['data']['visible'].slice(12), 'unwrapped data is hashed');
    assert.match(uw['data']['hidden'], /^hmac-sha256:/);

    const f = pair(entries, fwdId);
    assert.equal(f.request!['forwarded_from'], 'secondary-7');
    assert.equal(f.response!['forwarded_from'], 'secondary-7');
    assert.equal(f.request!['request']['remote_address'], '10.1.1.1');
    // The caller's identity as the secondary established it; no token (it never leaves the secondary).
    assert.equal(f.request!['auth']['display_name'], 'token-on-secondary');
    assert.equal(f.request!['auth']['accessor'], (await n.call('update', 'sys/audit-hash/file', { input: 'secondary-accessor' }))!.data!['hash']);
    assert.equal(f.request!['request']['client_token'], undefined);
    assert.match(f.response!['response']['data']['hidden'], /^hmac-sha256:/);
  } finally {
    await n.close();
  }
});

test('unaudited paths, list/disable, errors, and the table surviving seal and unseal', async () => {
  const n = await auditNode();
  try {
    const file = join(n.dir, 'audit.log');
    await n.call('update', 'sys/audit/file', { type: 'file', description: 'primary log', options: { file_path: file } });
    const before = (await n.call('update', 'sys/audit-hash/file', { input: 'stable' }))!.data!['hash'];
    for (const p of ['sys/health', 'sys/seal-status', 'sys/leader']) await n.call('read', p);
    const listed = await n.call('read', 'sys/audit');
    assert.deepEqual(listed!.data!['file/'], { type: 'file', description: 'primary log', options: { file_path: file }, local: false, path: 'file/' });
    assert.equal(listed!.legacyTopLevel, true);
    const paths = n.entries(file).map((e) => e['request']['path']);
    for (const p of ['sys/health', 'sys/seal-status', 'sys/leader']) assert.ok(!paths.includes(p), `${p} must not be audited`);
    assert.ok(paths.includes('sys/audit'));

    await assert.rejects(n.call('update', 'sys/audit/file', { type: 'file', options: { file_path: file } }), { status: 400, message: 'path already in use' });
    await assert.rejects(n.call('update', 'sys/audit/file/nested', { type: 'file', options: { file_path: file } }), { status: 400, message: 'path already in use' });
    await assert.rejects(n.call('update', 'sys/audit/x', { type: 'syslogx' }), { status: 400, message: 'unknown backend type: "syslogx"' });
    await assert.rejects(n.call('update', 'sys/audit/x', { type: 'file', options: {} }), { status: 400, message: 'file_path is required' });
    await assert.rejects(n.call('update', 'sys/audit/x', { type: 'file', options: { file_path: join(n.dir, 'y'), mode: '0755' } }), { status: 400 });
    await assert.rejects(n.call('update', 'sys/audit/x', { type: 'file', options: { file_path: join(n.dir, 'y'), format: 'jsonx' } }), { status: 400 });
    await assert.rejects(n.call('update', 'sys/audit/x', { type: 'socket', options: {} }), { status: 400, message: 'address is required' });
    await assert.rejects(n.call('update', 'sys/audit-hash/nope', { input: 'x' }), { status: 400, message: 'unknown audit backend nope/' });

    // Seal and unseal: the device comes back with the same key.
    const unsealKey = (n.node as { dev?: { unsealKey: Buffer } }).dev!.unsealKey;
    await n.node.core.sealNode();
    await n.node.core.submitUnsealKey(unsealKey);
    assert.equal((await n.call('update', 'sys/audit-hash/file', { input: 'stable' }))!.data!['hash'], before);
    const id = randomUUID();
    await n.call('read', 'sys/mounts', {}, ROOT, { id });
    assert.ok(pair(n.entries(file), id).request, 'the restored device logs');

    assert.equal(await n.call('delete', 'sys/audit/file'), undefined);
    assert.deepEqual((await n.call('read', 'sys/audit'))!.data, {});
    const after = n.entries(file).length;
    await n.call('read', 'sys/mounts');
    assert.equal(n.entries(file).length, after, 'a disabled device writes nothing more');
    // Disabling what is not there is not an error, as in Vault.
    assert.equal(await n.call('delete', 'sys/audit/file'), undefined);
  } finally {
    await n.close();
  }
});
