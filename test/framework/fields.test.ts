import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BadRequestError } from '../../src/errors.js';
import { coerce, parseFields, type FieldSchemas, type FieldType } from '../../src/framework/index.js';

function convert(type: FieldType, raw: unknown): unknown {
  return coerce(type, raw);
}

function conversionError(type: FieldType, raw: unknown, name = 'f'): string {
  const schemas: FieldSchemas = { [name]: { type, description: '' } };
  try {
    parseFields(schemas, { [name]: raw }, {});
  } catch (err) {
    assert.ok(err instanceof BadRequestError, `expected BadRequestError, got ${String(err)}`);
    assert.equal(err.status, 400);
    return err.message;
  }
  assert.fail(`expected ${JSON.stringify(raw)} to be rejected as ${type}`);
}

test('string: strings as is, numbers and bools stringified, objects rejected', () => {
  assert.equal(convert('string', 'abc'), 'abc');
  assert.equal(convert('string', 5), '5');
  assert.equal(convert('string', true), 'true');
  assert.match(conversionError('string', { a: 1 }), /expected type 'string', got unconvertible type 'map\[string\]interface \{\}'/);
  assert.equal(convert('lowercase-string', 'MiXeD'), 'mixed');
});

test('name: Vault name rules', () => {
  assert.equal(convert('name', 'my-role.v2'), 'my-role.v2');
  assert.equal(convert('name', 'a'), 'a');
  for (const bad of ['-x', 'x-', 'a/b', '', 'has space']) {
    assert.match(conversionError('name', bad), /field does not match the formatting rules/);
  }
});

test('int: numbers, numeric strings, empty string, bools; errors in Vault style', () => {
  assert.equal(convert('int', 5), 5);
  assert.equal(convert('int', '5'), 5);
  assert.equal(convert('int', '-12'), -12);
  assert.equal(convert('int', ''), 0);
  assert.equal(convert('int', true), 1);
  assert.equal(
    conversionError('int', 'abc', 'max_versions'),
    'error converting input abc for field "max_versions": strconv.ParseInt: parsing "abc": invalid syntax',
  );
  assert.match(conversionError('int', 1.5), /parsing "1.5": invalid syntax/);
  assert.match(conversionError('int', '99999999999999999999'), /value out of range/);
  assert.match(conversionError('int', [1]), /unconvertible type '\[\]interface \{\}'/);
});

test('float', () => {
  assert.equal(convert('float', '1.5'), 1.5);
  assert.equal(convert('float', 2), 2);
  assert.match(conversionError('float', 'x'), /strconv.ParseFloat: parsing "x": invalid syntax/);
});

test('bool: Go ParseBool spellings, numbers', () => {
  for (const t of [true, 'true', 'TRUE', 'True', 't', 'T', '1', 1]) assert.equal(convert('bool', t), true, String(t));
  for (const f of [false, 'false', 'FALSE', 'f', '0', 0, '']) assert.equal(convert('bool', f), false, String(f));
  assert.equal(conversionError('bool', 'maybe', 'x'), 'error converting input maybe for field "x": strconv.ParseBool: parsing "maybe": invalid syntax');
});

test('duration: seconds from numbers, numeric strings and Go durations', () => {
  assert.equal(convert('duration', 90), 90);
  assert.equal(convert('duration', '90'), 90);
  assert.equal(convert('duration', '90s'), 90);
  assert.equal(convert('duration', '1h'), 3600);
  assert.equal(convert('duration', '1h30m'), 5400);
  assert.equal(convert('duration', '2d'), 172800);
  assert.equal(
    conversionError('duration', 'abc', 'ttl'),
    'error converting input abc for field "ttl": time: invalid duration "abc"',
  );
  assert.match(conversionError('duration', true), /expected a duration/);
});

test('map: objects only', () => {
  assert.deepEqual(convert('map', { a: 1, b: { c: 2 } }), { a: 1, b: { c: 2 } });
  assert.match(conversionError('map', 'x'), /expected a map, got 'string'/);
  assert.match(conversionError('map', [1]), /expected a map/);
});

test('string-map: map of strings or k=v pairs (no comma splitting, as Vault TypeKVPairs)', () => {
  assert.deepEqual(convert('string-map', { a: 'x', n: 5, b: true }), { a: 'x', n: '5', b: 'true' });
  assert.deepEqual(convert('string-map', ['a=1', 'b=x=y']), { a: '1', b: 'x=y' });
  assert.deepEqual(convert('string-map', 'k=v,k2=v2'), { k: 'v,k2=v2' });
  assert.match(conversionError('string-map', ['novalue']), /invalid key pair "novalue"/);
  assert.match(conversionError('string-map', { a: { nested: 1 } }), /unconvertible type/);
  const withProto = convert('string-map', JSON.parse('{"__proto__":"x"}')) as Record<string, string>;
  assert.equal(Object.getPrototypeOf(withProto), Object.prototype);
  assert.deepEqual(Object.keys(withProto), ['__proto__']);
});

