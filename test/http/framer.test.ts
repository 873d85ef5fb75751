/** The method-rewriting framer that lets node's HTTP parser accept Vault's LIST verb. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { LIST_METHOD_ALIAS, mapMethodToken, RequestFramer, UNKNOWN_METHOD_ALIAS } from '../../src/http/request-framer.js';

/** Run a stream through a fresh framer, cut into pieces of `size` bytes. */
function run(input: string | Buffer, size = Infinity): { out: string; framer: RequestFramer } {
  const bytes = typeof input === 'string' ? Buffer.from(input, 'latin1') : input;
  const framer = new RequestFramer();
  const parts: Buffer[] = [];
  const step = Number.isFinite(size) ? size : bytes.length || 1;
  for (let i = 0; i < bytes.length; i += step) parts.push(framer.transform(bytes.subarray(i, i + step)));
  return { out: Buffer.concat(parts).toString('latin1'), framer };
}

describe('RequestFramer', () => {
  it('maps method tokens', () => {
    assert.equal(mapMethodToken('LIST'), LIST_METHOD_ALIAS);
    assert.equal(mapMethodToken(LIST_METHOD_ALIAS), UNKNOWN_METHOD_ALIAS);
    assert.equal(mapMethodToken('FROB'), UNKNOWN_METHOD_ALIAS);
    assert.equal(mapMethodToken('list'), UNKNOWN_METHOD_ALIAS);
    for (const m of ['GET', 'PUT', 'POST', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS']) assert.equal(mapMethodToken(m), m);
  });

  it('rewrites the method of every pipelined request, and nothing inside bodies', () => {
    const body = 'LIST /v1/not-a-request HTTP/1.1\r\n\r\n';
    const input =
      'LIST /v1/a HTTP/1.1\r\nHost: x\r\n\r\n' +
      `POST /v1/b HTTP/1.1\r\nContent-Length: ${body.length}\r\n\r\n${body}` +
      'PUT /v1/c HTTP/1.1\r\ntransfer-encoding: chunked\r\n\r\n' +
      `${body.length.toString(16)}\r\n${body}\r\n` +
      '3;ext=1\r\nabc\r\n0\r\nTrailer: LIST x\r\n\r\n' +
      '\r\nSOURCE /v1/d HTTP/1.1\r\n\r\n' +
      'FROB /v1/e HTTP/1.1\r\n\r\n' +
      'LIST /v1/f HTTP/1.1\r\n\r\n';
    const expected = input
      .replace('LIST /v1/a', `${LIST_METHOD_ALIAS} /v1/a`)
      .replace('SOURCE /v1/d', `${UNKNOWN_METHOD_ALIAS} /v1/d`)
      .replace('FROB /v1/e', `${UNKNOWN_METHOD_ALIAS} /v1/e`)
      .replace('LIST /v1/f', `${LIST_METHOD_ALIAS} /v1/f`);
    for (const size of [Infinity, 1, 2, 3, 7, 64]) {
      const { out, framer } = run(input, size);
      assert.equal(out, expected, `chunk size ${size}`);
      assert.equal(framer.passthrough, false);
    }
  });

  it('leaves ordinary requests byte-for-byte untouched', () => {
    const input = 'GET /v1/sys/health?x=1 HTTP/1.1\r\nHost: x\r\nX-A: LIST \r\n\r\nDELETE /v1/y HTTP/1.1\r\nContent-Length: 0\r\n\r\n';
    assert.equal(run(input, 5).out, input);
  });

  it('gives up (passes bytes through) when the stream is not HTTP', () => {
    for (const input of [
      '\x00\x01\x02garbage LIST /v1/x HTTP/1.1\r\n\r\n',
      'GE(T /v1/x HTTP/1.1\r\n\r\n',
      'POST /v1/x HTTP/1.1\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\nLIST x',
      'POST /v1/x HTTP/1.1\r\nContent-Length: -1\r\n\r\nLIST x',
      'POST /v1/x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nLIST x',
      'CONNECT host:443 HTTP/1.1\r\n\r\nLIST /v1/x HTTP/1.1\r\n\r\n',
    ]) {
      const { out, framer } = run(input, 3);
      assert.equal(framer.passthrough, true, JSON.stringify(input));
      assert.equal(out, input, JSON.stringify(input));
    }
  });

  it('stops following after a head larger than any node accepts', () => {
    const input = `GET /v1/x HTTP/1.1\r\nX-Big: ${'a'.repeat(70 * 1024)}\r\n\r\nLIST /v1/y HTTP/1.1\r\n\r\n`;
    const { out, framer } = run(input, 4096);
    assert.equal(framer.passthrough, true);
    assert.equal(out, input);
  });

  it('handles bytes above 0x7f in the head and body', () => {
    const input = Buffer.concat([
      Buffer.from('LIST /v1/'),
      Buffer.from([0xc3, 0xa9, 0xff]),
      Buffer.from(' HTTP/1.1\r\nContent-Length: 2\r\n\r\n'),
      Buffer.from([0xfe, 0xff]),
      Buffer.from('LIST /v1/z HTTP/1.1\r\n\r\n'),
    ]);
    const { out } = run(input, 1);
    assert.equal(out.split(LIST_METHOD_ALIAS).length - 1, 2);
  });
});
