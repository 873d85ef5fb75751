/**
 * sys/metrics from a real server process configured with a `telemetry` stanza: the Prometheus
 * text output is parsed by the Prometheus project's own parser (python3-prometheus-client) and
 * carries Vault's metric names (request timings per mount, operation and status, token and
 * lease counts, barrier and storage timings, the replication gauges); the default JSON has
 * Vault's shape; unauthenticated access is honoured and such scrapes are not audited.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { api, REPO_ROOT, startServerProcess, writeServerConfig, type ServerProcess } from '../helpers/server-process.js';

const PYTHON = '/usr/bin/python3';
const parserPresent = existsSync(PYTHON) && spawnSync(PYTHON, ['-c', 'import prometheus_client.parser'], { stdio: 'ignore' }).status === 0;
if (!parserPresent) {
  process.stderr.write('\n*** Prometheus parser tests SKIPPED: /usr/bin/python3 with python3-prometheus-client is not installed ***\n\n');
}

interface Family {
  name: string;
  type: string;
  samples: { name: string; labels: Record<string, string>; value: number }[];
}

function parse(text: string): Promise<Family[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(PYTHON, [join(REPO_ROOT, 'test', 'telemetry', 'parse_prometheus.py')], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out) as Family[]) : reject(new Error(`parser failed (${code}): ${err}`))));
    child.stdin.end(text);
  });
}

const servers: ServerProcess[] = [];
const configs: { cleanup(): void }[] = [];
after(async () => {
  for (const s of servers) await s.stop();
  for (const c of configs) c.cleanup();
});

async function initServer(extra: string): Promise<{ url: string; token: string; dir: string }> {
  const cfg = writeServerConfig({ storage: 'inmem', extra });
  configs.push(cfg);
  const server = await startServerProcess([`-config=${cfg.configPath}`]);
  servers.push(server);
  const init = await api(server.url, 'PUT', 'sys/init', { body: { secret_shares: 1, secret_threshold: 1 } });
  await api(server.url, 'PUT', 'sys/unseal', { body: { key: init.body.keys[0] } });
  return { url: server.url, token: init.body.root_token as string, dir: cfg.dir };
}

test('Prometheus output parses with the reference parser and carries Vault metric names', { skip: parserPresent ? false : 'python3-prometheus-client not installed' }, async () => {
  const { url, token, dir } = await initServer('telemetry {\n  unauthenticated_metrics_access = true\n  disable_hostname = true\n  prometheus_retention_time = "12h"\n}\n');
  const auditFile = join(dir, 'audit.log');
  assert.equal((await api(url, 'PUT', 'sys/audit/file', { token, body: { type: 'file', options: { file_path: auditFile } } })).status, 204);
  await api(url, 'PUT', 'sys/mounts/secret', { token, body: { type: 'kv', options: { version: '2' } } });
  for (let i = 0; i < 3; i++) await api(url, 'PUT', `secret/data/k${i}`, { token, body: { data: { v: String(i) } } });
  await api(url, 'GET', 'secret/data/k0', { token });
  await api(url, 'GET', 'secret/data/missing', { token });
  await api(url, 'GET', 'secret/data/k0', { token: 'wrong' });
  for (let i = 0; i < 2; i++) await api(url, 'POST', 'auth/token/create', { token, body: { policies: ['default'] } });

  // No token needed, and the scrape is not audited.
  const res = await fetch(`${url}/v1/sys/metrics?format=prometheus`);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
  const families = await parse(await res.text());
  const byName = new Map(families.map((f) => [f.name, f]));
  const sample = (family: string, name: string, labels: Record<string, string> = {}): number | undefined =>
    byName.get(family)?.samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;

  const hr = byName.get('vault_core_handle_request');
  assert.equal(hr?.type, 'histogram');
  assert.equal(sample('vault_core_handle_request', 'vault_core_handle_request_count', { mount_point: 'secret/', operation: 'create', status: '200' }), 3);
  assert.equal(sample('vault_core_handle_request', 'vault_core_handle_request_count', { mount_point: 'secret/', operation: 'read', status: '200' }), 1);
  assert.equal(sample('vault_core_handle_request', 'vault_core_handle_request_count', { mount_point: 'secret/', operation: 'read', status: '404' }), 1);
  assert.equal(sample('vault_core_handle_request', 'vault_core_handle_request_count', { mount_point: 'secret/', operation: 'read', status: '403' }), 1);
  assert.equal(sample('vault_core_handle_request', 'vault_core_handle_request_bucket', { mount_point: 'secret/', operation: 'create', status: '200', le: '+Inf' }), 3);
  assert.ok((sample('vault_core_handle_request', 'vault_core_handle_request_sum', { mount_point: 'secret/', operation: 'create', status: '200' }) ?? -1) > 0);

  // Root token and the two created ones.
  assert.equal(sample('vault_token_count', 'vault_token_count', { namespace: 'root' }), 3);
  assert.equal(byName.get('vault_expire_num_leases')?.type, 'gauge');
  for (const op of ['get', 'put', 'list']) {
    assert.equal(byName.get(`vault_barrier_${op}`)?.type, 'histogram', `vault_barrier_${op}`);
    assert.equal(byName.get(`vault_inmem_${op}`)?.type, 'histogram', `vault_inmem_${op}`);
  }
  assert.ok((sample('vault_barrier_put', 'vault_barrier_put_count') ?? 0) > 0);
  for (const g of ['vault_replication_wal_last_wal', 'vault_replication_fsm_last_remote_wal', 'vault_replication_lag_ms']) {
    assert.equal(sample(g, g), 0, g);
  }
  assert.equal(sample('vault_replication_state', 'vault_replication_state', { mode: 'performance', state: 'disabled' }), 1);
  // The reference parser names counter samples with OpenMetrics' _total suffix.
  assert.equal(byName.get('vault_audit_log_request_failure')?.type, 'counter');
  assert.equal(sample('vault_audit_log_request_failure', 'vault_audit_log_request_failure_total'), 0);
  assert.ok((sample('vault_runtime_alloc_bytes', 'vault_runtime_alloc_bytes') ?? 0) > 0);

  // An OpenMetrics Accept header selects the Prometheus format too.
  const accepted = await fetch(`${url}/v1/sys/metrics`, { headers: { Accept: 'application/openmetrics-text; version=1.0.0' } });
  assert.match(accepted.headers.get('content-type') ?? '', /^text\/plain/);

  // The default is Vault's JSON shape.
  const json = await api(url, 'GET', 'sys/metrics');
  assert.equal(json.status, 200);
  assert.deepEqual(Object.keys(json.body).sort(), ['Counters', 'Gauges', 'Points', 'Samples', 'Timestamp']);
  const handle = (json.body.Samples as { Name: string; Count: number; Labels: Record<string, string> }[]).find(
    (s) => s.Name === 'vault.core.handle_request' && s.Labels['mount_point'] === 'secret/' && s.Labels['operation'] === 'create',
  );
  assert.equal(handle?.Count, 3);
  assert.ok((json.body.Gauges as { Name: string }[]).some((g) => g.Name === 'vault.token.count'));

  const audited = readFileSync(auditFile, 'utf8');
  assert.ok(audited.includes('secret/data/k0'));
  assert.ok(!audited.includes('"sys/metrics"'), 'unauthenticated scrapes are not audited');
});

test('metrics need a token unless configured, and Prometheus needs a retention time', async () => {
  const { url, token } = await initServer('telemetry {\n  prometheus_retention_time = "0s"\n}\n');
  assert.equal((await api(url, 'GET', 'sys/metrics?format=prometheus')).status, 403);
  const off = await api(url, 'GET', 'sys/metrics?format=prometheus', { token });
  assert.equal(off.status, 400);
  assert.equal(off.body, 'prometheus is not enabled');
  assert.equal((await api(url, 'GET', 'sys/metrics?format=xml', { token })).status, 400);
  const json = await api(url, 'GET', 'sys/metrics', { token });
  assert.equal(json.status, 200);
  // Gauges carry the host name unless disable_hostname is set, as Vault's do.
  const gauge = (json.body.Gauges as { Name: string }[]).find((g) => g.Name.endsWith('.token.count'));
  assert.ok(gauge !== undefined && gauge.Name !== 'vault.token.count' && /^vault\.[A-Za-z0-9_]+\.token\.count$/.test(gauge.Name), gauge?.Name);
});
