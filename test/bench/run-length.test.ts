/** Measured run lengths (bench/scenarios/repeat.ts): longer runs only in full mode, and the report says so. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { measuredSeconds, runLengthNotes } from '../../bench/scenarios/repeat.js';
import type { RunSettings } from '../../bench/scenarios/types.js';

const FULL: RunSettings = { quick: false, reps: 3, warmupSeconds: 2, durationSeconds: 10, maxRequests: 500_000 };
const QUICK: RunSettings = { quick: true, reps: 1, warmupSeconds: 0.5, durationSeconds: 1, maxRequests: 200_000 };

test('a scenario asking for longer runs gets them in full mode only, with a note', () => {
  assert.equal(measuredSeconds(FULL, { measuredSeconds: 30 }), 30);
  assert.equal(measuredSeconds(FULL, {}), 10);
  // Never shorter than the run's default, and quick mode stays quick.
  assert.equal(measuredSeconds(FULL, { measuredSeconds: 5 }), 10);
  assert.equal(measuredSeconds(QUICK, { measuredSeconds: 30 }), 1);
  assert.match(runLengthNotes(FULL, { measuredSeconds: 30 })[0] ?? '', /measured runs of 30 s, not 10/);
  assert.deepEqual(runLengthNotes(FULL, {}), []);
  assert.deepEqual(runLengthNotes(QUICK, { measuredSeconds: 30 }), []);
});
