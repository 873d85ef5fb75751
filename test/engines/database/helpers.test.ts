/**
 * The database engine's pure parts: statement lists (splitting, base64, JSON, templating),
 * generated usernames and passwords, the expiration format, SCRAM verifiers, redaction.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, createHmac, pbkdf2Sync } from 'node:crypto';
import {
  dynamicUsername,
  formatExpiration,
  passwordFor,
  scramSha256Verifier,
} from '../../../src/engines/database/credentials.js';
import { maskUrlPassword, Redactor, urlPassword } from '../../../src/engines/database/redact.js';
import { parseStatements, quoteIdentifier, quoteLiteral, renderStatement, splitSql } from '../../../src/engines/database/statements.js';
import { isRoleAllowed, type DatabaseConfig } from '../../../src/engines/database/store.js';

test('statements split at top-level semicolons only', () => {
  assert.deepEqual(splitSql(' CREATE ROLE "a;b"; GRANT x TO y ;; '), ['CREATE ROLE "a;b"', 'GRANT x TO y']);
  assert.deepEqual(splitSql("SELECT 'it''s; fine'; SELECT 2"), ["SELECT 'it''s; fine'", 'SELECT 2']);
  const block = 'DO $body$ BEGIN PERFORM 1; PERFORM 2; END $body$';
  assert.deepEqual(splitSql(`${block}; SELECT 3`), [block, 'SELECT 3']);
  assert.deepEqual(splitSql('DO $$ BEGIN NULL; END $$;'), ['DO $$ BEGIN NULL; END $$']);
  assert.deepEqual(splitSql('SELECT 1 -- a; comment\n; /* x; /* nested; */ y */ SELECT 2'), ['SELECT 1 -- a; comment', '/* x; /* nested; */ y */ SELECT 2']);
  assert.deepEqual(splitSql('SELECT $1; SELECT 2'), ['SELECT $1', 'SELECT 2'], 'a positional parameter is not a dollar quote');
});

test('statement lists accept SQL, JSON arrays and base64 of either, as Vault', () => {
  const sql = 'CREATE ROLE "{{name}}"; GRANT r TO "{{name}}";';
  const expected = ['CREATE ROLE "{{name}}"', 'GRANT r TO "{{name}}"'];
  assert.deepEqual(parseStatements([sql]), expected);
  assert.deepEqual(parseStatements([Buffer.from(sql).toString('base64')]), expected);
  const json = JSON.stringify(['CREATE ROLE "{{name}}"', 'GRANT r TO "{{name}}"']);
  assert.deepEqual(parseStatements([json]), expected);
  assert.deepEqual(parseStatements([Buffer.from(json).toString('base64')]), expected);
  assert.deepEqual(parseStatements(['A;', 'B']), ['A', 'B'], 'list elements concatenate');
  assert.deepEqual(parseStatements(['ROLLBACK']), ['ROLLBACK'], 'a word that is not base64 of text stays SQL');
  assert.deepEqual(parseStatements(['', ' ; ']), []);
});

test('templating fills name, username, password and expiration; quoting doubles quotes', () => {
  const out = renderStatement('{{name}} {{ username }} {{password}} {{expiration}} {{other}}', { name: 'u', password: 'p', expiration: 'e' });
  assert.equal(out, 'u u p e {{other}}');
  assert.equal(renderStatement('{{password}}', { name: 'u' }), '{{password}}', 'absent values stay as written');
  assert.equal(renderStatement("PASSWORD '{{password}}' VALID UNTIL '{{expiration}}'", { name: 'u', password: "a'b", expiration: 'e' }), "PASSWORD 'a''b' VALID UNTIL 'e'", "a whole '...' literal doubles quotes");
  assert.equal(renderStatement("PASSWORD {{password}}", { name: 'u', password: "a'b" }), "PASSWORD a'b", 'elsewhere values go in as they are (as in Vault)');
  assert.equal(quoteIdentifier('a"b'), '"a""b"');
  assert.equal(quoteLiteral("it's"), "'it''s'");
});

