/**
 * The conformance suite every Physical runs (inmem, sqlite, later postgresql): the contract of
 * src/storage/physical.ts as behaviour. Each test opens a fresh, empty store.
 */

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import { StorageClosedError } from '../../src/storage/errors.js';
import { compareKeys } from '../../src/storage/one-level.js';
import { InvalidKeyError, type Physical } from '../../src/storage/physical.js';

export interface OpenedPhysical {
  readonly physical: Physical;
  cleanup(): Promise<void>;
}

export function runConformance(name: string, open: () => Promise<OpenedPhysical>): void {
  /** Run body against a fresh store, cleaning up even when it fails. */
  async function withStore(body: (p: Physical) => Promise<void>): Promise<void> {
    const { physical, cleanup } = await open();
    try {
      await body(physical);
    } finally {
      await cleanup();
    }
  }

  async function putAll(p: Physical, keys: readonly string[]): Promise<void> {
    await p.batch(keys.map((key) => ({ type: 'put' as const, key, value: Buffer.from(key) })));
  }

  /** Every entry of a level, fetched page by page. Bounded by the number of entries. */
  async function pageThrough(p: Physical, prefix: string, pageSize: number, maxPages: number): Promise<string[]> {
    const all: string[] = [];
    let after = '';
    for (let i = 0; i < maxPages; i++) {
      const page = await p.listPage(prefix, after, pageSize);
      assert.ok(page.length <= pageSize);
      all.push(...page);
      if (page.length < pageSize) return all;
      after = page[page.length - 1] as string;
    }
    assert.fail(`listPage did not finish within ${maxPages} pages`);
  }

  /** The children of prefix the slow, obvious way: every key, mapped to its entry, deduplicated. */
  function naiveLevel(keys: Iterable<string>, prefix: string): string[] {
    const entries = new Set<string>();
    for (const key of keys) {
      if (!key.startsWith(prefix)) continue;
      const rest = key.slice(prefix.length);
      const slash = rest.indexOf('/');
      entries.add(slash === -1 ? rest : rest.slice(0, slash + 1));
    }
    return [...entries].sort(compareKeys);
  }

  describe(`${name}: physical conformance`, () => {
    test('get of a missing key is undefined; put, get, delete', () =>
      withStore(async (p) => {
        assert.equal(await p.get('a/b'), undefined);
        await p.put('a/b', Buffer.from('hello'));
        assert.deepEqual(await p.get('a/b'), Buffer.from('hello'));
        await p.delete('a/b');
        assert.equal(await p.get('a/b'), undefined);
        await p.delete('a/b'); // deleting a missing key is fine
        await p.delete('never/there');
      }));

    test('put overwrites', () =>
      withStore(async (p) => {
        await p.put('k', Buffer.from('one'));
        await p.put('k', Buffer.from('two'));
        assert.deepEqual(await p.get('k'), Buffer.from('two'));
        assert.deepEqual(await p.list(''), ['k']);
      }));

    test('binary values: every byte, empty, 1 MiB', () =>
      withStore(async (p) => {
        const every = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
        const big = randomBytes(1024 * 1024);
        await p.put('every', every);
        await p.put('empty', Buffer.alloc(0));
        await p.put('big', big);
        assert.deepEqual(await p.get('every'), every);
        const empty = await p.get('empty');
        assert.ok(Buffer.isBuffer(empty));
        assert.equal(empty.length, 0);
        assert.ok((await p.get('big'))?.equals(big));
      }));

    test('stored bytes are copies: mutating the input or the output changes nothing', () =>
      withStore(async (p) => {
        const input = Buffer.from('original');
        const pending = p.put('k', input);
        input.fill(0x41); // before the write has even resolved
        await pending;
        const batchValue = Buffer.from('batched');
        const batched = p.batch([{ type: 'put', key: 'b', value: batchValue }]);
        batchValue.fill(0x42);
        await batched;
        const out = await p.get('k');
        assert.deepEqual(out, Buffer.from('original'));
        out?.fill(0x43);
        assert.deepEqual(await p.get('k'), Buffer.from('original'));
        assert.deepEqual(await p.get('b'), Buffer.from('batched'));
      }));

    test('keys with unicode and spaces', () =>
      withStore(async (p) => {
        const keys = ['dir with space/file name', 'ключ/значение', 'emoji/😀 grin', '日本/語', 'x/ü'];
        for (const key of keys) await p.put(key, Buffer.from(key));
        for (const key of keys) assert.deepEqual(await p.get(key), Buffer.from(key));
        assert.deepEqual(await p.list(''), ['dir with space/', 'emoji/', 'x/', 'ключ/', '日本/']);
        assert.deepEqual(await p.list('dir with space/'), ['file name']);
        assert.deepEqual(await p.list('emoji/'), ['😀 grin']);
      }));

    test('keys sort by code point (UTF-8 byte order), in list and listPage alike', () =>
      withStore(async (p) => {
        // UTF-16 code unit order would put the emoji (a surrogate pair) before U+FFFD and U+E000.
        await putAll(p, ['o/😀', 'o/\uFFFD', 'o/\uE000', 'o/z', 'o/\u00e9']);
        const expected = ['z', '\u00e9', '\uE000', '\uFFFD', '😀'];
        assert.deepEqual(await p.list('o/'), expected);
        assert.deepEqual(await pageThrough(p, 'o/', 2, 10), expected);
        assert.deepEqual(await p.listPage('o/', '\uFFFD', 10), ['😀']);
      }));

    test('list: one level, leaf and folder of the same name, nested folders, sorted', () =>
      withStore(async (p) => {
        await putAll(p, ['a', 'a/x', 'a/y/z', 'a-b', 'b/c/d/e', 'c', 'top/leaf', 'top/dir/deep/er']);
        assert.deepEqual(await p.list(''), ['a', 'a-b', 'a/', 'b/', 'c', 'top/']);
        assert.deepEqual(await p.list('a/'), ['x', 'y/']);
        assert.deepEqual(await p.list('a/y/'), ['z']);
        assert.deepEqual(await p.list('b/'), ['c/']);
        assert.deepEqual(await p.list('b/c/'), ['d/']);
        assert.deepEqual(await p.list('top/'), ['dir/', 'leaf']);
        assert.deepEqual(await p.list('missing/'), []);
        assert.deepEqual(await p.list('a/x/'), []);
      }));

    test('list reflects deletes: an emptied folder disappears', () =>
      withStore(async (p) => {
        await putAll(p, ['f/one', 'f/sub/two', 'g']);
        await p.delete('f/sub/two');
        assert.deepEqual(await p.list('f/'), ['one']);
        await p.delete('f/one');
        assert.deepEqual(await p.list(''), ['g']);
        assert.deepEqual(await p.list('f/'), []);
      }));

    test('list of an empty store', () =>
      withStore(async (p) => {
        assert.deepEqual(await p.list(''), []);
        assert.deepEqual(await p.listPage('', '', 5), []);
      }));

    test('listPage through 1,000 entries in pages of 7 equals list', () =>
      withStore(async (p) => {
        const keys: string[] = [];
        for (let i = 0; i < 1000; i++) {
          const name = `k${String(i).padStart(4, '0')}`;
          // Every third entry is a folder, every fifth both a leaf and a folder.
          if (i % 3 === 0) keys.push(`p/${name}/child`, `p/${name}/more/deep`);
          else keys.push(`p/${name}`);
          if (i % 5 === 0 && i % 3 === 0) keys.push(`p/${name}`);
        }
        keys.push('p-sibling', 'q/outside');
        await putAll(p, keys);
        const listed = await p.list('p/');
        assert.equal(listed.length, 1000 + Math.ceil(1000 / 15));
        assert.deepEqual(await pageThrough(p, 'p/', 7, 1000), listed);
        const rootListed = await p.list('');
        assert.deepEqual(rootListed, ['p-sibling', 'p/', 'q/']);
        assert.deepEqual(await pageThrough(p, '', 1, 10), rootListed);
      }));

    test('listPage: after a folder skips its contents; after a leaf keeps its folder twin', () =>
      withStore(async (p) => {
        await putAll(p, ['a', 'a/1', 'a/2', 'a-b', 'b', 'c/1']);
        assert.deepEqual(await p.list(''), ['a', 'a-b', 'a/', 'b', 'c/']);
        assert.deepEqual(await p.listPage('', 'a', 10), ['a-b', 'a/', 'b', 'c/']);
        assert.deepEqual(await p.listPage('', 'a/', 10), ['b', 'c/']);
        assert.deepEqual(await p.listPage('', 'a-b', 2), ['a/', 'b']);
        // `after` need not be an existing entry.
        assert.deepEqual(await p.listPage('', 'aa', 10), ['b', 'c/']);
        assert.deepEqual(await p.listPage('', 'a/1', 10), ['b', 'c/']);
        assert.deepEqual(await p.listPage('', 'c/', 10), []);
        assert.deepEqual(await p.listPage('', 'zzz', 10), []);
        // A non-positive limit means no limit.
        assert.deepEqual(await p.listPage('', '', 0), await p.list(''));
        assert.deepEqual(await p.listPage('', 'a-b', -1), ['a/', 'b', 'c/']);
        await assert.rejects(p.listPage('', '', 1.5), RangeError);
      }));

    test('list and listPage agree with a naive model on random keys', () =>
      withStore(async (p) => {
        // Deterministic pseudo-random keys over an alphabet full of ordering traps.
        let seed = 0x2545f491;
        const next = (n: number): number => {
          seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
          return (seed >>> 8) % n;
        };
        const alphabet = ['a', 'b', '-', '0', '.', 'é', '\uFFFD', '😀', 'a/', 'b/', '/'];
        const keys = new Set<string>();
        for (let i = 0; i < 400; i++) {
          let key = 'r/';
          const length = 1 + next(6);
          for (let j = 0; j < length; j++) key += alphabet[next(alphabet.length)];
          if (key.includes('//') || key.endsWith('/')) continue;
          keys.add(key);
        }
        await putAll(p, [...keys]);
        const prefixes = new Set(['', 'r/']);
        for (const key of keys) {
          for (let at = key.indexOf('/'); at !== -1; at = key.indexOf('/', at + 1)) prefixes.add(key.slice(0, at + 1));
        }
        for (const prefix of prefixes) {
          const expected = naiveLevel(keys, prefix);
          assert.deepEqual(await p.list(prefix), expected, `list(${JSON.stringify(prefix)})`);
          const candidates = [...expected, 'a', 'a-', 'a/b', '\uFFFD', '😀/'];
          for (const after of candidates) {
            const limit = 1 + next(4);
            const want = expected.filter((e) => compareKeys(e, after) > 0).slice(0, limit);
            assert.deepEqual(await p.listPage(prefix, after, limit), want, `listPage(${JSON.stringify([prefix, after, limit])})`);
          }
        }
      }));

    test('batch applies all ops, in order', () =>
      withStore(async (p) => {
        await p.put('gone', Buffer.from('x'));
        await p.batch([
          { type: 'put', key: 'k1', value: Buffer.from('first') },
          { type: 'put', key: 'k1', value: Buffer.from('second') },
          { type: 'put', key: 'k2', value: Buffer.from('v') },
          { type: 'delete', key: 'k2' },
          { type: 'delete', key: 'k3' },
          { type: 'put', key: 'k3', value: Buffer.from('back') },
          { type: 'delete', key: 'gone' },
        ]);
        assert.deepEqual(await p.get('k1'), Buffer.from('second'));
        assert.equal(await p.get('k2'), undefined);
        assert.deepEqual(await p.get('k3'), Buffer.from('back'));
        assert.equal(await p.get('gone'), undefined);
        assert.deepEqual(await p.list(''), ['k1', 'k3']);
        await p.batch([]);
      }));

    test('a batch with an invalid key fails whole and writes nothing', () =>
      withStore(async (p) => {
        await p.put('keep', Buffer.from('old'));
        await assert.rejects(
          p.batch([
            { type: 'put', key: 'new', value: Buffer.from('v') },
            { type: 'delete', key: 'keep' },
            { type: 'put', key: '/bad', value: Buffer.from('v') },
          ]),
          InvalidKeyError,
        );
        assert.equal(await p.get('new'), undefined);
        assert.deepEqual(await p.get('keep'), Buffer.from('old'));
        assert.deepEqual(await p.list(''), ['keep']);
      }));

    test('200 concurrent puts and batches all land', () =>
      withStore(async (p) => {
        const writes: Promise<void>[] = [];
        for (let i = 0; i < 200; i++) writes.push(p.put(`c/${i}`, Buffer.from(String(i))));
        for (let i = 0; i < 20; i++) {
          writes.push(p.batch([
            { type: 'put', key: `d/${i}/a`, value: Buffer.from('a') },
            { type: 'put', key: `d/${i}/b`, value: Buffer.from('b') },
          ]));
        }
        await Promise.all(writes);
        for (let i = 0; i < 200; i++) assert.deepEqual(await p.get(`c/${i}`), Buffer.from(String(i)));
        assert.equal((await p.list('c/')).length, 200);
        assert.equal((await p.list('d/')).length, 20);
      }));

    test('invalid keys and prefixes are rejected', () =>
      withStore(async (p) => {
        const bad = ['', '/leading', 'nul\0inside', 'x'.repeat(2049), 'lone\uD800surrogate', 'lone\uDC00'];
        for (const key of bad) {
          await assert.rejects(p.put(key, Buffer.from('v')), InvalidKeyError);
          await assert.rejects(p.get(key), InvalidKeyError);
          await assert.rejects(p.delete(key), InvalidKeyError);
        }
        await p.put('x'.repeat(2048), Buffer.from('longest allowed'));
        for (const prefix of ['no-slash', '/abs/', 'nul\0/']) {
          await assert.rejects(p.list(prefix), InvalidKeyError);
          await assert.rejects(p.listPage(prefix, '', 10), InvalidKeyError);
        }
        await assert.rejects(p.put('k', 'not bytes' as unknown as Buffer), TypeError);
        assert.deepEqual(await p.list(''), ['x'.repeat(2048)]);
      }));

    test('after close every call rejects, and close is idempotent', async () => {
      const { physical: p, cleanup } = await open();
      try {
        await p.put('k', Buffer.from('v'));
        await p.close();
        await assert.rejects(p.get('k'), StorageClosedError);
        await assert.rejects(p.put('k', Buffer.from('v')), StorageClosedError);
        await assert.rejects(p.delete('k'), StorageClosedError);
        await assert.rejects(p.list(''), StorageClosedError);
        await assert.rejects(p.listPage('', '', 1), StorageClosedError);
        await assert.rejects(p.batch([{ type: 'delete', key: 'k' }]), StorageClosedError);
        await assert.rejects(p.batch([]), StorageClosedError);
        await p.close();
      } finally {
        await cleanup();
      }
    });

    test('writes issued before close are kept', async () => {
      const { physical: p, cleanup } = await open();
      try {
        const writes = [p.put('w/1', Buffer.from('1')), p.batch([{ type: 'put', key: 'w/2', value: Buffer.from('2') }])];
        await p.close();
        await Promise.all(writes);
      } finally {
        await cleanup();
      }
    });
  });
}
