/**
 * sys/host-info, sys/in-flight-req and sys/internal/counters/activity through the pipeline,
 * and the Telemetry API the replication layer uses (replication gauges, host-name prefixes).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { FakeClock } from '../../src/clock.js';
import { DEFAULT_TELEMETRY } from '../../src/config/server-config-types.js';
import { Telemetry } from '../../src/telemetry/telemetry.js';
import { auditNode, ROOT } from '../audit/harness.js';

test('host-info, in-flight-req and client counts', async () => {
  const n = await auditNode();
  try {
    const info = (await n.call('read', 'sys/host-info'))!.data!;
    assert.ok(Array.isArray(info['cpu']) && (info['cpu'] as unknown[]).length > 0);
    assert.ok(Array.isArray(info['cpu_times']));
    assert.equal(typeof (info['host'] as Record<string, unknown>)['hostname'], 'string');
    assert.ok(((info['memory'] as Record<string, number>)['total'] ?? 0) > 0);
    assert.ok(Array.isArray(info['disk']));
    assert.equal(typeof info['timestamp'], 'string');

    const id = randomUUID();
    const inFlight = (await n.call('read', 'sys/in-flight-req', {}, ROOT, { id }))!.raw!;
    assert.equal(inFlight.status, 200);
    const mine = (inFlight.body as Record<string, Record<string, unknown>>)[id];
    assert.equal(mine?.['request_path'], '/v1/sys/in-flight-req');
    assert.equal(mine?.['request_method'], 'GET');
    assert.equal(mine?.['client_remote_address'], '127.0.0.1');
    // The start is the clock's now minus the request's age (monotonic): within a second here.
    assert.ok(Math.abs(Date.parse(String(mine?.['start_time'])) - n.clock.now()) < 1000, String(mine?.['start_time']));
    // Finished requests leave the map.
    const later = (await n.call('read', 'sys/in-flight-req'))!.raw!.body as Record<string, unknown>;
    assert.equal(later[id], undefined);

    // Clients: the root token (no entity), a second token, and a userpass user (an entity).
    await n.call('update', 'sys/auth/userpass', { type: 'userpass' });
    await n.call('update', 'auth/userpass/users/carol', { password: 'carol-pass', token_policies: 'default' });
    const carol = (await n.call('update', 'auth/userpass/login/carol', { password: 'carol-pass' }, ''))!.auth!;
    await n.call('read', 'auth/token/lookup-self', {}, carol.clientToken);
    await n.call('read', 'auth/token/lookup-self', {}, carol.clientToken);
    const other = (await n.call('update', 'auth/token/create', { policies: ['default'] }))!.auth!;
    await n.call('read', 'auth/token/lookup-self', {}, other.clientToken);
    const activity = (await n.call('read', 'sys/internal/counters/activity'))!.data!;
    assert.deepEqual(activity['total'], {
      acme_clients: 0,
      clients: 3,
      distinct_entities: 1,
      entity_clients: 1,
      non_entity_clients: 2,
      non_entity_tokens: 2,
      secret_syncs: 0,
    });
    assert.equal(activity['start_time'], '2026-01-01T00:00:00Z');
    assert.equal((activity['by_namespace'] as { namespace_id: string }[])[0]!.namespace_id, 'root');
    assert.equal((await n.call('read', 'sys/internal/counters/config'))!.data!['enabled'], 'default-enabled');

    // A new month starts a new period.
    n.clock.advance(40 * 24 * 3600 * 1000);
    const next = (await n.call('read', 'sys/internal/counters/activity'))!.data!;
    assert.equal((next['total'] as Record<string, number>)['clients'], 0);
  } finally {
    await n.close();
  }
});

test('replication gauges: registered at 0, settable by the replication layer', async () => {
  const t = new Telemetry({ config: { ...DEFAULT_TELEMETRY, disableHostname: true }, storageType: 'sqlite', clock: new FakeClock() });
  let text = (await t.prometheus()).body;
  assert.match(text, /^vault_replication_wal_last_wal 0$/m);
  assert.match(text, /^vault_replication_fsm_last_remote_wal 0$/m);
  assert.match(text, /^vault_replication_lag_ms 0$/m);
  assert.match(text, /^vault_replication_state\{mode="performance",state="disabled"\} 1$/m);
  assert.match(text, /^# TYPE vault_sqlite_get histogram$/m);
  t.replication.setLastWal(42);
  t.replication.setLastRemoteWal(40);
  t.replication.setLagMs(125);
  t.replication.setState('performance', 'stream-wals');
  text = (await t.prometheus()).body;
  assert.match(text, /^vault_replication_wal_last_wal 42$/m);
  assert.match(text, /^vault_replication_fsm_last_remote_wal 40$/m);
  assert.match(text, /^vault_replication_lag_ms 125$/m);
  assert.match(text, /^vault_replication_state\{mode="performance",state="stream-wals"\} 1$/m);
  assert.doesNotMatch(text, /state="disabled"/, 'only the current state is reported');
  const json = await t.json();
  assert.ok(json.Gauges.some((g) => g.Name === 'vault.replication.wal.last_wal' && g.Value === 42));

  const named = new Telemetry({ config: { ...DEFAULT_TELEMETRY, disableHostname: false }, storageType: 'postgresql', clock: new FakeClock(), hostname: 'db-1.example' });
  const named_text = (await named.prometheus()).body;
  assert.match(named_text, /^vault_db_1_example_replication_wal_last_wal 0$/m, 'gauges carry the host name');
  assert.match(named_text, /^# TYPE vault_postgres_put histogram$/m, 'storage metrics named as Vault names its backends');
  assert.match(named_text, /^# TYPE vault_core_handle_request histogram$/m, 'timers carry no host name');
});
