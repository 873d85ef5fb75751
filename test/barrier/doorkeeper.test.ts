/** The read cache's admission filter: a key passes on its second look within the window, and the window forgets. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Doorkeeper } from '../../src/barrier/doorkeeper.js';

test('a key is refused once, then admitted while the window remembers it', () => {
  const d = new Doorkeeper(64);
  assert.equal(d.admit('logical/a'), false);
  assert.equal(d.admit('logical/a'), true);
  assert.equal(d.admit('logical/a'), true, 'stays admitted until the window is cleared');
  assert.equal(d.admit('logical/b'), false, 'another key is not');
});

test('after a window of refusals the filter forgets, and clear() forgets at once', () => {
  const d = new Doorkeeper(64);
  assert.equal(d.admit('first'), false);
  // 63 more refusals fill the window (a key that collides with a marked bit passes, uncounted);
  // the next refusal clears it before marking.
  let collisions = 0;
  for (let i = 0, refused = 1; refused < 64; i++) {
    if (d.admit(`other/${i}`)) collisions++;
    else refused++;
  }
  assert.equal(d.admit('first'), true, 'still within the window');
  assert.equal(d.admit('one-more'), false);
  assert.equal(d.admit('first'), false, 'forgotten: the window was cleared');
  assert.ok(collisions <= 3, `few keys pass by collision (${collisions} of 63)`);
  d.clear();
  assert.equal(d.admit('one-more'), false, 'clear forgets too');
});

test('collisions stay rare over a full window of distinct keys', () => {
  const d = Doorkeeper.forCache(65_536);
  let passed = 0;
  for (let i = 0; i < 16_384; i++) if (d.admit(`logical/6c0e1f2a/versions/${i.toString(16).padStart(64, '0')}`)) passed++;
  // ~16 bits per key: on average about 3% of a window's keys find their bit already set.
  assert.ok(passed < 16_384 * 0.06, `${passed} of 16,384 new keys passed`);
});
