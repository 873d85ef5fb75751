/**
 * Response and error rendering: the pure functions field by field, then the same answers as a
 * client receives them through a real listener.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  InternalError,
  NotFoundError,
  PermissionDeniedError,
  ReadOnlyError,
  SealedError,
  BadRequestError,
} from '../../src/errors.js';
import type { AuthBlock, Request, Response } from '../../src/logical/request.js';
import { renderEnvelope, renderError, renderResponse } from '../../src/http/render.js';
import { echo, MemoryLogger, rawExchange, send, startTestServer, type TestServer } from './helpers.js';

function request(overrides: Partial<Request> = {}): Request {
  return {
    id: '6a3c3b2e-1111-4222-8333-944445555666',
    operation: 'read',
    path: 'secret/foo',
    data: {},
    clientToken: 'hvs.secret-token',
    headers: {},
    wrapTTL: 0,
    remoteAddr: '127.0.0.1',
    ...overrides,
  };
}

const auth: AuthBlock = {
  clientToken: 'hvs.CAES',
  accessor: 'acc-1',
  policies: ['default', 'dev'],
  tokenPolicies: ['default', 'dev'],
  metadata: { username: 'alice' },
  leaseDuration: 2764800,
  renewable: true,
  entityId: 'ent-1',
  tokenType: 'service',
  orphan: true,
};

describe('render (pure)', () => {
  it('envelope of a plain read: every field present, Vault order and null/"" conventions', () => {
    const env = renderEnvelope(request({ mountType: 'kv' }), { data: { foo: 'bar' } });
    assert.deepEqual(Object.keys(env), [
      'request_id',
      'lease_id',
      'renewable',
      'lease_duration',
      'data',
      'wrap_info',
      'warnings',
      'auth',
      'mount_type',
    ]);
    assert.deepEqual(env, {
      request_id: '6a3c3b2e-1111-4222-8333-944445555666',
      lease_id: '',
      renewable: false,
      lease_duration: 0,
      data: { foo: 'bar' },
      wrap_info: null,
      warnings: null,
      auth: null,
      mount_type: 'kv',
    });
  });

  it('a secret lease fills lease_id, renewable and lease_duration; warnings are listed', () => {
    const env = renderEnvelope(request(), {
      data: { username: 'u' },
      secret: { leaseId: 'database/creds/ro/abc', ttl: 3600, renewable: true, internalData: { hidden: 1 } },
      warnings: ['TTL capped'],
    });
    assert.equal(env['lease_id'], 'database/creds/ro/abc');
    assert.equal(env['renewable'], true);
    assert.equal(env['lease_duration'], 3600);
    assert.deepEqual(env['warnings'], ['TTL capped']);
    assert.equal(JSON.stringify(env).includes('hidden'), false, 'internalData is never rendered');
  });

  it('auth block: Vault field names and order; empty policy lists omitted; empty metadata null', () => {
    const env = renderEnvelope(request(), { auth });
    assert.equal(env['data'], null);
    assert.deepEqual(env['auth'], {
      client_token: 'hvs.CAES',
      accessor: 'acc-1',
      policies: ['default', 'dev'],
      token_policies: ['default', 'dev'],
      metadata: { username: 'alice' },
      lease_duration: 2764800,
      renewable: true,
      entity_id: 'ent-1',
      token_type: 'service',
      orphan: true,
      mfa_requirement: null,
      num_uses: 0,
    });
    assert.deepEqual(Object.keys(env['auth'] as object), [
      'client_token',
      'accessor',
      'policies',
      'token_policies',
      'metadata',
      'lease_duration',
      'renewable',
      'entity_id',
      'token_type',
      'orphan',
      'mfa_requirement',
      'num_uses',
    ]);
    const bare = renderEnvelope(request(), {
      auth: { ...auth, tokenPolicies: [], identityPolicies: ['group-pol'], metadata: {}, numUses: 3, tokenType: 'batch' },
    })['auth'] as Record<string, unknown>;
    assert.equal('token_policies' in bare, false);
    assert.deepEqual(bare['identity_policies'], ['group-pol']);
    assert.equal(bare['metadata'], null);
    assert.equal(bare['num_uses'], 3);
    assert.equal(bare['token_type'], 'batch');
  });

  it('a wrapped response carries only wrap_info', () => {
    const env = renderEnvelope(request({ mountType: 'kv' }), {
      data: { must: 'not show' },
      wrapInfo: {
        token: 'hvs.wrap',
        accessor: 'wacc',
        ttl: 300,
        creationTime: '2026-01-01T00:00:00.123456789Z',
        creationPath: 'secret/foo',
        wrappedAccessor: 'inner-acc',
      },
    });
    assert.deepEqual(env, {
      request_id: '',
      lease_id: '',
      renewable: false,
      lease_duration: 0,
      data: null,
      wrap_info: {
        token: 'hvs.wrap',
        accessor: 'wacc',
        ttl: 300,
        creation_time: '2026-01-01T00:00:00.123456789Z',
        creation_path: 'secret/foo',
        wrapped_accessor: 'inner-acc',
      },
      warnings: null,
      auth: null,
      mount_type: '',
    });
    const noInner = renderEnvelope(request(), {
      wrapInfo: { token: 't', accessor: 'a', ttl: 1, creationTime: 'c', creationPath: 'p' },
    });
    assert.equal('wrapped_accessor' in (noInner['wrap_info'] as object), false);
  });

  it('no response: 404 {"errors":[]} for read and list, 204 otherwise', () => {
    for (const operation of ['read', 'list'] as const) {
      const r = renderResponse(request({ operation }), undefined);
      assert.equal(r.status, 404);
      assert.equal(r.body?.toString(), '{"errors":[]}');
      assert.equal(r.headers['Content-Type'], 'application/json');
      assert.equal(r.headers['Cache-Control'], 'no-store');
    }
    for (const operation of ['update', 'create', 'delete', 'patch', 'help'] as const) {
      const r = renderResponse(request({ operation }), undefined);
      assert.equal(r.status, 204, operation);
      assert.equal(r.body, undefined);
    }
  });

  it('an empty response is 204 (even for a read); data {} is content', () => {
    assert.equal(renderResponse(request(), {}).status, 204);
    assert.equal(renderResponse(request({ operation: 'update' }), { warnings: [] }).status, 204);
    const withHeaders = renderResponse(request({ operation: 'update' }), { headers: { 'X-Vault-Index': 'i1' } });
    assert.equal(withHeaders.status, 204);
    assert.equal(withHeaders.headers['X-Vault-Index'], 'i1');
    assert.equal(renderResponse(request(), { data: {} }).status, 200);
    assert.equal(renderResponse(request({ operation: 'update' }), { warnings: ['w'] }).status, 200);
  });

  it('raw responses are written verbatim', () => {
    const obj = renderResponse(request(), { raw: { status: 429, body: { standby: true } } });
    assert.equal(obj.status, 429);
    assert.equal(obj.body?.toString(), '{"standby":true}');
    assert.equal(obj.headers['Content-Type'], 'application/json');
    const text = renderResponse(request(), { raw: { status: 200, body: '# metrics\n', contentType: 'text/plain; version=0.0.4' } });
    assert.equal(text.body?.toString(), '# metrics\n');
    assert.equal(text.headers['Content-Type'], 'text/plain; version=0.0.4');
    const bin = renderResponse(request(), { raw: { status: 200, body: Buffer.from([0, 1, 2]) } });
    assert.deepEqual([...bin.body!], [0, 1, 2]);
    assert.equal(bin.headers['Content-Type'], 'application/octet-stream');
    const none = renderResponse(request(), { raw: { status: 204, body: undefined } });
    assert.equal(none.status, 204);
    assert.equal(none.body, undefined);
    assert.throws(() => renderResponse(request(), { raw: { status: 42, body: 'x' } }));
  });

  it('ArcaErrors render their status and messages; 404 NotFound is {"errors":[]}', () => {
    const log = new MemoryLogger();
    const cases: [Error, number, readonly string[]][] = [
      [new BadRequestError('missing field "x"'), 400, ['missing field "x"']],
      [new PermissionDeniedError(), 403, ['permission denied']],
      [new NotFoundError(), 404, []],
      [new SealedError(), 503, ['Vault is sealed']],
      [new ReadOnlyError(), 500, ['cannot write to readonly storage']],
    ];
    for (const [err, status, errors] of cases) {
      const r = renderError(err, log);
      assert.equal(r.status, status);
      assert.deepEqual(JSON.parse(r.body!.toString()), { errors });
      assert.equal(r.headers['Content-Type'], 'application/json');
    }
  });

  it('unknown errors are a bare 500; the detail and stack go to the log only', () => {
    const log = new MemoryLogger();
    const r = renderError(new TypeError('db password is hunter2'), log, { requestId: 'r1', path: 'x' });
    assert.equal(r.status, 500);
    assert.equal(r.body?.toString(), '{"errors":["internal error"]}');
    assert.match(log.text(), /hunter2/);
    assert.match(log.text(), /r1/);
    const wrapped = renderError(new InternalError('internal error', { cause: new Error('disk on fire') }), log);
    assert.equal(wrapped.body?.toString(), '{"errors":["internal error"]}');
    assert.match(log.text(), /disk on fire/);
    assert.equal(renderError('a thrown string', log).status, 500);
  });

  it('data that cannot be serialised makes renderResponse throw (the listener answers 500)', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic['self'] = cyclic;
    assert.throws(() => renderResponse(request(), { data: cyclic }));
    assert.throws(() => renderResponse(request(), { data: { n: 10n } }));
  });
});

describe('render (through the listener)', () => {
  let s: TestServer;
  let url: string;
  before(async () => {
    s = await startTestServer();
    url = s.listener.url;
  });
  after(() => s.listener.close());

  const answer = (resp: Response | undefined): void => s.behave(() => resp);

  it('a JSON answer has Content-Type application/json and Cache-Control no-store; headers are copied', async () => {
    answer({ data: { a: 1 }, headers: { 'X-Vault-Index': 'idx-7' } });
    const res = await send(url, '/v1/secret/foo');
    assert.equal(res.status, 200);
    assert.equal(res.headers['content-type'], 'application/json');
    assert.equal(res.headers['cache-control'], 'no-store');
    assert.equal(res.headers['x-vault-index'], 'idx-7');
    const body = res.json() as Record<string, unknown>;
    assert.deepEqual(body['data'], { a: 1 });
    assert.equal(body['request_id'], s.seen[s.seen.length - 1]!.id);
  });

  it('404 for a missing read, 204 for a write without response', async () => {
    answer(undefined);
    const r = await send(url, '/v1/secret/missing');
    assert.equal(r.status, 404);
    assert.deepEqual(r.json(), { errors: [] });
    assert.equal(r.headers['content-type'], 'application/json');
    const w = await send(url, '/v1/secret/foo', { method: 'PUT', body: '{"a":"b"}' });
    assert.equal(w.status, 204);
    assert.equal(w.text, '');
    assert.equal(w.headers['cache-control'], 'no-store');
    const l = await send(url, '/v1/secret/', { method: 'LIST' });
    assert.equal(l.status, 404);
  });

  it('raw answers keep their status, body and content type', async () => {
    answer({ raw: { status: 503, body: { sealed: true } } });
    const r = await send(url, '/v1/sys/health');
    assert.equal(r.status, 503);
    assert.deepEqual(r.json(), { sealed: true });
    answer({ raw: { status: 200, body: 'plain', contentType: 'text/plain' } });
    const t = await send(url, '/v1/sys/metrics');
    assert.equal(t.text, 'plain');
    assert.equal(t.headers['content-type'], 'text/plain');
  });

  it('errors thrown by the handler, synchronously or not, never leak internals', async () => {
    s.behave(() => {
      throw new Error('sync failure with s3cr3t inside');
    });
    const a = await send(url, '/v1/x');
    assert.equal(a.status, 500);
    assert.deepEqual(a.json(), { errors: ['internal error'] });
    assert.equal(a.text.includes('s3cr3t'), false);
    s.behave(async () => {
      await new Promise((r) => setTimeout(r, 5));
      throw new RangeError('async failure with s3cr3t');
    });
    const b = await send(url, '/v1/x');
    assert.equal(b.status, 500);
    assert.equal(b.text.includes('s3cr3t'), false);
    assert.equal(b.text.includes('RangeError'), false);
    assert.match(s.log.text(), /sync failure with s3cr3t/);
    assert.match(s.log.text(), /async failure with s3cr3t/);
    s.behave(() => Promise.reject(new PermissionDeniedError()));
    const c = await send(url, '/v1/x');
    assert.equal(c.status, 403);
    assert.deepEqual(c.json(), { errors: ['permission denied'] });
    s.behave(echo);
  });

  it('header names are case-insensitive: a core header replaces the shell header of that name, sent once', async () => {
    answer({ data: { a: 1 }, headers: { 'content-type': 'application/vnd.test+json', 'CACHE-CONTROL': 'no-store, private' } });
    const raw = await rawExchange(s.listener.port, 'GET /v1/x HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n', { end: true });
    const head = raw.slice(0, raw.indexOf('\r\n\r\n')).toLowerCase();
    assert.equal(head.split('content-type:').length - 1, 1, head);
    assert.match(head, /\r\ncontent-type: application\/vnd\.test\+json\r\n/);
    assert.equal(head.split('cache-control:').length - 1, 1, head);
    assert.match(head, /\r\ncache-control: no-store, private\r\n/);
    s.behave(echo);
  });

  it('a response HTTP cannot carry (bad header, cyclic data) becomes a 500', async () => {
    answer({ data: { a: 1 }, headers: { 'X-Bad': 'line\nbreak' } });
    const raw = await rawExchange(s.listener.port, 'GET /v1/x HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n', { end: true });
    assert.match(raw, /^HTTP\/1\.1 500 Internal Server Error\r\n/);
    assert.equal(raw.includes('X-Bad'), false);
    const h = await send(url, '/v1/x');
    assert.equal(h.status, 500);
    assert.deepEqual(h.json(), { errors: ['internal error'] });
    const cyclic: Record<string, unknown> = {};
    cyclic['me'] = cyclic;
    answer({ data: cyclic });
    const c = await send(url, '/v1/x');
    assert.equal(c.status, 500);
    s.behave(echo);
    assert.equal((await send(url, '/v1/x')).status, 200);
  });
});
