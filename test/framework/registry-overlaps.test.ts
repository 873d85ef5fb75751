import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BUILTIN_BACKENDS } from '../../src/engines/index.js';
import { compilePattern, findOverlapDetails } from '../../src/framework/index.js';

test('no two patterns of any registered backend table overlap', () => {
  assert.ok(BUILTIN_BACKENDS.size > 0);
  const problems: string[] = [];
  for (const [type, registration] of BUILTIN_BACKENDS) {
    assert.ok(registration.pathTables.length > 0, `${type} registers no path table`);
    registration.pathTables.forEach((table, index) => {
      for (const o of findOverlapDetails(table)) {
        problems.push(`${type} table ${index}: ${o.a} and ${o.b} both match ${JSON.stringify(o.example)}`);
      }
    });
  }
  assert.deepEqual(problems, []);
});

test('every registered pattern is in the analysable dialect', () => {
  for (const [, registration] of BUILTIN_BACKENDS) {
    for (const table of registration.pathTables) for (const path of table) compilePattern(path.pattern);
  }
});

test('registry maps kv, generic and kv-v2 as secrets engines', () => {
  for (const type of ['kv', 'generic', 'kv-v2']) assert.equal(BUILTIN_BACKENDS.get(type)?.kind, 'secret', type);
});
