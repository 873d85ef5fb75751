import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CommandFailure } from '../../src/cli/command.js';
import { fieldValue, printList, printSecret, secretForOutput, secretRows } from '../../src/cli/secret-output.js';
import { CaptureUi } from './capture-ui.js';

test('rows: refresh_interval for a lease without id, then data sorted', () => {
  assert.deepEqual(secretRows({ lease_duration: 2764800, data: { zeta: 1, alpha: 'x', ttl: 60, gone: '' } }), [
    ['refresh_interval', '768h'],
    ['alpha', 'x'],
    ['gone', 'n/a'],
    ['ttl', '1m'],
    ['zeta', '1'],
  ]);
});

test('rows: lease rows when there is a lease id; auth and wrapping rows', () => {
  const rows = secretRows({
    lease_id: 'database/creds/x/abc',
    lease_duration: 3600,
    renewable: true,
    auth: { client_token: 's.t', accessor: 'acc', lease_duration: 0, renewable: false, token_policies: ['root'], policies: ['root'], metadata: { user: 'u' } },
    wrap_info: { token: 'w', accessor: 'wa', ttl: 300, creation_time: 't', creation_path: 'p' },
  });
  assert.deepEqual(rows.slice(0, 3), [
    ['lease_id', 'database/creds/x/abc'],
    ['lease_duration', '1h'],
    ['lease_renewable', 'true'],
  ]);
  assert.deepEqual(rows.find((r) => r[0] === 'token_duration'), ['token_duration', '∞']);
  assert.deepEqual(rows.find((r) => r[0] === 'token_meta_user'), ['token_meta_user', 'u']);
  assert.deepEqual(rows.find((r) => r[0] === 'wrapping_token_ttl:'), ['wrapping_token_ttl:', '5m']);
});

test('fieldValue resolves pseudo-fields before data keys', () => {
  const s = { lease_id: 'l', lease_duration: 60, auth: { client_token: 'tok' }, data: { token: 'data-token', foo: 'bar' } };
  assert.equal(fieldValue(s, 'token'), 'tok');
  assert.equal(fieldValue(s, 'lease_duration'), '1m');
  assert.equal(fieldValue(s, 'foo'), 'bar');
  assert.equal(fieldValue(s, 'missing'), undefined);
});

test('printSecret table: warnings to stderr, table to stdout', () => {
  const ui = new CaptureUi();
  printSecret(ui, 'table', { data: { foo: 'bar' }, warnings: ['careful'] });
  assert.equal(ui.stdout, 'Key    Value\n---    -----\nfoo    bar\n');
  assert.match(ui.stderr, /WARNING!.*\n\n {2}\* careful\n/);
});

test('printSecret json: Vault\'s envelope fields, in order', () => {
  const ui = new CaptureUi();
  printSecret(ui, 'json', { request_id: 'r', data: { a: 1 }, wrap_info: null, auth: null, mount_type: 'kv' });
  assert.deepEqual(Object.keys(JSON.parse(ui.stdout)), ['request_id', 'lease_id', 'lease_duration', 'renewable', 'data', 'warnings', 'mount_type']);
  assert.deepEqual(secretForOutput({ data: null }).data, null);
});

test('-field prints the raw value without a newline unless stdout is a terminal', () => {
  const pipe = new CaptureUi();
  printSecret(pipe, 'table', { data: { foo: 'bar', m: { k: 'v' } } }, 'foo');
  assert.equal(pipe.stdout, 'bar');
  const tty = new CaptureUi('', true);
  printSecret(tty, 'table', { data: { m: { k: 'v' } } }, 'm');
  assert.equal(tty.stdout, 'map[k:v]\n');
  const json = new CaptureUi();
  printSecret(json, 'json', { data: { m: { k: 'v' } } }, 'm');
  assert.equal(json.stdout, '{\n  "k": "v"\n}');
  assert.throws(
    () => printSecret(new CaptureUi(), 'table', { data: {} }, 'nope'),
    (e: unknown) => e instanceof CommandFailure && e.exitCode === 1 && e.message === 'Field "nope" not present in secret',
  );
});

test('printList: Keys column, bare array in json, "No value found" (exit 2) otherwise', () => {
  const ui = new CaptureUi();
  printList(ui, 'table', { data: { keys: ['a', 'b/'] } }, 'secret/');
  assert.equal(ui.stdout, 'Keys\n----\na\nb/\n');
  const json = new CaptureUi();
  printList(json, 'json', { data: { keys: ['a'] } }, 'secret/');
  assert.deepEqual(JSON.parse(json.stdout), ['a']);
  assert.throws(() => printList(new CaptureUi(), 'table', undefined, 'x/'), (e: unknown) => e instanceof CommandFailure && e.exitCode === 2 && e.message === 'No value found at x/');
  assert.throws(() => printList(new CaptureUi(), 'table', { data: { other: 1 } }, 'x/'), /No entries found at x\//);
});
