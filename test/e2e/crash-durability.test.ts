/**
 * No acknowledged write is lost when the server process is killed with SIGKILL under a
 * concurrent KV write load: every write that got a 200 is readable after restart and unseal.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { api, startServerProcess, writeServerConfig, type ServerProcess } from '../helpers/server-process.js';

const cfg = writeServerConfig({ storage: 'sqlite' });
let server: ServerProcess | undefined;
after(async () => {
  await server?.stop();
  cfg.cleanup();
});

test('SIGKILL mid-load loses no acknowledged KV write', async () => {
  server = await startServerProcess([`-config=${cfg.configPath}`]);
  let url = server.url;
  const init = await api(url, 'PUT', 'sys/init', { body: { secret_shares: 1, secret_threshold: 1 } });
  const key: string = init.body.keys[0];
  const root: string = init.body.root_token;
  await api(url, 'PUT', 'sys/unseal', { body: { key } });
  assert.equal((await api(url, 'POST', 'sys/mounts/kv', { token: root, body: { type: 'kv', options: { version: '2' } } })).status, 204);

  const acked = new Map<string, string>();
  let stop = false;
  const deadline = Date.now() + 20_000;
  const writer = async (w: number): Promise<void> => {
    for (let i = 0; !stop && i < 5000 && Date.now() < deadline; i++) {
      const path = `w${w}/k${i}`;
      const value = `v-${w}-${i}-${'x'.repeat(i % 50)}`;
      try {
        const r = await api(url, 'POST', `kv/data/${path}`, { token: root, body: { data: { value } } });
        if (r.status === 200) acked.set(path, value);
      } catch {
        return; // connection refused or reset: the server is gone
      }
    }
  };
  const writers = Array.from({ length: 16 }, (_, w) => writer(w));
  while (acked.size < 300 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  const signal = await server.kill('SIGKILL');
  stop = true;
  await Promise.all(writers);
  assert.equal(signal, 'SIGKILL');
  assert.ok(acked.size >= 300, `only ${acked.size} writes acknowledged before the kill`);

  server = await startServerProcess([`-config=${cfg.configPath}`]);
  url = server.url;
  await api(url, 'PUT', 'sys/unseal', { body: { key } });
  const missing: string[] = [];
  const entries = [...acked];
  for (let i = 0; i < entries.length; i += 32) {
    await Promise.all(
      entries.slice(i, i + 32).map(async ([path, value]) => {
        const r = await api(url, 'GET', `kv/data/${path}`, { token: root });
        if (r.status !== 200 || r.body.data.data.value !== value) missing.push(path);
      }),
    );
  }
  assert.deepEqual(missing, [], `${missing.length} acknowledged writes lost`);
});
