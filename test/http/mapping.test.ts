/**
 * HTTP -> Request mapping, end to end through a real listener on 127.0.0.1:0 with a handler
 * that echoes the Request it received.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { echo, echoed, rawExchange, send, startTestServer, statusCodes, type TestServer } from './helpers.js';

describe('HTTP -> Request mapping', () => {
  let s: TestServer;
  let url: string;
  before(async () => {
    s = await startTestServer();
    url = s.listener.url;
  });
  after(() => s.listener.close());

  it('GET is read, with query parameters as data (single -> string, repeated -> array)', async () => {
    const res = await send(url, '/v1/secret/foo?a=1&b=x&b=y&empty=&plus=a+b&enc=%C3%A9');
    assert.equal(res.status, 200);
    const r = echoed(res);
    assert.equal(r.operation, 'read');
    assert.equal(r.path, 'secret/foo');
    assert.deepEqual(r.data, { a: '1', b: ['x', 'y'], empty: '', plus: 'a b', enc: 'é' });
    assert.match(r.id, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.equal(r.remoteAddr, '127.0.0.1');
  });

  it('every request gets its own id', async () => {
    const a = echoed(await send(url, '/v1/x'));
    const b = echoed(await send(url, '/v1/x'));
    assert.notEqual(a.id, b.id);
  });

  it('GET ?list=true is list with a trailing slash; list and help are not data', async () => {
    const r = echoed(await send(url, '/v1/secret/metadata?list=true&x=1'));
    assert.equal(r.operation, 'list');
    assert.equal(r.path, 'secret/metadata/');
    assert.deepEqual(r.data, { x: '1' });
    const f = echoed(await send(url, '/v1/secret/foo?list=false'));
    assert.equal(f.operation, 'read');
    assert.deepEqual(f.data, {});
    const bad = await send(url, '/v1/secret/foo?list=maybe');
    assert.equal(bad.status, 400);
  });

  it('LIST is list and keeps or adds the trailing slash', async () => {
    const a = echoed(await send(url, '/v1/secret/', { method: 'LIST' }));
    assert.equal(a.operation, 'list');
    assert.equal(a.path, 'secret/');
    const b = echoed(await send(url, '/v1/secret?after=k', { method: 'LIST' }));
    assert.equal(b.path, 'secret/');
    assert.deepEqual(b.data, { after: 'k' });
  });

  it('LIST works for every request of a keep-alive connection, pipelined between writes with bodies', async () => {
    const body = '{"note":"LIST /v1/fake HTTP/1.1\\r\\n"}';
    const raw =
      'LIST /v1/a/ HTTP/1.1\r\nHost: x\r\n\r\n' +
      `POST /v1/b HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}` +
      'PUT /v1/c HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n{"k":\r\n4\r\n"v"}\r\n0\r\n\r\n' +
      'LIST /v1/d HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n';
    const out = await rawExchange(s.listener.port, raw, { waitMs: 3_000 });
    assert.deepEqual(statusCodes(out), [200, 200, 200, 200]);
    const bodies = [...out.matchAll(/\r\n\r\n(\{.*?\})(?=HTTP\/1\.1|$)/gs)].map((m) => JSON.parse(m[1]!) as { data: { operation: string; path: string; data: unknown } });
    assert.deepEqual(
      bodies.map((b) => [b.data.operation, b.data.path]),
      [
        ['list', 'a/'],
        ['update', 'b'],
        ['update', 'c'],
        ['list', 'd/'],
      ],
    );
    assert.deepEqual(bodies[1]!.data.data, { note: 'LIST /v1/fake HTTP/1.1\r\n' });
    assert.deepEqual(bodies[2]!.data.data, { k: 'v' });
  });

  it('PUT and POST are update with the JSON body as data; an empty body is {}', async () => {
    for (const method of ['PUT', 'POST']) {
      const r = echoed(await send(url, '/v1/secret/foo?ignored=1', { method, body: '{"a":1,"b":{"c":[true,null]}}' }));
      assert.equal(r.operation, 'update');
      assert.equal(r.path, 'secret/foo');
      assert.deepEqual(r.data, { a: 1, b: { c: [true, null] } });
    }
    assert.deepEqual(echoed(await send(url, '/v1/x', { method: 'POST' })).data, {});
    assert.deepEqual(echoed(await send(url, '/v1/x', { method: 'POST', body: ' \n ' })).data, {});
    assert.deepEqual(echoed(await send(url, '/v1/x', { method: 'POST', body: 'null' })).data, {});
  });

  it('a form-encoded write is parsed as a form, unless the body looks like JSON', async () => {
    const form = { 'Content-Type': 'application/x-www-form-urlencoded' };
    const r = echoed(await send(url, '/v1/x', { method: 'POST', headers: form, body: 'a=1&b=two+words&b=%21' }));
    assert.deepEqual(r.data, { a: '1', b: ['two words', '!'] });
    const j = echoed(await send(url, '/v1/x', { method: 'POST', headers: form, body: ' {"a":2}' }));
    assert.deepEqual(j.data, { a: 2 });
  });

  it('a __proto__ key is plain data and does not touch prototypes', async () => {
    const r = echoed(await send(url, '/v1/x?__proto__=q', { method: 'DELETE' }));
    assert.deepEqual(r.data, { ['__proto__']: 'q' });
    const b = echoed(await send(url, '/v1/x', { method: 'POST', body: '{"__proto__":{"polluted":1}}' }));
    assert.deepEqual(Object.keys(b.data), ['__proto__']);
    assert.equal(({} as Record<string, unknown>)['polluted'], undefined);
  });

  it('PATCH is patch and requires application/merge-patch+json (415 otherwise, Vault text)', async () => {
    const ok = await send(url, '/v1/secret/data/foo', {
      method: 'PATCH',
      headers: { 'Content-Type': 'application/merge-patch+json; charset=utf-8' },
      body: '{"data":{"a":"b"}}',
    });
    const r = echoed(ok);
    assert.equal(r.operation, 'patch');
    assert.deepEqual(r.data, { data: { a: 'b' } });
    const wrong = await send(url, '/v1/secret/data/foo', { method: 'PATCH', headers: { 'Content-Type': 'application/json' }, body: '{}' });
    assert.equal(wrong.status, 415);
    assert.deepEqual(wrong.json(), { errors: ['PATCH requires Content-Type of application/merge-patch+json, got "application/json"'] });
    const none = await send(url, '/v1/secret/data/foo', { method: 'PATCH', body: '{}' });
    assert.equal(none.status, 415);
    assert.deepEqual(none.json(), { errors: ['PATCH requires Content-Type of application/merge-patch+json, got ""'] });
  });

  it('DELETE is delete with query data, and with a JSON body merged over it', async () => {
    const r = echoed(await send(url, '/v1/secret/foo?versions=1', { method: 'DELETE' }));
    assert.equal(r.operation, 'delete');
    assert.deepEqual(r.data, { versions: '1' });
    const b = echoed(await send(url, '/v1/secret/foo?a=q&b=q', { method: 'DELETE', body: '{"b":"body","c":[1]}' }));
    assert.deepEqual(b.data, { a: 'q', b: 'body', c: [1] });
  });

  it('HEAD works on sys/health only (as a read, no body); elsewhere 405', async () => {
    s.behave(() => ({ raw: { status: 200, body: { initialized: true } } }));
    try {
      const h = await send(url, '/v1/sys/health?standbyok=true', { method: 'HEAD' });
      assert.equal(h.status, 200);
      assert.equal(h.text, '');
      const last = s.seen[s.seen.length - 1]!;
      assert.equal(last.operation, 'read');
      assert.equal(last.path, 'sys/health');
      assert.deepEqual(last.data, { standbyok: 'true' });
      const other = await send(url, '/v1/secret/foo', { method: 'HEAD' });
      assert.equal(other.status, 405);
    } finally {
      s.behave(echo);
    }
  });

  it('any other method is 405 {"errors":[]}', async () => {
    for (const method of ['OPTIONS', 'TRACE', 'COPY', 'PROPFIND', 'SOURCE', 'UNBIND']) {
      const res = await send(url, '/v1/secret/foo', { method });
      assert.equal(res.status, 405, method);
      assert.deepEqual(res.json(), { errors: [] });
      assert.equal(res.headers['content-type'], 'application/json');
    }
    // Methods node's own parser does not know still get Vault's 405, not a parser 400.
    const out = await rawExchange(s.listener.port, 'FROB /v1/x HTTP/1.1\r\nHost: x\r\n\r\nlist /v1/x HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n', { waitMs: 2_000 });
    assert.deepEqual(statusCodes(out), [405, 405]);
  });

  it('?help=1 is help on any served method, with no data and no body parsing', async () => {
    const g = echoed(await send(url, '/v1/secret/foo?help=1&x=1'));
    assert.equal(g.operation, 'help');
    assert.equal(g.path, 'secret/foo');
    assert.deepEqual(g.data, {});
    const p = echoed(await send(url, '/v1/secret/foo?help=1', { method: 'PUT', body: 'not json' }));
    assert.equal(p.operation, 'help');
    const l = echoed(await send(url, '/v1/secret/?help=true', { method: 'LIST' }));
    assert.equal(l.operation, 'help');
    assert.equal(l.path, 'secret/');
  });

  it('token from X-Vault-Token, else Authorization: Bearer; token headers never reach headers', async () => {
    const a = echoed(await send(url, '/v1/x', { headers: { 'X-Vault-Token': 'hvs.one', 'X-Custom': 'v' } }));
    assert.equal(a.clientToken, 'hvs.one');
    assert.equal(a.headers['x-custom'], 'v');
    assert.equal(a.headers['x-vault-token'], undefined);
    const b = echoed(await send(url, '/v1/x', { headers: { Authorization: 'Bearer hvs.two' } }));
    assert.equal(b.clientToken, 'hvs.two');
    assert.equal(b.headers['authorization'], undefined);
    const c = echoed(await send(url, '/v1/x', { headers: { Authorization: 'bearer   hvs.three ' } }));
    assert.equal(c.clientToken, 'hvs.three');
    const d = echoed(await send(url, '/v1/x', { headers: { 'X-Vault-Token': 'hvs.wins', Authorization: 'Bearer hvs.loses' } }));
    assert.equal(d.clientToken, 'hvs.wins');
    const e = echoed(await send(url, '/v1/x', { headers: { Authorization: 'Basic dXNlcjpwYXNz' } }));
    assert.equal(e.clientToken, '');
    const none = echoed(await send(url, '/v1/x'));
    assert.equal(none.clientToken, '');
  });

  it('headers arrive lower-cased', async () => {
    const r = echoed(await send(url, '/v1/x', { headers: { 'X-Vault-Index': 'abc', 'X-Vault-Forward': 'active-node' } }));
    assert.equal(r.headers['x-vault-index'], 'abc');
    assert.equal(r.headers['x-vault-forward'], 'active-node');
    assert.equal(r.headers['host'], `127.0.0.1:${s.listener.port}`);
  });

  it('X-Vault-Wrap-TTL accepts durations and seconds; invalid or negative is 400', async () => {
    assert.equal(echoed(await send(url, '/v1/x', { headers: { 'X-Vault-Wrap-TTL': '5m' } })).wrapTTL, 300);
    assert.equal(echoed(await send(url, '/v1/x', { headers: { 'X-Vault-Wrap-TTL': '90' } })).wrapTTL, 90);
    assert.equal(echoed(await send(url, '/v1/x', { headers: { 'X-Vault-Wrap-TTL': '1h30m' } })).wrapTTL, 5400);
    assert.equal(echoed(await send(url, '/v1/x')).wrapTTL, 0);
    const bad = await send(url, '/v1/x', { headers: { 'X-Vault-Wrap-TTL': 'soon' } });
    assert.equal(bad.status, 400);
    assert.match((bad.json() as { errors: string[] }).errors[0]!, /X-Vault-Wrap-TTL/);
    const neg = await send(url, '/v1/x', { headers: { 'X-Vault-Wrap-TTL': '-5s' } });
    assert.equal(neg.status, 400);
  });

  it('paths are percent-decoded; the trailing slash is kept', async () => {
    assert.equal(echoed(await send(url, '/v1/secret/a%20b/%C3%A9t%C3%A9')).path, 'secret/a b/été');
    assert.equal(echoed(await send(url, '/v1/secret/a+b')).path, 'secret/a+b');
    assert.equal(echoed(await send(url, '/v1/secret/dir/')).path, 'secret/dir/');
    assert.equal(echoed(await send(url, '/v1/secret/x%2Fy')).path, 'secret/x/y');
  });

  it('bad paths are 400: bad escapes, invalid UTF-8, dot segments, empty segments', async () => {
    const bad = ['/v1/a%zz', '/v1/a%', '/v1/a%ff', '/v1/a%c3%28', '/v1/a/../b', '/v1/a/./b', '/v1/..', '/v1//a', '/v1/a//b', '/v1/a%2F%2Fb', '/v1/%2e%2e/x'];
    for (const path of bad) {
      const res = await send(url, path);
      assert.equal(res.status, 400, path);
      assert.equal((res.json() as { errors: string[] }).errors.length, 1, path);
    }
    // Raw (unencoded) invalid UTF-8 bytes in the request line.
    const raw = Buffer.concat([Buffer.from('GET /v1/a'), Buffer.from([0xff, 0xfe]), Buffer.from(' HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')]);
    const out = await rawExchange(s.listener.port, raw, { waitMs: 2_000 });
    assert.deepEqual(statusCodes(out), [400]);
  });

  it('query strings with invalid UTF-8 are 400; malformed pairs are dropped as Go does', async () => {
    assert.equal((await send(url, '/v1/x?a=%ff')).status, 400);
    assert.deepEqual(echoed(await send(url, '/v1/x?a=%zz&b=1&c;d=2')).data, { b: '1' });
  });

  it('paths outside /v1/ are 404 {"errors":[]}', async () => {
    for (const path of ['/', '/ui/', '/ui/vault/secrets', '/v1', '/v2/sys/health', '/favicon.ico']) {
      const res = await send(url, path);
      assert.equal(res.status, 404, path);
      assert.deepEqual(res.json(), { errors: [] });
    }
  });
});
