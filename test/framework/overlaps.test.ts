import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  compilePattern,
  findOverlapDetails,
  findOverlaps,
  genericName,
  literal,
  matchAll,
  optionalSuffix,
  optionalTrailingSlash,
  UnsupportedPatternError,
} from '../../src/framework/index.js';

const p = (...patterns: string[]) => patterns.map((pattern) => ({ pattern }));

test('a deliberately overlapping pair is detected, with a path both match', () => {
  const overlaps = findOverlapDetails(p(`roles/${genericName('name')}`, 'roles/admin'));
  assert.equal(overlaps.length, 1);
  const [o] = overlaps;
  assert.equal(o?.example, 'roles/admin');
  assert.deepEqual(findOverlaps(p(`roles/${genericName('name')}`, 'roles/admin')), [[`roles/${genericName('name')}`, 'roles/admin']]);
});

test('overlaps between two wildcards are found even with no shared literal', () => {
  // "bar/foo" matches both, though neither pattern's literals alone would suggest it.
  const [o] = findOverlapDetails(p(`${matchAll('a')}/foo`, `bar/${matchAll('b')}`));
  assert.ok(o !== undefined);
  assert.match(o.example, /^bar\/.*foo$/);
  assert.ok(new RegExp('^(?:.*/foo)$').test(o.example) && /^bar\//.test(o.example));
});

test('disjoint patterns are not reported', () => {
  const table = p(
    'config',
    `data/${matchAll('path')}`,
    `metadata${optionalSuffix('path')}`,
    `roles${optionalTrailingSlash}`,
    `roles/${genericName('name')}`,
    `roles/${genericName('name')}/secret-id`,
    `roles/${genericName('name')}/secret-id/(?<accessor>[0-9a-f]{8})`,
    'login',
    '(?:foo|bar)/x',
    'baz/[^/]+',
  );
  assert.deepEqual(findOverlaps(table), []);
});

test('optional pieces, alternation, classes and counted repetition are analysed exactly', () => {
  assert.equal(findOverlaps(p('roles/?', 'roles')).length, 1);
  assert.equal(findOverlaps(p('(?:a|b)c', 'bc')).length, 1);
  assert.equal(findOverlaps(p('(?:a|b)c', 'dc')).length, 0);
  assert.equal(findOverlaps(p('x/[0-9]{2,3}', 'x/1234')).length, 0);
  assert.equal(findOverlaps(p('x/[0-9]{2,3}', 'x/123')).length, 1);
  assert.equal(findOverlaps(p('x/\\d+', 'x/[a-z]+')).length, 0);
  assert.equal(findOverlaps(p('x/[^/]+', 'x/a/b')).length, 0);
  assert.equal(findOverlaps(p('x/.+', 'x/a/b')).length, 1);
  assert.equal(findOverlaps(p('^x$', 'x')).length, 1);
  assert.equal(findOverlaps(p(literal('a.b'), 'a-b')).length, 0);
  assert.equal(findOverlaps(p('a.b', 'a-b')).length, 1);
  assert.equal(findOverlaps(p(`x${optionalSuffix('rest')}`, 'x/')).length, 1);
  assert.equal(findOverlaps(p(`x${optionalSuffix('rest')}`, 'xy')).length, 0);
});

test('patterns outside the dialect are rejected, so analysis never silently misses', () => {
  for (const bad of ['a(?=b)', 'a(?!b)', '(?<=a)b', '(a)\\1', 'a\\b', 'a^b', 'x{1,999}', 'a**', '[a', '(a', 'a{', '\\k<n>']) {
    assert.throws(() => compilePattern(bad), UnsupportedPatternError, bad);
  }
  assert.throws(() => compilePattern('(?<n>a)/(?<n>b)'), /captures n twice/);
});

test('exhaustive cross-check against the regex engine on a small alphabet', () => {
  // Every pair of these patterns is compared with brute force over all strings up to length 4
  // from the alphabet the patterns use; the automaton answer must agree.
  const patterns = ['a*', 'a+b', '(?:ab)+', 'b?a?', '[ab]{2}', 'a/.*', '.*/b', '[^a]*', 'a|bb', '(?:a|b)/?', '/'];
  const alphabet = ['a', 'b', '/', 'c'];
  const strings: string[] = [''];
  for (let len = 1; len <= 4; len++) {
    const prev = strings.filter((s) => s.length === len - 1);
    for (const s of prev) for (const ch of alphabet) strings.push(s + ch);
  }
  for (let i = 0; i < patterns.length; i++) {
    for (let j = i + 1; j < patterns.length; j++) {
      const a = compilePattern(patterns[i]!).regex;
      const b = compilePattern(patterns[j]!).regex;
      const brute = strings.some((s) => a.test(s) && b.test(s));
      const found = findOverlaps(p(patterns[i]!, patterns[j]!)).length === 1;
      // Brute force over short strings can only under-approximate; where it finds a witness
      // the automaton must too, and every automaton witness is confirmed by both regexes.
      if (brute) assert.ok(found, `${patterns[i]} vs ${patterns[j]} should overlap`);
      if (found) {
        const [o] = findOverlapDetails(p(patterns[i]!, patterns[j]!));
        assert.ok(a.test(o!.example) && b.test(o!.example));
      }
    }
  }
});
