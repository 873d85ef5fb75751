import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bodyToPlain, findBlocks, findItems, parseHCL, toPlain, type HclBody, type HclValue } from '../../src/config/hcl.js';

function value(text: string, key = 'v'): HclValue {
  const item = findItems(parseHCL(text), key)[0];
  assert.ok(item, `no item ${key}`);
  return item.value;
}

function plain(text: string, key = 'v'): unknown {
  return toPlain(value(text, key));
}

test('comments of all three kinds are skipped', () => {
  const body = parseHCL(`# hash comment
a = 1 # trailing
// slash comment
b = 2 // trailing
/* block
   comment over lines */ c = /* inline */ 3
`);
  assert.deepEqual(bodyToPlain(body), { a: 1, b: 2, c: 3 });
  assert.deepEqual(
    body.items.map((i) => [i.key, i.line, i.column]),
    [
      ['a', 2, 1],
      ['b', 4, 1],
      ['c', 6, 26],
    ],
  );
});

test('identifiers may hold letters, digits, underscore, dash and dot', () => {
  const body = parseHCL('a_b-c.d9 = true\n_x = false\nclé = 1');
  assert.deepEqual(
    body.items.map((i) => i.key),
    ['a_b-c.d9', '_x', 'clé'],
  );
  assert.deepEqual(bodyToPlain(body), { 'a_b-c.d9': true, _x: false, clé: 1 });
});

test('string escapes are decoded', () => {
  assert.equal(plain(String.raw`v = "a\nb\tc\"d\\e\u00e9\U0001F600\r"`), 'a\nb\tc"d\\eé😀\r');
  assert.equal(plain('v = ""'), '');
});

test('interpolations are kept literally, quotes and braces inside included', () => {
  assert.equal(plain('v = "${var.x}"'), '${var.x}');
  assert.equal(plain('v = "pre-${lookup(m, "k", "}")}-post"'), 'pre-${lookup(m, "k", "}")}-post');
  assert.equal(plain('v = "a{{identity.entity.id}}/*"'), 'a{{identity.entity.id}}/*');
  assert.equal(plain('v = "100%{ and $x"'), '100%{ and $x');
});

test('heredocs keep content lines with a final newline', () => {
  const v = value('v = <<EOF\nline one\n  indented "quotes" ${x}\nEOF\nafter = 1\n');
  assert.equal(v.kind, 'string');
  assert.ok(v.kind === 'string' && v.heredoc);
  assert.equal(toPlain(v), 'line one\n  indented "quotes" ${x}\n');
  assert.deepEqual(bodyToPlain(parseHCL('v = <<EOF\nx\nEOF\nafter = 1\n')), { v: 'x\n', after: 1 });
  assert.equal(plain('v = <<EOF\nEOF\n'), '');
  assert.equal(plain('v = <<EOF\r\nwindows\r\nEOF\r\n'), 'windows\n');
  assert.equal(plain('v = <<EOF  \nspaces after the marker\nEOF  \n'), 'spaces after the marker\n');
  assert.deepEqual(plain('v = [<<A\none\nA\n, <<B\ntwo\nB\n]'), ['one\n', 'two\n']);
  // The marker must stand alone: a line merely containing it is content.
  assert.equal(plain('v = <<EOF\nnot EOF\nEOF'), 'not EOF\n');
});

test('indented heredocs strip the common indentation', () => {
  const text = 'block {\n  v = <<-POLICY\n    path "a" {\n      capabilities = ["read"]\n    }\n\n    POLICY\n}\n';
  const block = findBlocks(parseHCL(text), 'block', 0)[0]!;
  assert.equal(toPlain(findItems(block.body, 'v')[0]!.value), 'path "a" {\n  capabilities = ["read"]\n}\n\n');
});

test('numbers: integers, floats, negatives, exponents, hex', () => {
  assert.deepEqual(bodyToPlain(parseHCL('a = 42\nb = 3.25\nc = -7\nd = -0.5\ne = 1e3\nf = 2.5E-2\ng = 0x1F\nh = -0x10\ni = 0')), {
    a: 42,
    b: 3.25,
    c: -7,
    d: -0.5,
    e: 1000,
    f: 0.025,
    g: 31,
    h: -16,
    i: 0,
  });
  const big = value('v = 9007199254740993');
  assert.ok(big.kind === 'number');
  assert.equal(big.raw, '9007199254740993');
});

test('booleans', () => {
  assert.deepEqual(bodyToPlain(parseHCL('a = true\nb = false')), { a: true, b: false });
});

