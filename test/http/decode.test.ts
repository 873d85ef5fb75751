/** Body, query, path and listen-address decoding. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { BadRequestError } from '../../src/errors.js';
import { decodeJSONObject, isFormBody, mediaType } from '../../src/http/body.js';
import { describeJSONSyntaxError } from '../../src/http/json-syntax.js';
import { parseListenAddress } from '../../src/http/listener.js';
import { validateApiPath } from '../../src/http/parse.js';
import { parseQuery, parseTarget, percentDecode } from '../../src/http/url.js';

describe('JSON bodies', () => {
  it('describes syntax errors with Go encoding/json wording', () => {
    const cases: [string, string][] = [
      ['{"a":}', `invalid character '}' looking for beginning of value`],
      ['{a:1}', `invalid character 'a' looking for beginning of object key string`],
      ['{"a" 1}', `invalid character '1' after object key`],
      ['{"a":1 "b":2}', `invalid character '"' after object key:value pair`],
      ['[1 2]', `invalid character '2' after array element`],
      ['[1,]', `invalid character ']' looking for beginning of value`],
      ['{"a":1,}', `invalid character '}' looking for beginning of object key string`],
      ['{"a":tru}', `invalid character '}' in literal true (expecting 'e')`],
      ['{"a":nul', 'unexpected EOF'],
      ['{"a":-x}', `invalid character 'x' in numeric literal`],
      ['{"a":1.x}', `invalid character 'x' after decimal point in numeric literal`],
      ['{"a":1ex}', `invalid character 'x' in exponent of numeric literal`],
      ['{"a":"\\q"}', `invalid character 'q' in string escape code`],
      ['{"a":"\\u12G4"}', `invalid character 'G' in \\u hexadecimal character escape`],
      ['{"a":"x\ny"}', `invalid character '\\n' in string literal`],
      ['{"a":1', 'unexpected EOF'],
      ['{"a":"open', 'unexpected EOF'],
      ['{"a":1}}', `invalid character '}' after top-level value`],
      ['hello', `invalid character 'h' looking for beginning of value`],
      ["'a'", `invalid character '\\'' looking for beginning of value`],
      ['01', `invalid character '1' after top-level value`],
    ];
    for (const [text, message] of cases) assert.equal(describeJSONSyntaxError(text), message, text);
    assert.equal(describeJSONSyntaxError('{"a":[1,{"b":null}],"c":-1.5e+3}'), undefined);
  });

  it('survives very deep nesting', () => {
    assert.equal(describeJSONSyntaxError('['.repeat(200_000)), 'unexpected EOF');
    assert.throws(() => decodeJSONObject(Buffer.from('{"a":' + '['.repeat(100_000))), BadRequestError);
  });

  it('decodes objects; empty and null are {}; other values are Go unmarshal errors', () => {
    assert.deepEqual(decodeJSONObject(Buffer.from('{"a":{"b":[1,"x"]}}')), { a: { b: [1, 'x'] } });
    assert.deepEqual(decodeJSONObject(Buffer.alloc(0)), {});
    assert.deepEqual(decodeJSONObject(Buffer.from(' null ')), {});
    const kinds: [string, string][] = [
      ['[1]', 'array'],
      ['"s"', 'string'],
      ['12', 'number'],
      ['true', 'bool'],
    ];
    for (const [text, kind] of kinds) {
      assert.throws(
        () => decodeJSONObject(Buffer.from(text)),
        (err: unknown) =>
          err instanceof BadRequestError &&
          err.message === `failed to parse JSON input: json: cannot unmarshal ${kind} into Go value of type map[string]interface {}`,
      );
    }
    assert.throws(
      () => decodeJSONObject(Buffer.from('{"a":')),
      (err: unknown) => err instanceof BadRequestError && err.message === 'failed to parse JSON input: unexpected EOF',
    );
    assert.throws(
      () => decodeJSONObject(Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0x22, 0x7d])),
      (err: unknown) => err instanceof BadRequestError && /^failed to parse JSON input: invalid UTF-8/.test(err.message),
    );
  });

  it('recognises form bodies and media types', () => {
    assert.equal(isFormBody('application/x-www-form-urlencoded', Buffer.from('a=1')), true);
    assert.equal(isFormBody('application/x-www-form-urlencoded; charset=utf-8', Buffer.from('  {"a":1}')), false);
    assert.equal(isFormBody('application/json', Buffer.from('a=1')), false);
    assert.equal(mediaType('Application/Merge-Patch+JSON; charset=utf-8'), 'application/merge-patch+json');
    assert.equal(mediaType('nonsense'), '');
    assert.equal(mediaType(undefined), '');
  });
});

describe('URLs', () => {
  it('percent-decodes bytes; rejects malformed escapes', () => {
    assert.deepEqual([...percentDecode('a%20b%ff', false)!], [0x61, 0x20, 0x62, 0xff]);
    assert.equal(percentDecode('a+b', true)!.toString(), 'a b');
    assert.equal(percentDecode('a+b', false)!.toString(), 'a+b');
    assert.equal(percentDecode('%g0', false), undefined);
    assert.equal(percentDecode('%4', false), undefined);
  });

  it('splits targets, including absolute-form, and strips fragments', () => {
    assert.deepEqual(parseTarget('/v1/a%2Fb?x=1'), { path: '/v1/a/b', rawQuery: 'x=1' });
    assert.deepEqual(parseTarget('http://host:8200/v1/a?y'), { path: '/v1/a', rawQuery: 'y' });
    assert.deepEqual(parseTarget('/v1/a#frag'), { path: '/v1/a', rawQuery: '' });
    assert.throws(() => parseTarget('/v1/a\x01b'), BadRequestError);
    assert.throws(() => parseTarget('/v1/%c3'), BadRequestError);
  });

  it('parses queries like Go: repeated keys, plus as space, bad pairs dropped', () => {
    assert.deepEqual(parseQuery('a=1&a=2&b&c=x+y&&d=%zz&e;f=1'), { a: ['1', '2'], b: '', c: 'x y' });
    assert.throws(() => parseQuery('a=%ff'), BadRequestError);
  });

  it('validates API paths', () => {
    for (const ok of ['', 'secret/', 'secret/foo', 'a/b/c/', 'a.b/..c/d..']) assert.doesNotThrow(() => validateApiPath(ok), ok);
    for (const bad of ['/a', 'a//b', 'a/./b', '../a', 'a/..', '.', 'a//']) assert.throws(() => validateApiPath(bad), BadRequestError, bad);
  });
});

describe('listen addresses', () => {
  it('parses host:port and [ipv6]:port', () => {
    assert.deepEqual(parseListenAddress('127.0.0.1:0'), { host: '127.0.0.1', port: 0 });
    assert.deepEqual(parseListenAddress('0.0.0.0:8200'), { host: '0.0.0.0', port: 8200 });
    assert.deepEqual(parseListenAddress('[::1]:0'), { host: '::1', port: 0 });
    assert.deepEqual(parseListenAddress('[fe80::1%eth0]:8200'), { host: 'fe80::1%eth0', port: 8200 });
    assert.deepEqual(parseListenAddress('localhost:8200'), { host: 'localhost', port: 8200 });
    for (const bad of ['127.0.0.1', '::1:8200', ':8200', '127.0.0.1:', '127.0.0.1:99999', '127.0.0.1:http', '[::1]']) {
      assert.throws(() => parseListenAddress(bad), /listener: invalid/, bad);
    }
  });
});
