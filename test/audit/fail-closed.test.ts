/**
 * Fail closed: with audit devices enabled and none able to record the request entry, the
 * request fails with Vault's 500 "internal error" and the backend never runs (storage is
 * unchanged, no token is issued). One working device among failing ones is enough.
 * /dev/full opens for writing but fails every write (ENOSPC), even for root.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { auditNode, pair, ROOT } from './harness.js';

const DEV_FULL = '/dev/full';

async function snapshot(physical: { list(p: string): Promise<string[]>; get(k: string): Promise<Buffer | undefined> }): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const walk = async (prefix: string): Promise<void> => {
    for (const k of await physical.list(prefix)) {
      if (k.endsWith('/')) await walk(prefix + k);
      else out.set(prefix + k, (await physical.get(prefix + k))!.toString('base64'));
    }
  };
  await walk('');
  return out;
}

test('an unwritable audit device fails requests closed and changes nothing', { skip: existsSync(DEV_FULL) ? false : 'no /dev/full' }, async () => {
  const n = await auditNode();
  try {
    await n.call('update', 'sys/auth/userpass', { type: 'userpass' });
    await n.call('update', 'auth/userpass/users/bob', { password: 'bob-pass' });
    await n.call('update', 'secret/data/app', { data: { v: 'one' } });
    // Enabled through the broker: over the API the enable's own response entry would already fail (next test).
    await n.node.core.audit.enable({ path: 'full', type: 'file', description: '', options: { file_path: DEV_FULL, mode: '0000' }, local: false });

    const before = await snapshot(n.physical);
    const tokensBefore = (await n.node.core.tokens.listAccessors()).length;
    const internal = { status: 500, message: 'internal error' };
    await assert.rejects(n.call('update', 'secret/data/app', { data: { v: 'two' } }), internal);
    await assert.rejects(n.call('delete', 'secret/metadata/app'), internal);
    await assert.rejects(n.call('update', 'sys/mounts/other', { type: 'kv' }), internal);
    await assert.rejects(n.call('update', 'auth/userpass/login/bob', { password: 'bob-pass' }, ''), internal);
    await assert.rejects(n.call('update', 'auth/token/create', {}), internal);
    await assert.rejects(n.call('read', 'secret/data/app'), internal);
    // A refused request is refused with 500 too: its entry could not be written either.
    await assert.rejects(n.call('read', 'secret/data/app', {}, 'bogus'), internal);
    assert.deepEqual(await snapshot(n.physical), before, 'storage unchanged');
    assert.equal((await n.node.core.tokens.listAccessors()).length, tokensBefore, 'no token issued');

    // Unaudited paths still answer (health checks keep working).
    assert.equal((await n.call('read', 'sys/health'))?.raw?.status, 200);

    // A second, working device is enough: requests succeed and land there.
    await n.node.core.audit.enable({ path: 'good', type: 'file', description: '', options: { file_path: join(n.dir, 'good.log') }, local: false });
    const id = randomUUID();
    await n.call('update', 'secret/data/app', { data: { v: 'two' } }, ROOT, { id });
    assert.equal(((await n.call('read', 'secret/data/app'))?.data?.['data'] as Record<string, unknown>)['v'], 'two');
    assert.ok(pair(n.entries(join(n.dir, 'good.log')), id).response);

    // The failure counters saw the refused entries.
    const text = (await n.node.core.metrics.prometheus()).body;
    const failures = Number(/^vault_audit_log_request_failure (\d+)/m.exec(text)?.[1]);
    assert.ok(failures >= 7, text);
  } finally {
    await n.close();
  }
});

test('a failed response entry fails the request after the backend ran', { skip: existsSync(DEV_FULL) ? false : 'no /dev/full' }, async () => {
  const n = await auditNode();
  try {
    // The enable response goes to the new device: it cannot record it, so enabling answers 500...
    await assert.rejects(n.call('update', 'sys/audit/full', { type: 'file', options: { file_path: DEV_FULL, mode: '0000' } }), { status: 500 });
    // ...although the device is enabled (as in Vault: the change happened before the response).
    assert.deepEqual(n.node.core.audit.list().map((d) => d.path), ['full/']);
  } finally {
    await n.close();
  }
});
