/** hvac (Debian's python3-hvac) against a real dev server process: the token auth method. */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT, startServerProcess, type ServerProcess } from '../helpers/server-process.js';

const PYTHON = '/usr/bin/python3';
const hvacPresent = existsSync(PYTHON) && spawnSync(PYTHON, ['-c', 'import hvac'], { stdio: 'ignore' }).status === 0;
if (!hvacPresent) {
  process.stderr.write('\n*** hvac token compatibility tests SKIPPED: /usr/bin/python3 with python3-hvac is not installed ***\n\n');
}

let server: ServerProcess | undefined;
after(async () => {
  await server?.stop();
});

test('hvac: token create, lookup, renew, revoke, accessors, roles', { skip: hvacPresent ? false : 'python3-hvac not installed' }, async () => {
  server = await startServerProcess(['-dev', '-dev-root-token-id=root', '-dev-listen-address=127.0.0.1:0']);
  const r = spawnSync(PYTHON, [join(REPO_ROOT, 'test', 'compat', 'hvac_token.py')], {
    env: { ...process.env, VAULT_ADDR: server.url },
    encoding: 'utf8',
    timeout: 60_000,
  });
  assert.equal(r.status, 0, `hvac script failed:\n${r.stdout}\n${r.stderr}`);
  assert.match(r.stdout, /all checks passed/);
});
