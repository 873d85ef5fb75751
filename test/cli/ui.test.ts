import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { StreamUi, readSecretInput } from '../../src/cli/ui.js';
import { CaptureUi } from './capture-ui.js';

function fakeTty(): PassThrough & { isTTY: boolean; modes: boolean[]; setRawMode(m: boolean): void } {
  const s = new PassThrough() as PassThrough & { isTTY: boolean; modes: boolean[]; setRawMode(m: boolean): void };
  s.isTTY = true;
  s.modes = [];
  s.setRawMode = (m: boolean) => {
    s.modes.push(m);
  };
  return s;
}

function collect(): PassThrough & { text: () => string } {
  const s = new PassThrough() as PassThrough & { text: () => string };
  let buf = '';
  s.on('data', (c: Buffer) => (buf += c.toString('utf8')));
  s.text = () => buf;
  return s;
}

test('out/err add a newline, raw does not; stdin is read once', async () => {
  const stdin = new PassThrough();
  const out = collect();
  const err = collect();
  const ui = new StreamUi(stdin, out, err);
  ui.out('a');
  ui.raw('b');
  ui.err('c');
  stdin.end('{"x":1}');
  assert.equal(await ui.readStdin(), '{"x":1}');
  await assert.rejects(ui.readStdin(), /already been read/);
  assert.equal(out.text(), 'a\nb');
  assert.equal(err.text(), 'c\n');
  assert.equal(ui.stdinIsTTY, false);
});

test('promptSecret reads in raw mode without echo, handles backspace, restores the terminal', async () => {
  const stdin = fakeTty();
  const out = collect();
  const err = collect();
  const ui = new StreamUi(stdin, out, err);
  assert.equal(ui.stdinIsTTY, true);
  const answer = ui.promptSecret('Unseal Key (will be hidden): ');
  stdin.write('s3x\u007fcr');
  stdin.write('et\rignored');
  assert.equal(await answer, 's3cret');
  assert.deepEqual(stdin.modes, [true, false]);
  assert.equal(err.text(), 'Unseal Key (will be hidden): \n');
  assert.equal(out.text(), '', 'nothing typed is echoed');
});

test('promptSecret rejects on Ctrl-C', async () => {
  const stdin = fakeTty();
  const ui = new StreamUi(stdin, collect(), collect());
  const answer = ui.promptSecret('Key: ');
  stdin.write('abc\u0003');
  await assert.rejects(answer, /interrupted/);
  assert.deepEqual(stdin.modes, [true, false]);
});

test('readSecretInput: argument, "-" or a pipe (first line, trimmed)', async () => {
  assert.equal(await readSecretInput(new CaptureUi('unused'), ' key1 ', 'p'), 'key1');
  assert.equal(await readSecretInput(new CaptureUi('key2\nsecond line\n'), '-', 'p'), 'key2');
  assert.equal(await readSecretInput(new CaptureUi('\n  key3  \n'), undefined, 'p'), 'key3');
  assert.equal(await readSecretInput(new CaptureUi(''), undefined, 'p'), '');
});
