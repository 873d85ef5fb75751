import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FlagError, FlagSet, parseGoBool } from '../../src/cli/flags.js';

function set(): FlagSet {
  return new FlagSet()
    .define({ name: 'address', kind: 'string', section: 'HTTP Options', usage: 'Server address.' })
    .define({ name: 'force', kind: 'bool', section: 'Command Options', usage: 'Force it.', aliases: ['f'] })
    .define({ name: 'key-shares', kind: 'int', section: 'Command Options', usage: 'Shares.', defaultValue: 5, aliases: ['n'] })
    .define({ name: 'ttl', kind: 'duration', section: 'Command Options', usage: 'A TTL.' })
    .define({ name: 'versions', kind: 'list', section: 'Command Options', usage: 'Versions.' })
    .define({ name: 'options', kind: 'map', section: 'Command Options', usage: 'Options.' });
}

test('accepts -name=value, -name value, --name=value and --name value', () => {
  for (const argv of [['-address=http://a'], ['-address', 'http://a'], ['--address=http://a'], ['--address', 'http://a']]) {
    const p = set().parse(argv);
    assert.equal(p.string('address'), 'http://a', argv.join(' '));
    assert.ok(p.isSet('address'));
    assert.deepEqual(p.args, []);
  }
});

test('a value flag takes the next argument even when it starts with a dash', () => {
  const p = set().parse(['-address', '-weird', 'pos']);
  assert.equal(p.string('address'), '-weird');
  assert.deepEqual(p.args, ['pos']);
});

test('boolean flags: bare means true, =false/=0/=F parse as Go does, and never consume the next argument', () => {
  assert.equal(set().parse(['-force']).bool('force'), true);
  assert.equal(set().parse(['-force=false']).bool('force'), false);
  assert.equal(set().parse(['--force=0']).bool('force'), false);
  assert.equal(set().parse(['-f=T']).bool('force'), true);
  const p = set().parse(['-force', 'false']);
  assert.equal(p.bool('force'), true);
  assert.deepEqual(p.args, ['false']);
  assert.throws(() => set().parse(['-force=maybe']), (e: unknown) => e instanceof FlagError && /invalid boolean value "maybe" for -force/.test(e.message));
  assert.equal(parseGoBool('TRUE'), true);
  assert.equal(parseGoBool('yes'), undefined);
});

test('parsing stops at the first positional argument; later dashes are arguments', () => {
  const p = set().parse(['-force', 'secret/foo', '-address=x', 'a=b']);
  assert.equal(p.bool('force'), true);
  assert.equal(p.isSet('address'), false);
  assert.deepEqual(p.args, ['secret/foo', '-address=x', 'a=b']);
});

test('"--" ends flags and a lone "-" is positional', () => {
  assert.deepEqual(set().parse(['--', '-force']).args, ['-force']);
  const p = set().parse(['-force', '-', 'x']);
  assert.deepEqual(p.args, ['-', 'x']);
});

test('defaults apply when a flag is absent; aliases set the canonical name', () => {
  const p = set().parse([]);
  assert.equal(p.int('key-shares'), 5);
  assert.equal(p.isSet('key-shares'), false);
  assert.equal(p.string('address'), '');
  assert.equal(p.bool('force'), false);
  assert.equal(p.durationSeconds('ttl'), undefined);
  const q = set().parse(['-n', '3']);
  assert.equal(q.int('key-shares'), 3);
  assert.ok(q.isSet('key-shares'));
});

test('int and duration values are validated with Go-like messages', () => {
  assert.equal(set().parse(['-key-shares=-2']).int('key-shares'), -2);
  assert.throws(() => set().parse(['-key-shares=three']), /invalid value "three" for flag -key-shares: parse error/);
  assert.throws(() => set().parse(['-key-shares=1.5']), /parse error/);
  assert.equal(set().parse(['-ttl=1h30m']).durationSeconds('ttl'), 5400);
  assert.equal(set().parse(['-ttl', '90']).durationSeconds('ttl'), 90);
  assert.throws(() => set().parse(['-ttl=soon']), /invalid value "soon" for flag -ttl/);
});

test('list flags split on commas and accumulate; map flags take repeated key=value', () => {
  const p = set().parse(['-versions=1,2', '-versions', '3', '-options=version=2', '-options', 'a=b=c']);
  assert.deepEqual(p.list('versions'), ['1', '2', '3']);
  assert.deepEqual(p.map('options'), { version: '2', a: 'b=c' });
  assert.throws(() => set().parse(['-options=novalue']), /missing = in KV pair/);
});

test('usage errors: unknown flag, missing value, bad syntax', () => {
  assert.throws(() => set().parse(['-nope']), (e: unknown) => e instanceof FlagError && e.message === 'flag provided but not defined: -nope');
  assert.throws(() => set().parse(['-address']), (e: unknown) => e instanceof FlagError && e.message === 'flag needs an argument: -address');
  assert.throws(() => set().parse(['---address=x']), /bad flag syntax: ---address=x/);
  assert.throws(() => set().parse(['-=x']), /bad flag syntax/);
});

test('accessors refuse undefined flags and wrong kinds (programming errors)', () => {
  const p = set().parse([]);
  assert.throws(() => p.string('nope'), /not defined/);
  assert.throws(() => p.bool('address'), /is a string flag/);
});

test('help groups flags by section with placeholders and wrapped usage', () => {
  const help = set().help();
  assert.match(help, /^HTTP Options:\n\n {2}-address=<string>\n {6}Server address\./);
  assert.match(help, /Command Options:\n\n {2}-force\n/);
  assert.match(help, / {2}-key-shares=<int>\n/);
  assert.match(help, / {2}-options=<key=value>\n/);
  assert.doesNotMatch(help, /-f\b\n/, 'aliases are not listed');
});

test('defining the same flag twice is refused', () => {
  assert.throws(() => set().define({ name: 'n', kind: 'bool', section: 'X', usage: '' }), /defined twice/);
});
