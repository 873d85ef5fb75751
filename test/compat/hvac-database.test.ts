/**
 * hvac's database secrets engine client (Debian's python3-hvac) against a real dev server
 * process and a real PostgreSQL: the script configures, creates roles and generates
 * credentials; this side then logs in to PostgreSQL with what it printed (the kept credentials
 * work, the revoked ones do not, the static role's password works) and checks that no
 * password reached the server's output.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { startPostgresOrSkip, type PostgresCluster } from '../helpers/postgres.js';
import { REPO_ROOT, startServerProcess, type ServerProcess } from '../helpers/server-process.js';
import { canLogin } from '../engines/database/pg-node.js';

const PYTHON = '/usr/bin/python3';
const hvacPresent = existsSync(PYTHON) && spawnSync(PYTHON, ['-c', 'import hvac'], { stdio: 'ignore' }).status === 0;
if (!hvacPresent) {
  if (process.env['CI'] === 'true') throw new Error('python3-hvac is not installed (CI=true: hvac compatibility tests must run)');
  process.stderr.write('\n*** hvac database compatibility test SKIPPED: /usr/bin/python3 with python3-hvac is not installed ***\n\n');
}

let server: ServerProcess | undefined;
let cluster: PostgresCluster | undefined;
after(async () => {
  await server?.stop();
  await cluster?.stop();
});

test('hvac: database engine with the PostgreSQL plugin', { skip: hvacPresent ? false : 'python3-hvac not installed' }, async (t) => {
  const started = await startPostgresOrSkip();
  if (typeof started === 'string') return t.skip(started);
  cluster = started;
  const enginePassword = `hvac-engine-${process.pid}-Pw`;
  const staticUser = 'hvac_static';
  await cluster.query(`CREATE ROLE hvac_engine WITH LOGIN SUPERUSER PASSWORD '${enginePassword}'`);
  await cluster.query(`CREATE ROLE ${staticUser} WITH LOGIN PASSWORD 'before-rotation'`);

  server = await startServerProcess(['-dev', '-dev-root-token-id=root', '-dev-listen-address=127.0.0.1:0']);
  const r = spawnSync(PYTHON, [join(REPO_ROOT, 'test', 'compat', 'hvac_database.py')], {
    env: {
      ...process.env,
      VAULT_ADDR: server.url,
      PG_HOST: cluster.host,
      PG_PORT: String(cluster.port),
      PG_USER: 'hvac_engine',
      PG_PASSWORD: enginePassword,
      STATIC_USER: staticUser,
    },
    encoding: 'utf8',
    timeout: 120_000,
  });
  assert.equal(r.status, 0, `hvac script failed:\n${r.stdout}\n${r.stderr}`);
  assert.match(r.stdout, /all checks passed/);

  const printed = (tag: string): { username: string; password: string } => {
    const line = r.stdout.split('\n').find((l) => l.startsWith(`${tag} `));
    assert.ok(line, `no ${tag} line`);
    return JSON.parse(line.slice(tag.length + 1)) as { username: string; password: string };
  };
  const kept = printed('KEPT');
  const revoked = printed('REVOKED');
  const staticCreds = printed('STATIC');
  assert.equal(await canLogin(cluster, kept.username, kept.password), true, 'generated credentials log in');
  assert.equal(await canLogin(cluster, revoked.username, revoked.password), false, 'revoked credentials do not');
  assert.equal(await canLogin(cluster, staticUser, staticCreds.password), true, 'static role password works');
  assert.equal(await canLogin(cluster, staticUser, 'before-rotation'), false);
  assert.equal(await canLogin(cluster, 'hvac_engine', enginePassword), false, 'rotate-root replaced the root password');

  const output = server.output();
  for (const secret of [enginePassword, kept.password, revoked.password, staticCreds.password]) {
    assert.ok(!output.includes(secret), 'a password reached the server output');
  }
});