test('string-slice: arrays, a single string becomes [s]', () => {
  assert.deepEqual(convert('string-slice', ['a', 'b']), ['a', 'b']);
  assert.deepEqual(convert('string-slice', 'a,b'), ['a,b']);
  assert.deepEqual(convert('string-slice', [1, 'x']), ['1', 'x']);
  assert.deepEqual(convert('string-slice', ''), []);
});

test('comma-string-slice: split and trimmed', () => {
  assert.deepEqual(convert('comma-string-slice', 'a, b ,c'), ['a', 'b', 'c']);
  assert.deepEqual(convert('comma-string-slice', [' a ', 'b']), ['a', 'b']);
  assert.deepEqual(convert('comma-string-slice', ''), []);
});

test('comma-int-slice: arrays, comma strings, single numbers', () => {
  assert.deepEqual(convert('comma-int-slice', [1, '2']), [1, 2]);
  assert.deepEqual(convert('comma-int-slice', '1, 2,3'), [1, 2, 3]);
  assert.deepEqual(convert('comma-int-slice', 4), [4]);
  assert.deepEqual(convert('comma-int-slice', ''), []);
  assert.match(conversionError('comma-int-slice', '1,x'), /parsing "x": invalid syntax/);
});

test('header: canonical names, string or list values, JSON or base64 JSON strings', () => {
  assert.deepEqual(convert('header', { 'x-vault-token': 'a', accept: ['b', 'c'] }), {
    'X-Vault-Token': ['a'],
    Accept: ['b', 'c'],
  });
  assert.deepEqual(convert('header', '{"content-type":"json"}'), { 'Content-Type': ['json'] });
  const b64 = Buffer.from('{"x-a":["1"]}').toString('base64');
  assert.deepEqual(convert('header', b64), { 'X-A': ['1'] });
  assert.match(conversionError('header', 5), /expected a map/);
});

test('time: RFC3339 or epoch seconds, to epoch milliseconds', () => {
  assert.equal(convert('time', '2026-01-01T00:00:00Z'), Date.UTC(2026, 0, 1));
  assert.equal(convert('time', '2026-01-01T01:00:00+01:00'), Date.UTC(2026, 0, 1));
  assert.equal(convert('time', 1700000000), 1700000000000);
  assert.equal(convert('time', '1700000000'), 1700000000000);
  assert.match(conversionError('time', 'yesterday'), /parsing time "yesterday"/);
});

test('parseFields: null is absent, defaults and zero values, captures win over body', () => {
  const schemas = {
    ttl: { type: 'duration', description: '', default: 60 },
    count: { type: 'int', description: '' },
    tags: { type: 'comma-string-slice', description: '' },
    name: { type: 'string', description: '' },
  } as const;
  const { fields, unknown } = parseFields(schemas, { ttl: null, count: '3', name: 'from-body', extra: 1, also: 2 }, { name: 'from-url' });
  assert.equal(fields.get('ttl'), 60);
  assert.equal(fields.getOk('ttl'), undefined);
  assert.equal(fields.has('ttl'), false);
  assert.equal(fields.get('count'), 3);
  assert.deepEqual(fields.get('tags'), []);
  assert.equal(fields.getOk('tags'), undefined);
  assert.equal(fields.get('name'), 'from-url');
  assert.deepEqual(unknown, ['also', 'extra']);
});

test('parseFields: a sensitive field never echoes its input', () => {
  const schemas = { data: { type: 'map', description: '', sensitive: true } } as const;
  assert.throws(
    () => parseFields(schemas, { data: 'hunter2-secret' }, {}),
    (err: unknown) =>
      err instanceof BadRequestError &&
      !err.message.includes('hunter2') &&
      err.message === `error converting input <redacted> for field "data": expected a map, got 'string'`,
  );
});

test('parseFields: a field default is copied, never shared between requests', () => {
  const schemas = { list: { type: 'string-slice', description: '', default: ['a'] } } as const;
  const first = parseFields(schemas, {}, {}).fields.get('list');
  first.push('mutated');
  assert.deepEqual(parseFields(schemas, {}, {}).fields.get('list'), ['a']);
});
