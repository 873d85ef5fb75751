/**
 * Vault's `cache_size` and `disable_cache` against real server processes started from
 * configuration files: the read cache answers repeated reads unless disabled, the
 * vault.cache.* counters in sys/metrics say so, and the sanitized configuration shows both keys.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { api, startConfiguredServer } from '../helpers/server-process.js';

const stops: (() => Promise<void>)[] = [];
after(async () => {
  for (const stop of stops) await stop();
});

/** A configured server (initialised, unsealed) with a KV v2 mount holding one secret. */
async function serverWith(extra: string): Promise<{ url: string; root: string }> {
  const { url, root, stop } = await startConfiguredServer(extra);
  stops.push(stop);
  assert.equal((await api(url, 'POST', 'sys/mounts/kv', { token: root, body: { type: 'kv', options: { version: '2' } } })).status, 204);
  assert.equal((await api(url, 'POST', 'kv/data/app', { token: root, body: { data: { password: 'hunter2' } } })).status, 200);
  return { url, root };
}

/** The vault_cache_* counters from the Prometheus rendering of sys/metrics. */
async function cacheCounters(url: string, token: string): Promise<Record<string, number>> {
  const res = await fetch(`${url}/v1/sys/metrics?format=prometheus`, { headers: { 'X-Vault-Token': token } });
  assert.equal(res.status, 200);
  const out: Record<string, number> = {};
  for (const line of (await res.text()).split('\n')) {
    const m = /^vault_cache_(hit|miss|write) (\d+)$/.exec(line);
    if (m !== null) out[m[1]!] = Number(m[2]);
  }
  return out;
}

async function readTimes(url: string, root: string, n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    const r = await api(url, 'GET', 'kv/data/app', { token: root });
    assert.equal(r.body.data.data.password, 'hunter2');
  }
}

test('the read cache answers repeated reads, and the vault.cache counters count them', async () => {
  const { url, root } = await serverWith('cache_size = 1000\n');
  const before = await cacheCounters(url, root);
  await readTimes(url, root, 20);
  const after = await cacheCounters(url, root);
  // Each read looks up the token, the secret's metadata and its version: all cached after the first.
  assert.ok(after['hit']! - before['hit']! >= 60, `hits ${before['hit']} -> ${after['hit']}`);
  assert.ok(after['miss']! - before['miss']! <= 3, `misses ${before['miss']} -> ${after['miss']}`);
  assert.ok(after['write']! > 0);
  const state = (await api(url, 'GET', 'sys/config/state/sanitized', { token: root })).body.data;
  assert.equal(state.cache_size, 1000);
  assert.equal(state.disable_cache, false);
});

test('disable_cache = true: every read goes to storage and nothing is cached', async () => {
  const { url, root } = await serverWith('disable_cache = true\n');
  const before = await cacheCounters(url, root);
  await readTimes(url, root, 20);
  const after = await cacheCounters(url, root);
  assert.equal(after['hit'], 0);
  assert.equal(after['write'], 0);
  assert.ok(after['miss']! - before['miss']! >= 60, `misses ${before['miss']} -> ${after['miss']}`);
  assert.equal((await api(url, 'GET', 'sys/config/state/sanitized', { token: root })).body.data.disable_cache, true);
});
