/** hvac's identity client (Debian's python3-hvac) against a real dev server process. */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT, startServerProcess, type ServerProcess } from '../helpers/server-process.js';

const PYTHON = '/usr/bin/python3';
const ROOT = 'hvac-identity-root';
const hvacPresent = existsSync(PYTHON) && spawnSync(PYTHON, ['-c', 'import hvac'], { stdio: 'ignore' }).status === 0;
if (!hvacPresent) {
  // Loud on purpose: CI installs python3-hvac, so a skip here means the machine is incomplete.
  process.stderr.write('\n*** hvac identity tests SKIPPED: /usr/bin/python3 with python3-hvac is not installed ***\n\n');
}

let server: ServerProcess | undefined;
after(async () => {
  await server?.stop();
});

test('hvac: identity entities, aliases, groups, lookups, login integration', { skip: hvacPresent ? false : 'python3-hvac not installed' }, async () => {
  server = await startServerProcess(['-dev', `-dev-root-token-id=${ROOT}`, '-dev-listen-address=127.0.0.1:0']);
  const r = spawnSync(PYTHON, [join(REPO_ROOT, 'test', 'compat', 'hvac_identity.py')], {
    env: { ...process.env, VAULT_ADDR: server.url, VAULT_TOKEN: ROOT },
    encoding: 'utf8',
    timeout: 60_000,
  });
  assert.equal(r.status, 0, `hvac script failed:\n${r.stdout}\n${r.stderr}`);
  assert.match(r.stdout, /all checks passed/);
});