test('lists: empty, trailing comma, multiline, nested, of objects', () => {
  assert.deepEqual(plain('v = []'), []);
  assert.deepEqual(plain('v = ["a", "b",]'), ['a', 'b']);
  assert.deepEqual(plain('v = [\n  "read",\n  "list",\n]'), ['read', 'list']);
  assert.deepEqual(plain('v = [[1, 2], [], [true]]'), [[1, 2], [], [true]]);
  assert.deepEqual(plain('v = [{ a = 1 }, { b = "x" }]'), [{ a: 1 }, { b: 'x' }]);
});

test('objects accept = and :, commas or newlines, quoted keys, nesting', () => {
  assert.deepEqual(plain('v = { a = 1, b: "two", "c d" = [3] }'), { a: 1, b: 'two', 'c d': [3] });
  assert.deepEqual(plain('v = {\n  a = 1\n  b = { c = { d = true } }\n}'), { a: 1, b: { c: { d: true } } });
  assert.deepEqual(plain('v = {}'), {});
  assert.deepEqual(plain('v: 5'), 5);
});

test('blocks with zero, one and two labels, quoted or bare', () => {
  const body = parseHCL(`
telemetry { disable_hostname = true }
storage "sqlite" { path = "/tmp/a.db" }
listener tcp { address = "127.0.0.1:0" }
outer "a" "b" { x = 1 }
`);
  assert.deepEqual(
    body.items.map((i) => [i.key, i.labels, i.form, i.line]),
    [
      ['telemetry', [], 'block', 2],
      ['storage', ['sqlite'], 'block', 3],
      ['listener', ['tcp'], 'block', 4],
      ['outer', ['a', 'b'], 'block', 5],
    ],
  );
  assert.deepEqual(bodyToPlain(body), {
    telemetry: { disable_hostname: true },
    storage: { sqlite: { path: '/tmp/a.db' } },
    listener: { tcp: { address: '127.0.0.1:0' } },
    outer: { a: { b: { x: 1 } } },
  });
});

test('repeated blocks and keys are all kept, in order', () => {
  const body = parseHCL('k = 1\nk = 2\nlistener "tcp" { address = "a:1" }\nlistener "tcp" { address = "b:2" }');
  assert.deepEqual(bodyToPlain(body), {
    k: [1, 2],
    listener: [{ tcp: { address: 'a:1' } }, { tcp: { address: 'b:2' } }],
  });
  assert.deepEqual(
    findBlocks(body, 'listener', 1).map((b) => [b.labels, b.line, toPlain({ kind: 'object', body: b.body, line: 0, column: 0 })]),
    [
      [['tcp'], 3, { address: 'a:1' }],
      [['tcp'], 4, { address: 'b:2' }],
    ],
  );
});

test('HCL1 object spelling of blocks expands like the block spelling', () => {
  const asBlocks = parseHCL('path "a/*" { capabilities = ["read"] }\npath "b" { capabilities = ["list"] }');
  const asObject = parseHCL('path = { "a/*" = { capabilities = ["read"] }, "b" = { capabilities = ["list"] } }');
  const shape = (b: HclBody): unknown =>
    findBlocks(b, 'path', 1).map((x) => [x.labels, bodyToPlain(x.body)]);
  assert.deepEqual(shape(asObject), shape(asBlocks));
  assert.deepEqual(shape(asBlocks), [
    [['a/*'], { capabilities: ['read'] }],
    [['b'], { capabilities: ['list'] }],
  ]);
});

test('values and items carry their line and column', () => {
  const body = parseHCL('\n  key = [\n    "x",\n    { y = 1 }\n  ]\n');
  const item = body.items[0]!;
  assert.deepEqual([item.line, item.column], [2, 3]);
  assert.ok(item.value.kind === 'list');
  assert.deepEqual([item.value.line, item.value.column], [2, 9]);
  const [x, obj] = item.value.items;
  assert.deepEqual([x!.line, x!.column], [3, 5]);
  assert.ok(obj!.kind === 'object');
  assert.deepEqual([obj!.body.items[0]!.line, obj!.body.items[0]!.column], [4, 7]);
});

test('bodyToPlain never lets a "__proto__" key touch a prototype', () => {
  const out = bodyToPlain(parseHCL('"__proto__" = { polluted = true }'));
  assert.equal(Object.getPrototypeOf(out), Object.prototype);
  assert.deepEqual(Object.keys(out), ['__proto__']);
  assert.equal(({} as Record<string, unknown>)['polluted'], undefined);
});

test('empty input and a byte-order mark are fine', () => {
  assert.deepEqual(parseHCL('').items, []);
  assert.deepEqual(parseHCL('\n# only a comment\n').items, []);
  assert.deepEqual(bodyToPlain(parseHCL('\uFEFFa = 1')), { a: 1 });
});
