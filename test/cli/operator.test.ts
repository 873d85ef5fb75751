/**
 * Operator commands against real non-dev servers (`arca server -config=FILE`): init, unseal
 * (argument, stdin, "-", -reset), seal, a full generate-root round trip whose decoded
 * token is then used to talk to the server, and rekey with and without verification.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cleanEnv, hasScriptCommand, removeDir, runCli, runCliInTerminal, startServer, tempDir, type CliResult, type RunningServer } from './cli-process.js';

const CONFIG = `
storage "inmem" {}

listener "tcp" {
  address     = "127.0.0.1:0"
  tls_disable = true
}
`;

let home = '';
let server: RunningServer | undefined;
let env: Record<string, string> = {};
const keys: string[] = [];
let rootToken = '';

before(async () => {
  home = tempDir('arca-cli-operator-');
  const config = join(home, 'arca.hcl');
  writeFileSync(config, CONFIG);
  server = await startServer([`-config=${config}`], home);
  env = cleanEnv(home, { VAULT_ADDR: server.addr });
});

after(async () => {
  await server?.stop();
  removeDir(home);
});

function arca(args: string[], input?: string, extra: Record<string, string> = {}): Promise<CliResult> {
  return runCli(args, { ...env, ...extra }, input);
}

async function ok(args: string[], input?: string, extra: Record<string, string> = {}): Promise<string> {
  const r = await arca(args, input, extra);
  assert.equal(r.code, 0, `arca ${args.join(' ')} exited ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  return r.stdout;
}

function row(output: string, key: string): string | undefined {
  return new RegExp(`^${key} +(.*)$`, 'm').exec(output)?.[1];
}

test('an uninitialized server: status exits 2, init -status exits 2', async () => {
  const status = await arca(['status']);
  assert.equal(status.code, 2);
  assert.equal(row(status.stdout, 'Initialized'), 'false');
  assert.equal(row(status.stdout, 'Sealed'), 'true');
  const init = await arca(['operator', 'init', '-status']);
  assert.deepEqual([init.code, init.stdout], [2, 'Vault is not initialized\n']);
});

test('operator init prints unseal keys and the root token like Vault', async () => {
  const out = await ok(['operator', 'init', '-key-shares=3', '-key-threshold=2']);
  for (const m of out.matchAll(/^Unseal Key (\d): (\S+)$/gm)) keys[Number(m[1]) - 1] = m[2]!;
  rootToken = /^Initial Root Token: (\S+)$/m.exec(out)?.[1] ?? '';
  assert.equal(keys.length, 3);
  assert.ok(keys.every((k) => Buffer.from(k, 'base64').length >= 16));
  assert.notEqual(rootToken, '');
  assert.match(out, /^Unseal Key 1: \S+\nUnseal Key 2: \S+\nUnseal Key 3: \S+\n\nInitial Root Token: \S+\n\n.*3 key shares and a key threshold of 2/);

  assert.deepEqual([(await arca(['operator', 'init', '-status'])).code], [0]);
  const again = await arca(['operator', 'init']);
  assert.equal(again.code, 2);
  assert.match(again.stderr, /^Error initializing: Error making API request\.\n\nURL: PUT .*\/v1\/sys\/init\nCode: 400\. Errors:\n\n\* .*initialized/);
});

test('operator unseal: key from stdin, -reset, argument and "-"', async () => {
  const first = await ok(['operator', 'unseal'], `${keys[0]}\n`);
  assert.equal(row(first, 'Sealed'), 'true');
  assert.equal(row(first, 'Unseal Progress'), '1/2');
  assert.notEqual(row(first, 'Unseal Nonce'), 'n/a');
  assert.equal((await arca(['status'])).code, 2);

  const reset = await ok(['operator', 'unseal', '-reset']);
  assert.equal(row(reset, 'Unseal Progress'), '0/2');

  await ok(['operator', 'unseal', keys[0]!]);
  const done = json(await ok(['operator', 'unseal', '-format=json', '-'], keys[1]));
  assert.equal(done['sealed'], false);
  assert.equal(done['t'], 2);
  assert.equal(done['n'], 3);
  const status = await arca(['status']);
  assert.equal(status.code, 0);
  assert.doesNotMatch(status.stdout, /Unseal Progress/);

  const bad = await arca(['operator', 'unseal'], '');
  assert.deepEqual([bad.code, bad.stderr], [1, 'Error unsealing: no unseal key was provided\n']);
});

function json(text: string): Record<string, any> {
  return JSON.parse(text) as Record<string, any>;
}

test('operator generate-root round trip: OTP, init, keys, decode, use the new token', async () => {
  const auth = { VAULT_TOKEN: rootToken };
  const idle = await ok(['operator', 'generate-root', '-status']);
  assert.equal(row(idle, 'Started'), 'false');

  const otp = (await ok(['operator', 'generate-root', '-generate-otp'])).trim();
  const otpLength = Number(json(await ok(['operator', 'generate-root', '-status', '-format=json']))['otp_length']);
  assert.match(otp, /^[A-Za-z0-9]+$/);
  if (otpLength > 0) assert.equal(otp.length, otpLength);

  const started = await ok(['operator', 'generate-root', '-init', `-otp=${otp}`]);
  assert.equal(row(started, 'Started'), 'true');
  assert.equal(row(started, 'Progress'), '0/2');
  const nonce = row(started, 'Nonce')!;
  assert.match(nonce, /\S/);

  // First key from stdin, nonce looked up from the attempt; second key as argument with -nonce.
  const step = await ok(['operator', 'generate-root'], `${keys[2]}\n`);
  assert.equal(row(step, 'Progress'), '1/2');
  assert.equal(row(step, 'Complete'), 'false');
  const final = json(await ok(['operator', 'generate-root', '-format=json', `-nonce=${nonce}`, keys[0]!]));
  assert.equal(final['complete'], true);
  const encoded = String(final['encoded_token'] || final['encoded_root_token']);
  assert.match(encoded, /^[A-Za-z0-9+/]+$/);

  const token = (await ok(['operator', 'generate-root', `-decode=${encoded}`, `-otp=${otp}`])).trim();
  assert.notEqual(token, rootToken);
  assert.match(await ok(['secrets', 'list'], undefined, { VAULT_TOKEN: token }), /^Path +Type/);
  assert.equal((await arca(['secrets', 'list'], undefined, { VAULT_TOKEN: `${token}x` })).code, 2);

  // Server-generated OTP, then cancel.
  const generated = await ok(['operator', 'generate-root', '-init'], undefined, auth);
  assert.match(generated, /^A One-Time-Password has been generated for you/);
  assert.match(row(generated, 'OTP') ?? '', /^[A-Za-z0-9]+$/);
  assert.equal(await ok(['operator', 'generate-root', '-cancel']), 'Success! Root token generation canceled (if it was started)\n');
  assert.equal(row(await ok(['operator', 'generate-root', '-status']), 'Started'), 'false');
  const notStarted = await arca(['operator', 'generate-root', keys[0]!]);
  assert.equal(notStarted.code, 2);
  assert.match(notStarted.stderr, /No root generation in progress/);
});

test('operator seal: status exits 2 and requests are refused until unsealed again', async () => {
  const auth = { VAULT_TOKEN: rootToken };
  assert.equal(await ok(['operator', 'seal'], undefined, auth), 'Success! Vault is sealed.\n');
  const status = await arca(['status']);
  assert.equal(status.code, 2);
  assert.equal(row(status.stdout, 'Sealed'), 'true');
  const refused = await arca(['secrets', 'list'], undefined, auth);
  assert.equal(refused.code, 2);
  assert.match(refused.stderr, /Code: 503\. Errors:\n\n\* .*sealed/i);

  await ok(['operator', 'unseal', keys[1]!]);
  await ok(['operator', 'unseal', keys[2]!]);
  assert.equal((await arca(['status'])).code, 0);

  assert.match(await ok(['operator', 'key-status'], undefined, auth), /^Key Term +1\n/);
});

test('operator unseal prompts on a terminal without echoing the key', async (t) => {
  if (!hasScriptCommand()) {
    t.skip('util-linux "script" is not installed');
    return;
  }
  assert.equal(await ok(['operator', 'seal'], undefined, { VAULT_TOKEN: rootToken }), 'Success! Vault is sealed.\n');
  const prompted = await runCliInTerminal(['operator', 'unseal'], env, 'Unseal Key (will be hidden): ', keys[0]!);
  assert.equal(prompted.code, 0, prompted.stdout);
  assert.match(prompted.stdout, /^Unseal Key \(will be hidden\): \n/);
  assert.ok(!prompted.stdout.includes(keys[0]!), 'the typed key is not echoed');
  assert.equal(row(prompted.stdout, 'Unseal Progress'), '1/2');
  await ok(['operator', 'unseal', keys[1]!]);
  assert.equal((await arca(['status'])).code, 0);
});

test('operator init -format=json on a second server', async () => {
  const dir = tempDir('arca-cli-operator2-');
  const config = join(dir, 'arca.hcl');
  writeFileSync(config, CONFIG);
  const second = await startServer([`-config=${config}`], dir);
  try {
    const out = await runCli(['operator', 'init', '-key-shares=1', '-key-threshold=1', '-format=json'], cleanEnv(dir, { VAULT_ADDR: second.addr }));
    assert.equal(out.code, 0, out.stderr);
    const init = json(out.stdout);
    assert.deepEqual(Object.keys(init), [
      'unseal_keys_b64',
      'unseal_keys_hex',
      'unseal_shares',
      'unseal_threshold',
      'recovery_keys_b64',
      'recovery_keys_hex',
      'recovery_keys_shares',
      'recovery_keys_threshold',
      'root_token',
    ]);
    assert.equal(init['unseal_keys_b64'].length, 1);
    assert.equal(Buffer.from(init['unseal_keys_b64'][0], 'base64').toString('hex'), init['unseal_keys_hex'][0]);
    const unsealed = await runCli(['operator', 'unseal', init['unseal_keys_b64'][0]], cleanEnv(dir, { VAULT_ADDR: second.addr }));
    assert.equal(row(unsealed.stdout, 'Sealed'), 'false');
  } finally {
    await second.stop();
    removeDir(dir);
  }
});

test('operator rekey: init, keys from stdin and argument, new keys printed once; -verify puts them in force', async () => {
  const dir = tempDir('arca-cli-rekey-');
  const config = join(dir, 'arca.hcl');
  writeFileSync(config, CONFIG);
  const third = await startServer([`-config=${config}`], dir);
  const e = cleanEnv(dir, { VAULT_ADDR: third.addr });
  const run = async (args: string[], input?: string): Promise<string> => {
    const r = await runCli(args, e, input);
    assert.equal(r.code, 0, `arca ${args.join(' ')} exited ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
    return r.stdout;
  };
  try {
    const init = json(await run(['operator', 'init', '-key-shares=3', '-key-threshold=2', '-format=json']));
    const old = init['unseal_keys_b64'] as string[];
    await run(['operator', 'unseal', old[0]!]);
    await run(['operator', 'unseal', old[1]!]);

    assert.equal(row(await run(['operator', 'rekey', '-status']), 'Started'), 'false');
    const started = await run(['operator', 'rekey', '-init', '-key-shares=4', '-key-threshold=3']);
    assert.equal(row(started, 'Started'), 'true');
    assert.equal(row(started, 'Rekey Progress'), '0/2');
    assert.equal(row(started, 'New Shares'), '4');
    assert.equal(row(started, 'New Threshold'), '3');
    const again = await runCli(['operator', 'rekey', '-init'], e);
    assert.equal(again.code, 2);
    assert.match(again.stderr, /rekey already in progress/);

    assert.equal(row(await run(['operator', 'rekey'], `${old[2]}\n`), 'Rekey Progress'), '1/2');
    const done = await run(['operator', 'rekey', old[0]!]);
    const fresh = [...done.matchAll(/^Key \d: (\S+)$/gm)].map((m) => m[1]!);
    assert.equal(fresh.length, 4);
    assert.match(done, /^Operation nonce: \S+$/m);
    assert.match(done, /Arca rekeyed with 4 key shares and a key threshold of 3\./);
    assert.equal(row(await run(['status']), 'Total Shares'), '4');

    // Verification: the second rekey's keys do nothing until three of them come back.
    await run(['operator', 'rekey', '-init', '-key-shares=2', '-key-threshold=2', '-verify']);
    for (const k of fresh.slice(0, 2)) await run(['operator', 'rekey', k]);
    const pending = await run(['operator', 'rekey', fresh[2]!]);
    assert.match(pending, /These will not be active until after verification is complete/);
    const newer = [...pending.matchAll(/^Key \d: (\S+)$/gm)].map((m) => m[1]!);
    assert.equal(newer.length, 2);
    assert.equal(row(pending, 'Verification Progress'), '0/2');
    assert.equal(row(await run(['status']), 'Total Shares'), '4', 'not in force before verification');
    const canceled = await run(['operator', 'rekey', '-verify', '-cancel']);
    assert.match(canceled, /^Success! Canceled rekey verification/);
    assert.equal(row(await run(['operator', 'rekey', '-verify', '-status']), 'Verification Progress'), '0/2');
    assert.equal(row(await run(['operator', 'rekey', '-verify', newer[1]!]), 'Verification Progress'), '1/2');
    assert.match(await run(['operator', 'rekey', '-verify'], `${newer[0]}\n`), /^Success! Rekey verification was successful/);
    assert.equal(row(await run(['status']), 'Total Shares'), '2');

    const sealed = await runCli(['operator', 'seal'], { ...e, VAULT_TOKEN: String(init['root_token']) });
    assert.equal(sealed.code, 0, sealed.stderr);
    await run(['operator', 'unseal', newer[0]!]);
    assert.equal(row(await run(['operator', 'unseal', newer[1]!]), 'Sealed'), 'false');
    assert.equal(await run(['operator', 'rekey', '-cancel']), 'Success! Canceled rekeying (if it was started)\n');
  } finally {
    await third.stop();
    removeDir(dir);
  }
});