test('dynamic usernames follow Vault default template and stay within 63 characters', () => {
  const now = Date.UTC(2026, 0, 1);
  const name = dynamicUsername('token', 'readonly', now);
  assert.match(name, /^v-token-readonly-[A-Za-z0-9]{20}-1767225600$/);
  const long = dynamicUsername('amuchlonger_dispname', 'role-name-with-dashes', now);
  assert.match(long, /^v-amuchlon-role-nam-[A-Za-z0-9]{20}-1767225600$/);
  const odd = dynamicUsername('oidc-"bob"@x', "r'1", now);
  assert.doesNotMatch(odd, /["'@]/, 'characters that could break a quoted statement are replaced');
  assert.ok(dynamicUsername('d'.repeat(40), 'r'.repeat(40), now).length <= 63);
  assert.notEqual(dynamicUsername('t', 'r', now), dynamicUsername('t', 'r', now));
});

/** A stored configuration with just the fields password generation reads. */
function pwConfig(passwordPolicy: string | undefined, passwordAuthentication: 'password' | 'scram-sha-256' = 'password'): DatabaseConfig {
  return { ...(passwordPolicy !== undefined ? { passwordPolicy } : {}), connection: { passwordAuthentication } } as unknown as DatabaseConfig;
}

test('passwords follow Vault default policy without a password_policy (and for configs stored before it existed)', async () => {
  const seen = new Set<string>();
  for (let i = 0; i < 200; i++) {
    const pw = await passwordFor(pwConfig(i % 2 === 0 ? '' : undefined), undefined);
    assert.match(pw, /^[A-Za-z0-9-]{20}$/);
    assert.match(pw, /[a-z]/);
    assert.match(pw, /[A-Z]/);
    assert.match(pw, /[0-9]/);
    assert.match(pw, /-/);
    seen.add(pw);
  }
  assert.equal(seen.size, 200);
});

test('a named password_policy is asked of the store; missing or non-ASCII-for-SCRAM policies are refused', async () => {
  const asked: string[] = [];
  const store = async (name: string): Promise<string | undefined> => {
    asked.push(name);
    return name === 'digits' ? '0123456789' : name === 'greek' ? 'αβγδεζηθικ' : undefined;
  };
  assert.equal(await passwordFor(pwConfig('digits'), store), '0123456789');
  assert.deepEqual(asked, ['digits']);
  await assert.rejects(passwordFor(pwConfig('gone'), store), /password policy "gone" does not exist/);
  assert.equal(await passwordFor(pwConfig('greek'), store), 'αβγδεζηθικ', 'non-ASCII is fine with plain password authentication');
  await assert.rejects(passwordFor(pwConfig('greek', 'scram-sha-256'), store), /outside printable ASCII/);
  await assert.rejects(passwordFor(pwConfig('digits'), undefined), /no password policy store/);
});

test('expiration renders as Vault PostgreSQL plugin does (UTC, +0000)', () => {
  assert.equal(formatExpiration(Date.UTC(2026, 10, 26, 9, 5, 7, 999)), '2026-11-26 09:05:07+0000');
});

test('SCRAM-SHA-256 verifiers are PostgreSQL-shaped and derived from the password', () => {
  const salt = Buffer.alloc(16, 7);
  const v = scramSha256Verifier('pencil', salt);
  const m = /^SCRAM-SHA-256\$4096:([A-Za-z0-9+/=]+)\$([A-Za-z0-9+/=]+):([A-Za-z0-9+/=]+)$/.exec(v);
  assert.ok(m, v);
  assert.equal(Buffer.from(m[1]!, 'base64').toString('hex'), salt.toString('hex'));
  const salted = pbkdf2Sync('pencil', salt, 4096, 32, 'sha256');
  const stored = createHash('sha256').update(createHmac('sha256', salted).update('Client Key').digest()).digest();
  assert.equal(m[2], stored.toString('base64'));
  assert.notEqual(scramSha256Verifier('pencil'), scramSha256Verifier('pencil'), 'random salt');
});

test('redaction masks secrets in every encoding and URL passwords', () => {
  const r = new Redactor(['p@ss/word']);
  const text = 'failed for postgres://admin:p%40ss%2Fword@db:5432/x and p@ss/word';
  const out = r.apply(text);
  assert.doesNotMatch(out, /p@ss|p%40ss/);
  assert.match(out, /postgres:\/\/admin:\*\*\*\*\*@db:5432\/x/);
  assert.equal(maskUrlPassword('postgres://{{username}}:{{password}}@h/db'), 'postgres://{{username}}:{{password}}@h/db');
  assert.equal(maskUrlPassword('postgresql://u:secret@h/db?sslmode=disable'), 'postgresql://u:*****@h/db?sslmode=disable');
  assert.equal(urlPassword('postgres://u:s%23cret@h/db'), 's#cret');
  assert.equal(urlPassword('postgres://{{username}}:{{password}}@h/db'), undefined);
  assert.equal(urlPassword('postgres://h/db'), undefined);
  const agg = new AggregateError([new Error('connect ECONNREFUSED ::1:1'), new Error('connect ECONNREFUSED 127.0.0.1:1')], '');
  assert.equal(new Redactor().message(agg), 'connect ECONNREFUSED ::1:1; connect ECONNREFUSED 127.0.0.1:1');
});

test('allowed_roles accepts names, "*" and globs', () => {
  const config = (allowedRoles: string[]): DatabaseConfig =>
    ({ allowedRoles } as unknown as DatabaseConfig);
  assert.equal(isRoleAllowed(config([]), 'a'), false);
  assert.equal(isRoleAllowed(config(['*']), 'a'), true);
  assert.equal(isRoleAllowed(config(['dev-*']), 'dev-app'), true);
  assert.equal(isRoleAllowed(config(['dev-*']), 'prod'), false);
  assert.equal(isRoleAllowed(config(['a.b']), 'axb'), false, 'dots are literal');
});
