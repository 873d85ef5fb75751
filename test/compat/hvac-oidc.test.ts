/** hvac's identity-token client and PyJWT as a relying party (Debian's python3-hvac, python3-jwt) against a real dev server process. */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT, startServerProcess, type ServerProcess } from '../helpers/server-process.js';

const PYTHON = '/usr/bin/python3';
const ROOT = 'hvac-oidc-root';
const present = existsSync(PYTHON) && spawnSync(PYTHON, ['-c', 'import hvac, jwt, cryptography'], { stdio: 'ignore' }).status === 0;
if (!present) {
  if (process.env['CI'] === 'true') throw new Error('python3-hvac, python3-jwt or python3-cryptography is not installed (CI=true: the hvac identity token test must run)');
  // Loud on purpose: a skipped compatibility test must not look like a pass.
  process.stderr.write('\n*** hvac identity token test SKIPPED: /usr/bin/python3 needs python3-hvac, python3-jwt and python3-cryptography (scripts/install-test-deps.sh) ***\n\n');
}

let server: ServerProcess | undefined;
after(async () => {
  await server?.stop();
});

test('hvac: identity tokens for RS256, ES384 and EdDSA keys, verified by PyJWT against the JWKS', { skip: present ? false : 'python3-hvac / python3-jwt not installed' }, async () => {
  server = await startServerProcess(['-dev', `-dev-root-token-id=${ROOT}`, '-dev-listen-address=127.0.0.1:0']);
  const r = spawnSync(PYTHON, [join(REPO_ROOT, 'test', 'compat', 'hvac_oidc.py')], {
    env: { ...process.env, VAULT_ADDR: server.url, VAULT_TOKEN: ROOT },
    encoding: 'utf8',
    timeout: 90_000,
  });
  assert.equal(r.status, 0, `hvac script failed:\n${r.stdout}\n${r.stderr}`);
  assert.match(r.stdout, /all checks passed/);
});
