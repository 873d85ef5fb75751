/** The `policy fmt` formatter and the comment/brace scan it relies on. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PolicyParseError, parsePolicy } from '../../src/policy/index.js';
import { formatPolicyText, quoteHcl } from '../../src/cli/policy-format.js';
import { scanPolicySource } from '../../src/cli/policy-source.js';

test('canonical layout: two-space indent, inline lists, blank line between blocks', () => {
  const src = 'path "secret/*" {capabilities=["create","read"]}\npath "sys/mounts"   {\n\n\n      policy =    "read"\n}\n';
  assert.equal(formatPolicyText(src), 'path "secret/*" {\n  capabilities = ["create", "read"]\n}\n\npath "sys/mounts" {\n  policy = "read"\n}\n');
});

test('"=" is aligned across a run of one-line attributes, not across objects or comments', () => {
  const src = [
    'path "a" {',
    '  capabilities = ["read"]',
    '  min_wrapping_ttl = "1s"',
    '  allowed_parameters = { "*" = [] }',
    '  # separate group',
    '  max_wrapping_ttl = "1h"',
    '  required_parameters = ["x"]',
    '}',
  ].join('\n');
  assert.equal(
    formatPolicyText(src),
    [
      'path "a" {',
      '  capabilities     = ["read"]',
      '  min_wrapping_ttl = "1s"',
      '  allowed_parameters = {',
      '    "*" = []',
      '  }',
      '  # separate group',
      '  max_wrapping_ttl    = "1h"',
      '  required_parameters = ["x"]',
      '}',
      '',
    ].join('\n'),
  );
});

test('comments stay where they were: leading, trailing, before a closing brace, at the end', () => {
  const src = [
    '# header',
    'path "secret/*" { capabilities = ["read"] } # after the block',
    '/* block',
    '   comment */',
    'path "b" {',
    '  capabilities = ["list"] // why',
    '  # last words',
    '}',
    '# footer',
  ].join('\n');
  assert.equal(
    formatPolicyText(src),
    [
      '# header',
      'path "secret/*" {',
      '  capabilities = ["read"]',
      '} # after the block',
      '',
      '/* block',
      '   comment */',
      'path "b" {',
      '  capabilities = ["list"] // why',
      '  # last words',
      '}',
      '# footer',
      '',
    ].join('\n'),
  );
});

test('comment markers inside strings and heredocs are not comments', () => {
  const src = 'path "a/#/b//c" {\n  capabilities = ["read"]\n  comment      = "x # y { ["\n}\n';
  const layout = scanPolicySource(src);
  assert.deepEqual(layout.comments, []);
  assert.equal(layout.closeLines.get('1:17'), 4);
  assert.equal(formatPolicyText(src), src);
  const heredoc = 'path "a" {\n  capabilities = ["read"]\n  comment = <<EOT\n# not a comment }\nEOT\n}\n';
  assert.deepEqual(scanPolicySource(heredoc).comments, []);
  assert.equal(formatPolicyText(heredoc), heredoc);
});

test('JSON policies come out as HCL with the same meaning', () => {
  const src = '{"path": {"secret/*": {"capabilities": ["read"], "denied_parameters": {"x": ["a\\"b", 5]}}, "sys/*": {"policy": "deny"}}}';
  const out = formatPolicyText(src);
  assert.equal(out, 'path "secret/*" {\n  capabilities = ["read"]\n  denied_parameters = {\n    x = ["a\\"b", 5]\n  }\n}\n\npath "sys/*" {\n  policy = "deny"\n}\n');
  assert.deepEqual(parsePolicy('p', out).paths.map((p) => p.capabilities), parsePolicy('p', src).paths.map((p) => p.capabilities));
});

test('formatting is idempotent', () => {
  const src = '# c\npath "x/+/y" { capabilities = ["read", "update"] # t\n allowed_parameters = { "foo" = ["a*"], "*" = [] }\n}\nname = "ignored"\n';
  const once = formatPolicyText(src);
  assert.equal(formatPolicyText(once), once);
});

test('invalid policies throw the policy parser\'s error, naming the line', () => {
  assert.throws(() => formatPolicyText('path "a" {\n  capabilities = ["fly"]\n}\n'), (e: unknown) => e instanceof PolicyParseError && /invalid capability "fly" on line 2/.test(e.message));
  assert.throws(() => formatPolicyText('path "a" {'), PolicyParseError);
  assert.throws(() => formatPolicyText('secrets "a" {}'), /invalid key "secrets"/);
});

test('keys are quoted only when they would not read back as identifiers', () => {
  assert.equal(quoteHcl('a"b\\c\n'), '"a\\"b\\\\c\\n"');
  const out = formatPolicyText('path "a" {\n  allowed_parameters = { "plain" = [], "with space" = [], "*" = [], "true" = [] }\n}\n');
  assert.match(out, /\n {4}plain += \[\]\n {4}"with space" = \[\]\n {4}"\*" += \[\]\n {4}"true" += \[\]\n/);
});
