import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DataArgError, parseArgsData, type DataSources } from '../../src/cli/args-data.js';

function sources(stdin = '', files: Record<string, string> = {}): DataSources & { stdinReads: number } {
  const s = {
    stdinReads: 0,
    async readStdin() {
      s.stdinReads++;
      return stdin;
    },
    async readFile(path: string) {
      const v = files[path];
      if (v === undefined) throw new Error('ENOENT: no such file');
      return v;
    },
  };
  return s;
}

test('key=value pairs, splitting at the first "="', async () => {
  assert.deepEqual(await parseArgsData(['a=b', 'url=http://x/?q=1', 'empty='], sources()), { a: 'b', url: 'http://x/?q=1', empty: '' });
});

test('key=@file reads the value from a file; key=- from stdin', async () => {
  const src = sources('from stdin\n', { 'cert.pem': 'PEM DATA' });
  assert.deepEqual(await parseArgsData(['cert=@cert.pem', 'note=-'], src), { cert: 'PEM DATA', note: 'from stdin\n' });
});

test('"-" and "@file" alone merge a JSON object', async () => {
  assert.deepEqual(await parseArgsData(['-'], sources('{"a":1,"nested":{"b":true}}')), { a: 1, nested: { b: true } });
  assert.deepEqual(await parseArgsData(['@d.json', 'c=3'], sources('', { 'd.json': '{"a":"x"}' })), { a: 'x', c: '3' });
  await assert.rejects(parseArgsData(['-'], sources('[1,2]')), /must be an object/);
  await assert.rejects(parseArgsData(['-'], sources('{oops')), /error parsing JSON from stdin/);
});

test('a repeated key collects its values into a list', async () => {
  assert.deepEqual(await parseArgsData(['p=a', 'p=b', 'p=c', 'q=1'], sources()), { p: ['a', 'b', 'c'], q: '1' });
});

test('stdin can be consumed only once', async () => {
  const src = sources('x');
  await assert.rejects(parseArgsData(['a=-', 'b=-'], src), (e: unknown) => e instanceof DataArgError && /only be read once/.test(e.message));
  assert.equal(src.stdinReads, 1);
});

test('malformed arguments are errors that never echo the argument (it may be a secret)', async () => {
  await assert.rejects(
    parseArgsData(['ok=1', 'hunter2-password'], sources()),
    (e: unknown) => e instanceof DataArgError && e.message === 'format must be key=value (data argument 2)',
  );
  await assert.rejects(parseArgsData(['=value'], sources()), /format must be key=value/);
  await assert.rejects(parseArgsData(['k=@missing'], sources()), /error reading missing/);
});
