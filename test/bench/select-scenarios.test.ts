/** `--only` selection (bench/scenarios/index.ts): baselines and companions come along, in run order. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SCENARIOS, selectScenarios } from '../../bench/scenarios/index.js';

test('a selected scenario brings its baseline and its companions, in run order', () => {
  assert.deepEqual(
    selectScenarios(['kv-write-sqlite']).map((s) => s.name),
    ['sqlite-raw-grouped', 'write-floor', 'kv-write-sqlite'],
  );
  // A companion or baseline alone does not pull in what refers to it.
  assert.deepEqual(selectScenarios(['write-floor']).map((s) => s.name), ['write-floor']);
  assert.deepEqual(selectScenarios([]).map((s) => s.name), SCENARIOS.map((s) => s.name));
  assert.throws(() => selectScenarios(['no-such']), /unknown scenario\(s\) no-such/);
});
