/** hvac (Debian's python3-hvac) against a real dev server: enable/list/disable audit devices, calculate_hash. */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT, startServerProcess, type ServerProcess } from '../helpers/server-process.js';

const PYTHON = '/usr/bin/python3';
const hvacPresent = existsSync(PYTHON) && spawnSync(PYTHON, ['-c', 'import hvac'], { stdio: 'ignore' }).status === 0;
if (!hvacPresent) {
  process.stderr.write('\n*** hvac audit compatibility tests SKIPPED: /usr/bin/python3 with python3-hvac is not installed ***\n\n');
}

const ROOT = 'hvac-audit-root';
const dir = mkdtempSync(join(tmpdir(), 'arca-hvac-audit-'));
let server: ServerProcess | undefined;
after(async () => {
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** Runs the script without blocking the event loop (the server may be in this process tree). */
function runPython(script: string, env: NodeJS.ProcessEnv): Promise<{ status: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(PYTHON, [script], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('exit', (status) => {
      clearTimeout(timer);
      resolve({ status, out });
    });
  });
}

test('hvac: audit devices and calculate_hash', { skip: hvacPresent ? false : 'python3-hvac not installed' }, async () => {
  server = await startServerProcess(['-dev', `-dev-root-token-id=${ROOT}`, '-dev-listen-address=127.0.0.1:0']);
  const r = await runPython(join(REPO_ROOT, 'test', 'compat', 'hvac_audit.py'), { VAULT_ADDR: server.url, VAULT_TOKEN: ROOT, AUDIT_DIR: dir });
  assert.equal(r.status, 0, `hvac script failed:\n${r.out}`);
  assert.match(r.out, /all checks passed/);
});
