/**
 * Operational logs of a real server: the startup banner (version, storage, listeners, cluster
 * address), log_format json from the configuration file with hclog's keys, and log_level from
 * a flag overriding the file.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServerProcess, writeServerConfig, type ServerProcess } from '../helpers/server-process.js';

const servers: ServerProcess[] = [];
const configs: { cleanup(): void }[] = [];
after(async () => {
  for (const s of servers) await s.stop();
  for (const c of configs) c.cleanup();
});

async function until(server: ServerProcess, re: RegExp): Promise<void> {
  for (let i = 0; i < 300 && !re.test(server.output()); i++) await new Promise((r) => setTimeout(r, 10));
}

test('banner and JSON logs from the configuration file', async () => {
  const cfg = writeServerConfig({ storage: 'sqlite', extra: 'log_format = "json"\nlog_level = "debug"\ncluster_addr = "https://127.0.0.1:8201"\n' });
  configs.push(cfg);
  const server = await startServerProcess([`-config=${cfg.configPath}`]);
  servers.push(server);
  await until(server, /"@message":"listener started"/);
  const out = server.output();
  assert.match(out, /==> Arca server configuration:/);
  assert.match(out, /^ +Api Address: http:\/\/127\.0\.0\.1:\d+$/m);
  assert.match(out, /^ +Cluster Address: https:\/\/127\.0\.0\.1:8201$/m);
  assert.match(out, /^ +Listener 1: tcp \(addr: "127\.0\.0\.1:\d+", cluster address: "[^"]+", max_request_size: "33554432", tls: "disabled"\)$/m);
  assert.match(out, /^ +Log Level: debug$/m);
  assert.match(out, /^ +Storage: sqlite$/m);
  assert.match(out, /^ +Version: Arca v\d+\.\d+\.\d+/m);
  const logLines = out.split('\n').filter((l) => l.startsWith('{'));
  assert.ok(logLines.length > 0, out);
  for (const l of logLines) {
    const obj = JSON.parse(l) as Record<string, unknown>;
    assert.ok(['trace', 'debug', 'info', 'warn', 'error'].includes(String(obj['@level'])), l);
    assert.equal(typeof obj['@message'], 'string');
    assert.match(String(obj['@timestamp']), /Z$/);
  }
});

test('-log-level beats the file; standard format', async () => {
  const cfg = writeServerConfig({ storage: 'inmem', extra: 'log_level = "debug"\n' });
  configs.push(cfg);
  const server = await startServerProcess([`-config=${cfg.configPath}`, '-log-level=warn']);
  servers.push(server);
  await new Promise((r) => setTimeout(r, 200));
  const out = server.output();
  assert.match(out, /^ +Log Level: warn$/m);
  assert.doesNotMatch(out, /\[INFO\]/, 'info lines are below warn');
  assert.doesNotMatch(out, /^\{"@level"/m, 'standard format by default');
});
