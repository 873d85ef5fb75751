import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HclSyntaxError, findBlocks, parseConfigText, parseHCL } from '../../src/config/hcl.js';

interface Case {
  readonly name: string;
  readonly text: string;
  readonly line: number;
  readonly column: number;
  readonly reason: RegExp;
}

const HCL_CASES: readonly Case[] = [
  {
    name: 'key without = or {',
    text: 'ui = true\n\nlistener\n',
    line: 4,
    column: 1,
    reason: /^expected '=' or '\{' after key "listener"$/,
  },
  {
    name: 'block labels without a brace',
    text: 'storage "sqlite" {\n  path = "/x"\n}\nlistener "tcp"\n  address = "127.0.0.1:8200"\n',
    line: 5,
    column: 3,
    reason: /expected '\{' to open block "listener"/,
  },
  { name: 'attribute without a value', text: 'a = 1\nb =\n', line: 3, column: 1, reason: /expected a value, found end of input/ },
  { name: 'list without commas', text: 'v = [\n  "a"\n  "b"\n]', line: 3, column: 3, reason: /expected ',' or '\]' in the list opened at 1:5/ },
  { name: 'unterminated string', text: 'a = "ok"\nb = "never closed\nc = 1', line: 2, column: 5, reason: /string literal not terminated/ },
  { name: 'unclosed block', text: 'path "a" {\n  capabilities = ["read"]\n', line: 3, column: 1, reason: /expected '\}' to close the object opened at 1:10, found end of input/ },
  { name: 'stray closing brace', text: 'a = 1\n}\n', line: 2, column: 1, reason: /expected a key, found '\}'/ },
  { name: 'bare identifier value', text: 'x {\n  y = maybe\n}', line: 2, column: 7, reason: /unexpected identifier "maybe"/ },
  { name: 'invalid escape', text: 'a = "tab\\qx"', line: 1, column: 9, reason: /invalid escape sequence '\\q'/ },
  { name: 'short unicode escape', text: '\n a = "\\u12"', line: 2, column: 7, reason: /invalid \\u escape/ },
  { name: 'unterminated heredoc', text: 'p = <<EOT\npath "x" {}\n', line: 1, column: 5, reason: /heredoc not terminated \(expected a line "EOT"\)/ },
  { name: 'heredoc marker not followed by newline', text: 'p = <<EOT x\nEOT', line: 1, column: 5, reason: /heredoc marker must be followed by a newline/ },
  { name: 'unterminated block comment', text: 'a = 1\n  /* open\n', line: 2, column: 3, reason: /comment not terminated/ },
  { name: 'unit-suffixed number', text: 'ttl = 10s', line: 1, column: 7, reason: /invalid number literal/ },
  { name: 'leading zeros', text: 'mode = 0755', line: 1, column: 8, reason: /leading zeros/ },
  { name: 'unexpected character', text: 'a = 1\nb = @', line: 2, column: 5, reason: /unexpected character '@'/ },
  { name: 'control character', text: 'a\u0001 = 1', line: 1, column: 2, reason: /unexpected character U\+0001/ },
  { name: 'labels then =', text: 'a "b" = 1', line: 1, column: 7, reason: /expected '\{' to open block "a"/ },
  { name: 'string interpolation not closed', text: 'a = "${x"', line: 1, column: 5, reason: /interpolation not terminated/ },
  { name: 'too deep', text: 'a = ' + '['.repeat(150), line: 1, column: 105, reason: /nesting deeper than 100 levels/ },
];

for (const c of HCL_CASES) {
  test(`HCL error: ${c.name}`, () => {
    assert.throws(
      () => parseHCL(c.text),
      (err: unknown) => {
        assert.ok(err instanceof HclSyntaxError, `not an HclSyntaxError: ${String(err)}`);
        assert.deepEqual([err.line, err.column], [c.line, c.column], err.message);
        assert.match(err.reason, c.reason);
        assert.equal(err.message, `At ${c.line}:${c.column}: ${err.reason}`);
        return true;
      },
    );
  });
}

const JSON_CASES: readonly Case[] = [
  { name: 'missing value', text: '{\n  "ui": \n}', line: 3, column: 1, reason: /expected a value, found '\}'/ },
  { name: 'missing comma', text: '{\n  "a": 1\n  "b": 2\n}', line: 3, column: 3, reason: /expected ',' or '\}' in object/ },
  { name: 'unquoted key', text: '{\n  ui: true\n}', line: 2, column: 3, reason: /expected a quoted key/ },
  { name: 'trailing comma in array', text: '{"a": [1,\n]}', line: 2, column: 1, reason: /expected a value, found '\]'/ },
  { name: 'top level not an object', text: '[1]', line: 1, column: 1, reason: /must be an object/ },
  { name: 'unterminated string', text: '{\n"a": "b\n}', line: 2, column: 8, reason: /control character in string/ },
  { name: 'content after the object', text: '{}\n{}', line: 2, column: 1, reason: /unexpected content/ },
];

for (const c of JSON_CASES) {
  test(`JSON error: ${c.name}`, () => {
    assert.throws(
      () => parseConfigText(c.text, 'config.json'),
      (err: unknown) => {
        assert.ok(err instanceof HclSyntaxError, `not an HclSyntaxError: ${String(err)}`);
        assert.deepEqual([err.line, err.column], [c.line, c.column], err.message);
        assert.match(err.reason, c.reason);
        return true;
      },
    );
  });
}

test('block shape errors point at the offending item', () => {
  const cases: [string, number, number, RegExp][] = [
    ['\nstorage {\n  path = "x"\n}', 2, 1, /block "storage" needs 1 label$/],
    ['storage "a" "b" {}', 1, 1, /needs 1 label, found 2/],
    ['storage = "sqlite"', 1, 11, /block "storage" needs 1 label/],
    ['storage = { sqlite = "x" }', 1, 22, /"storage" must be a block/],
  ];
  for (const [text, line, column, reason] of cases) {
    assert.throws(
      () => findBlocks(parseHCL(text), 'storage', 1),
      (err: unknown) => err instanceof HclSyntaxError && err.line === line && err.column === column && reason.test(err.reason),
      text,
    );
  }
});

test('error messages never quote string contents', () => {
  const secret = 'hunter2-very-secret';
  const texts = [
    `password "${secret}"\n`,
    `password = "${secret}\n`,
    `password = "${secret}\\q"`,
    `password = ["${secret}" "${secret}"]`,
  ];
  for (const text of texts) {
    assert.throws(
      () => parseHCL(text),
      (err: unknown) => err instanceof HclSyntaxError && !err.message.includes(secret),
      text,
    );
  }
});
