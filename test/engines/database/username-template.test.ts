/** Vault's username_template language: Vault's functions, Go's pipelines and printf, and errors at parse time. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { UsernameTemplate, UsernameTemplateError, formatGoTime } from '../../../src/engines/database/username-template.js';

const NOW = Date.UTC(2026, 10, 27, 22, 5, 9, 42); // 2026-11-27T22:05:09.042Z
const FIELDS = { DisplayName: 'token-Alice.Smith', RoleName: 'readonly-analytics' };
const render = (text: string): string => UsernameTemplate.parse(text).render(FIELDS, NOW);

test("Vault's default PostgreSQL template renders its documented shape", () => {
  const t = '{{ printf "v-%s-%s-%s-%s" (.DisplayName | truncate 8) (.RoleName | truncate 8) (random 20) (unix_time) | truncate 63 }}';
  const a = render(t);
  assert.match(a, /^v-token-Al-readonly-[A-Za-z0-9]{20}-1795817109$/);
  assert.notEqual(render(t), a, 'random differs per render');
});

test("Vault's functions", () => {
  assert.equal(render('{{.RoleName | truncate 8}}'), 'readonly');
  assert.equal(render('{{.RoleName | uppercase}}-{{ .DisplayName | lowercase }}'), 'READONLY-ANALYTICS-token-alice.smith');
  assert.equal(render('{{.DisplayName | replace "." "_" | replace "-" "_"}}'), 'token_Alice_Smith');
  assert.equal(render('{{.RoleName | sha256}}'), createHash('sha256').update('readonly-analytics').digest('hex'));
  assert.equal(render('{{.RoleName | base64}}'), Buffer.from('readonly-analytics').toString('base64'));
  assert.equal(render('{{unix_time}}/{{unix_time_millis}}'), '1795817109/1795817109042');
  assert.equal(render('{{timestamp "2006-01-02T15:04:05Z07:00"}}'), '2026-11-27T22:05:09Z');
  assert.match(render('{{uuid}}'), /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  assert.match(render('{{random 12}}'), /^[A-Za-z0-9]{12}$/);
  // truncate_sha256: the first max-8 characters, then 8 hex digits of the SHA-256 of the rest.
  const cut = createHash('sha256').update('ly-analytics').digest('hex').slice(0, 8);
  assert.equal(render('{{.RoleName | truncate_sha256 14}}'), `readon${cut}`);
  assert.equal(render('{{.RoleName | truncate_sha256 40}}'), 'readonly-analytics', 'short enough: unchanged');
});

test('text around actions, trimming markers, printf verbs and nested parentheses', () => {
  assert.equal(render('app_{{.RoleName | truncate 4}}_x'), 'app_read_x');
  assert.equal(render('a  {{- "b" -}}  c'), 'abc');
  assert.equal(render('{{ printf "%s:%d:%q:%%" "x" 42 "y" }}'), 'x:42:"y":%');
  assert.equal(render('{{ printf "%s" (printf "%s-%s" (.RoleName | truncate 2) ("zz" | uppercase)) }}'), 're-ZZ');
  assert.equal(render('{{ `raw\\n` }}'), 'raw\\n');
  assert.equal(render('no actions at all'), 'no actions at all');
});

test('Go time layouts', () => {
  assert.equal(formatGoTime('20060102150405', NOW), '20261127220509');
  assert.equal(formatGoTime('Mon Jan _2 03:04:05 PM MST 2006', NOW), 'Fri Nov 27 10:05:09 PM UTC 2026');
  assert.equal(formatGoTime('2006-01-02 15:04:05.000 -0700', NOW), '2026-11-27 22:05:09.042 +0000');
});

test('mistakes are refused when the template is parsed', () => {
  const refused = (text: string, message: RegExp): void => {
    assert.throws(() => UsernameTemplate.parse(text), (err: unknown) => err instanceof UsernameTemplateError && message.test(err.message), text);
  };
  refused('{{ .RoleName', /unclosed action/);
  refused('{{ nope 3 }}', /function "nope" not defined/);
  refused('{{ .Secret }}', /unknown field \.Secret/);
  refused('{{ .RoleName 3 }}', /can't give argument to non-function/);
  refused('{{ "a" | "b" }}', /can't give argument to non-function/);
  refused('{{ truncate 3 }}', /wrong number of args for truncate: want 2 got 1/);
  refused('{{ .RoleName | random 3 }}', /wrong number of args for random: want 1 got 2/);
  refused('{{ printf }}', /want at least 1/);
  refused('{{ (.RoleName }}', /unclosed "\("/);
  refused('{{ | lowercase }}', /missing command/);
  refused('{{ "open }}', /unterminated string/);
  refused('{{ $x := 1 }}', /unexpected "\$"/);
});

test('argument errors surface when rendering', () => {
  assert.throws(() => render('{{ .RoleName | truncate_sha256 8 }}'), /max length must be > 8 but was 8/);
  assert.throws(() => render('{{ .RoleName | truncate 0 }}'), /max length must be > 0 but was 0/);
  assert.throws(() => render('{{ truncate "x" .RoleName }}'), /expected an integer/);
});
