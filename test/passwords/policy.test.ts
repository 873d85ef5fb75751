import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_PASSWORD_POLICY, MAX_ATTEMPTS, PasswordPolicyError, generatePassword, parsePasswordPolicy } from '../../src/passwords/policy.js';

const rule = (charset: string, min?: number): string => `rule "charset" {\n  charset = ${JSON.stringify(charset)}\n${min === undefined ? '' : `  min-chars = ${min}\n`}}\n`;

test('parses HCL and JSON; charsets are merged without duplicates', () => {
  const hcl = parsePasswordPolicy(`length = 12\n${rule('abcab', 1)}${rule('bcd0')}`);
  assert.equal(hcl.length, 12);
  assert.deepEqual(hcl.alphabet, ['a', 'b', 'c', 'd', '0']);
  assert.deepEqual(hcl.rules.map((r) => [[...r.charset].join(''), r.minChars]), [['abc', 1], ['bcd0', 0]]);
  const json = parsePasswordPolicy(JSON.stringify({ length: 10, rule: [{ charset: { charset: 'xyz', 'min-chars': 2 } }] }));
  assert.equal(json.length, 10);
  assert.deepEqual(json.alphabet, ['x', 'y', 'z']);
  assert.equal(json.rules[0]!.minChars, 2);
  const unicode = parsePasswordPolicy(`length = 6\n${rule('αβγ😀')}`);
  assert.deepEqual(unicode.alphabet, ['α', 'β', 'γ', '😀'], 'characters are code points, not UTF-16 units');
});

test('refuses what Vault refuses, with the reason', () => {
  const fails = (text: string, re: RegExp): void => {
    assert.throws(() => parsePasswordPolicy(text), (err: unknown) => err instanceof PasswordPolicyError && err.status === 400 && re.test(err.message));
  };
  fails('length = 20', /at least one charset rule/);
  fails(`length = 3\n${rule('abc')}`, /length must be >= 4/);
  fails(`length = 5000\n${rule('abc')}`, /length must be <= 1024/);
  fails(rule('abc'), /exactly one "length"/);
  fails(`length = "20"\n${rule('abc')}`, /length must be an integer/);
  fails(`length = 8\n${rule('')}`, /charset cannot be empty/);
  fails(`length = 8\n${rule('ab\tc')}`, /not printable/);
  fails(`length = 8\n${rule('abc', -1)}`, /min-chars cannot be negative/);
  fails(`length = 8\nrule "regex" { pattern = "." }`, /unrecognized rule type "regex"/);
  fails(`length = 8\n${rule('abc')}\nextra = 1`, /unknown key "extra"/);
  fails(`length = 8\nrule "charset" {\n  charset = "abc"\n  max-chars = 2\n}`, /unknown charset rule field "max-chars"/);
  fails('length = = 8', /unable to parse policy/);
  const wide = Array.from({ length: 300 }, (_, i) => String.fromCodePoint(0x4e00 + i)).join('');
  fails(`length = 8\n${rule(wide)}`, /at most 256/);
});

test('generated passwords have the length, draw only from the charsets and meet every min-chars', () => {
  const p = parsePasswordPolicy(`length = 16\n${rule('abcdefghijklmnopqrstuvwxyz', 3)}${rule('0123456789', 4)}${rule('!#', 1)}`);
  const seen = new Set<string>();
  for (let i = 0; i < 300; i++) {
    const pw = generatePassword(p);
    assert.match(pw, /^[a-z0-9!#]{16}$/);
    assert.ok((pw.match(/[a-z]/g) ?? []).length >= 3);
    assert.ok((pw.match(/[0-9]/g) ?? []).length >= 4);
    assert.ok((pw.match(/[!#]/g) ?? []).length >= 1);
    seen.add(pw);
  }
  assert.equal(seen.size, 300);
});

test('every character of the alphabet is drawn about equally often (no bias towards a rule)', () => {
  // "ab" is in both rules; the union is a..e, each should be ~1/5 of all characters.
  const p = parsePasswordPolicy(`length = 10\n${rule('abc')}${rule('abde')}`);
  const counts = new Map<string, number>();
  const n = 2000;
  for (let i = 0; i < n; i++) for (const c of generatePassword(p)) counts.set(c, (counts.get(c) ?? 0) + 1);
  assert.deepEqual([...counts.keys()].sort(), ['a', 'b', 'c', 'd', 'e']);
  for (const [c, k] of counts) assert.ok(Math.abs(k / (n * 10) - 0.2) < 0.02, `${c}: ${k}`);
});

test('a policy that cannot be met gives up after a bounded number of attempts', () => {
  const impossible = parsePasswordPolicy(`length = 4\n${rule('ab', 3)}${rule('01', 3)}`);
  assert.throws(() => generatePassword(impossible), new RegExp(`in ${MAX_ATTEMPTS} attempts`));
});

test("the default policy is Vault's: 20 of [a-zA-Z0-9-] with one of each class", () => {
  for (let i = 0; i < 100; i++) {
    const pw = generatePassword(DEFAULT_PASSWORD_POLICY);
    assert.match(pw, /^[A-Za-z0-9-]{20}$/);
    for (const re of [/[a-z]/, /[A-Z]/, /[0-9]/, /-/]) assert.match(pw, re);
  }
});
