import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  columns,
  formatValue,
  humanDuration,
  keyValueTable,
  objectRows,
  pathBanner,
  rfc822,
  sectionBanner,
  tableCell,
  toJson,
  toYaml,
  wrapText,
} from '../../src/cli/format.js';

test('formatValue prints decoded JSON the way Go %v does', () => {
  assert.equal(formatValue('plain'), 'plain');
  assert.equal(formatValue(10), '10');
  assert.equal(formatValue(false), 'false');
  assert.equal(formatValue(null), '<nil>');
  assert.equal(formatValue(['a', 'b']), '[a b]');
  assert.equal(formatValue({ b: 1, a: 'x' }), 'map[a:x b:1]');
  assert.equal(formatValue({ m: { z: [1, 2] } }), 'map[m:map[z:[1 2]]]');
  assert.equal(formatValue([]), '[]');
});

test('humanDuration drops zero units as Vault does', () => {
  assert.equal(humanDuration(0), '0s');
  assert.equal(humanDuration(2764800), '768h');
  assert.equal(humanDuration(3630), '1h30s');
  assert.equal(humanDuration(5400), '1h30m');
  assert.equal(humanDuration(90), '1m30s');
  assert.equal(humanDuration(60), '1m');
  assert.equal(humanDuration(45), '45s');
  assert.equal(humanDuration(-60), '-1m');
});

test('tables: four-space gutters, dashed headings, no trailing blanks', () => {
  assert.equal(
    keyValueTable([
      ['created_time', '2018-03-22T02:24:06Z'],
      ['custom_metadata', '<nil>'],
      ['empty', ''],
    ]),
    ['Key                Value', '---                -----', 'created_time       2018-03-22T02:24:06Z', 'custom_metadata    <nil>', 'empty'].join('\n'),
  );
  assert.equal(columns([['Keys'], ['----'], ['a/']]), 'Keys\n----\na/');
});

test('table cells show empty strings as n/a and TTL fields as durations', () => {
  assert.equal(tableCell('deletion_time', ''), 'n/a');
  assert.equal(tableCell('ttl', 2764800), '768h');
  assert.equal(tableCell('creation_ttl', '3600'), '1h');
  assert.equal(tableCell('token_period', 0), '0s');
  assert.equal(tableCell('version', 3), '3');
  assert.equal(tableCell('delete_version_after', '0s'), '0s');
  assert.deepEqual(objectRows({ b: 2, a: '' }), [
    ['a', 'n/a'],
    ['b', '2'],
  ]);
});

test('banners are as wide as the table heading or path under them (matches Vault documentation output)', () => {
  assert.equal(sectionBanner('Data', ['passcode']), '====== Data ======');
  assert.equal(sectionBanner('Data', ['prod', 'sandbox']), '===== Data =====');
  assert.equal(sectionBanner('Metadata', ['created_time', 'custom_metadata', 'deletion_time', 'destroyed', 'version']), '======= Metadata =======');
  assert.equal(sectionBanner('Metadata', ['cas_required', 'delete_version_after']), '========== Metadata ==========');
  assert.equal(sectionBanner('Version 1', ['created_time', 'deletion_time', 'destroyed']), '====== Version 1 ======');
  assert.equal(pathBanner('Secret Path', 'secret/data/creds'), '== Secret Path ==');
  assert.equal(pathBanner('Secret Path', 'shared/data/dev/square-api'), '======= Secret Path =======');
  assert.equal(pathBanner('Metadata Path', 'secret/metadata/creds'), '=== Metadata Path ===');
  assert.equal(pathBanner('Metadata Path', 'x'), '== Metadata Path ==');
});

test('json output is indented by two spaces', () => {
  assert.equal(toJson({ a: [1] }), '{\n  "a": [\n    1\n  ]\n}');
  assert.equal(toJson(undefined), 'null');
});

test('yaml output: block style, sorted keys, quoting where a plain scalar would change meaning (even the YAML 1.1 boolean "n")', () => {
  const yaml = toYaml({ data: { foo: 'bar', n: '5678', flag: 'true', spaced: 'a: b', list: ['x', { k: 1 }], empty: {} }, warnings: null, num: 3 });
  assert.equal(
    yaml,
    [
      'data:',
      '  empty: {}',
      '  flag: "true"',
      '  foo: bar',
      '  list:',
      '    - x',
      '    - k: 1',
      '  "n": "5678"',
      '  spaced: "a: b"',
      'num: 3',
      'warnings: null',
    ].join('\n'),
  );
  assert.equal(toYaml(['a', []]), '- a\n- []');
});

test('rfc822 renders Go time.RFC822 in UTC', () => {
  assert.equal(rfc822('2017-01-01T12:30:00Z'), '01 Jan 17 12:30 UTC');
  assert.equal(rfc822('not a time'), 'not a time');
});

test('wrapText wraps greedily', () => {
  assert.deepEqual(wrapText('aa bb cc dd', 5), ['aa bb', 'cc dd']);
  assert.deepEqual(wrapText('averyveryverylongword x', 5), ['averyveryverylongword', 'x']);
  assert.deepEqual(wrapText('', 5), []);
});
