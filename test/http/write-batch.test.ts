/** Answers of one event-loop turn are written together, in order, at the end of the turn. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WriteBatch } from '../../src/http/write-batch.js';

test('writes run at the end of the turn, in the order added; a failing write does not stop the rest', async () => {
  const errors: unknown[] = [];
  const batch = new WriteBatch((err) => errors.push(err));
  const done: number[] = [];
  batch.add(() => done.push(1));
  batch.add(() => {
    throw new Error('boom');
  });
  batch.add(() => done.push(3));
  await Promise.resolve();
  assert.equal(done.length, 0, 'nothing is written before the turn ends');
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(done, [1, 3]);
  assert.equal(errors.length, 1);
  // A later turn gets its own batch.
  batch.add(() => done.push(4));
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(done, [1, 3, 4]);
});
