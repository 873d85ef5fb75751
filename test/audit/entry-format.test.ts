/** The entry formatter and the line writer on their own: raw bodies, nested data, batching. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildEntry, type EntryFormat, type LogInput } from '../../src/audit/entry.js';
import { Hasher, hashStructure, identity } from '../../src/audit/hasher.js';
import { LineWriter } from '../../src/audit/line-writer.js';
import { PermissionDeniedError } from '../../src/errors.js';
import type { Request } from '../../src/logical/request.js';

const hasher = new Hasher(Buffer.alloc(32, 7));
const fmt: EntryFormat = { hash: hasher.hash, hashAccessor: hasher.hash, elideListResponses: false };
const req = (over: Partial<Request> = {}): Request => ({ id: 'r1', operation: 'read', path: 'sys/metrics', data: {}, clientToken: '', headers: {}, wrapTTL: 0, remoteAddr: '', ...over });
const input = (over: Partial<LogInput> = {}): LogInput => ({ request: req(), auditedHeaders: new Map(), ...over });

test('hashStructure: strings hashed at every depth, other types kept, skipped keys kept whole', () => {
  const out = hashStructure({ a: 's', n: 3, b: true, z: null, list: ['x', 1, { deep: 'y' }], keep: { inner: 'plain' }, when: new Date(0) }, hasher.hash, new Set(['keep'])) as Record<string, any>;
  assert.equal(out['a'], hasher.hash('s'));
  assert.equal(out['n'], 3);
  assert.equal(out['b'], true);
  assert.equal(out['z'], null);
  assert.deepEqual(out['list'], [hasher.hash('x'), 1, { deep: hasher.hash('y') }]);
  assert.deepEqual(out['keep'], { inner: 'plain' });
  assert.equal(out['when'], hasher.hash('1970-01-01T00:00:00.000Z'));
  assert.match(hasher.hash('s'), /^hmac-sha256:[0-9a-f]{64}$/);
  assert.equal(identity('s'), 's');
});

test('raw responses: text bodies as Vault logs them, JSON objects as data', () => {
  const text = buildEntry('response', input({ response: { raw: { status: 200, body: 'metric 1\n', contentType: 'text/plain' } } }), 'T', fmt);
  assert.deepEqual(text['response'], { data: { http_status_code: 200, http_content_type: 'text/plain', http_raw_body: hasher.hash('metric 1\n') } });
  const obj = buildEntry('response', input({ response: { raw: { status: 200, body: { keys: ['k'] } } } }), 'T', fmt);
  assert.deepEqual(obj['response'], { data: { keys: [hasher.hash('k')] } });
  const empty = buildEntry('response', input({ response: undefined }), 'T', fmt);
  assert.deepEqual(empty['response'], {});
  const err = buildEntry('request', input({ error: new PermissionDeniedError() }), 'T', fmt);
  assert.equal(err['error'], 'permission denied');
  const internal = buildEntry('request', input({ error: new Error('secret detail') }), 'T', fmt);
  assert.equal(internal['error'], 'internal error', 'non-Arca errors are never described');
});

test('line writer: lines arriving during a write go out together; a failed batch fails each line', async () => {
  const writes: string[] = [];
  let fail = false;
  let release: (() => void) | undefined;
  const w = new LineWriter(async (bytes) => {
    writes.push(bytes.toString());
    if (writes.length === 1) await new Promise<void>((r) => (release = r));
    if (fail) throw new Error('disk gone');
  });
  const first = w.write(Buffer.from('a\n'));
  const second = w.write(Buffer.from('b\n'));
  const third = w.write(Buffer.from('c\n'));
  await new Promise((r) => setImmediate(r));
  release!();
  await Promise.all([first, second, third]);
  assert.deepEqual(writes, ['a\n', 'b\nc\n']);
  fail = true;
  await assert.rejects(w.write(Buffer.from('d\n')), /disk gone/);
  let ran = false;
  await w.exclusive(async () => {
    ran = true;
  });
  assert.ok(ran);
});
