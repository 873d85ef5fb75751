import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes, randomInt } from 'node:crypto';
import { add, div, mul } from '../../src/barrier/gf256.js';
import { ShamirError, combine, split } from '../../src/barrier/shamir.js';

/** Every k-element subset of 0..n-1 (small n only). */
function subsets(n: number, k: number): number[][] {
  const out: number[][] = [];
  const walk = (start: number, acc: number[]): void => {
    if (acc.length === k) {
      out.push([...acc]);
      return;
    }
    for (let i = start; i < n; i++) walk(i + 1, [...acc, i]);
  };
  walk(0, []);
  return out;
}

function shuffled<T>(xs: readonly T[]): T[] {
  const out = [...xs];
  for (let i = out.length - 1; i > 0; i--) {
    const j = randomInt(i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

describe('GF(2^8)', () => {
  it('multiplies as the AES field (FIPS-197 example 57 x 83 = c1)', () => {
    assert.equal(mul(0x57, 0x83), 0xc1);
    assert.equal(mul(0x57, 0x13), 0xfe);
  });

  it('has inverses: (a*b)/b = a for every a and non-zero b', () => {
    for (let a = 0; a < 256; a++) {
      for (let b = 1; b < 256; b++) assert.equal(div(mul(a, b), b), a);
    }
  });

  it('adds as XOR and refuses division by zero', () => {
    assert.equal(add(0x53, 0xca), 0x99);
    assert.throws(() => div(1, 0), RangeError);
  });
});

describe('shamir split/combine', () => {
  it('round-trips many (parts, threshold) combinations with random secrets', () => {
    const combos: [number, number][] = [
      [2, 2], [3, 2], [3, 3], [5, 3], [5, 5], [10, 4], [16, 16], [255, 2], [255, 255], [100, 37],
    ];
    for (const [n, t] of combos) {
      const secret = randomBytes(randomInt(1, 65));
      const shares = split(secret, n, t);
      assert.equal(shares.length, n);
      for (const s of shares) assert.equal(s.length, secret.length + 1);
      const xs = shares.map((s) => s[s.length - 1]!);
      assert.equal(new Set(xs).size, n, 'x-coordinates are distinct');
      assert.ok(xs.every((x) => x !== 0), 'x-coordinates are non-zero');
      assert.deepEqual(combine(shuffled(shares).slice(0, t)), secret, `n=${n} t=${t}`);
      assert.deepEqual(combine(shares), secret, `all ${n} shares also recover`);
    }
  });

  it('recovers from any t of n shares, in any order', () => {
    for (const [n, t] of [[5, 3], [6, 2], [6, 4], [7, 7]] as const) {
      const secret = randomBytes(32);
      const shares = split(secret, n, t);
      for (const subset of subsets(n, t)) {
        assert.deepEqual(combine(shuffled(subset.map((i) => shares[i]!))), secret);
      }
    }
  });

  it('t-1 shares do not recover the secret', () => {
    for (let trial = 0; trial < 50; trial++) {
      const n = randomInt(3, 12);
      const t = randomInt(3, n + 1);
      const secret = randomBytes(32);
      const shares = split(secret, n, t);
      assert.notDeepEqual(combine(shuffled(shares).slice(0, t - 1)), secret);
    }
  });

  it('with t-1 shares every candidate secret byte stays possible (threshold 2, one byte)', () => {
    // For t=2 a single share's y is s + a*x with a uniform: over many splits of a fixed secret
    // the y values cover (nearly) all of GF(2^8), so one share says nothing about s.
    const seen = new Set<number>();
    for (let i = 0; i < 2000; i++) seen.add(split(Buffer.from([0x42]), 2, 2)[0]![0]!);
    assert.ok(seen.size > 240, `share values spread over the field (${seen.size}/256)`);
  });

  it('handles 1-of-1 without splitting: the share is a copy of the secret', () => {
    const secret = randomBytes(32);
    const [share] = split(secret, 1, 1);
    assert.deepEqual(share, secret);
    share!.fill(0);
    assert.notDeepEqual(secret, Buffer.alloc(32), 'the share is a copy, not the caller buffer');
    const again = combine([secret]);
    assert.deepEqual(again, secret);
    again.fill(0);
    assert.notDeepEqual(secret, Buffer.alloc(32));
  });

  it('rejects bad split arguments', () => {
    const s = randomBytes(16);
    assert.throws(() => split(Buffer.alloc(0), 3, 2), ShamirError);
    assert.throws(() => split(s, 0, 0), ShamirError);
    assert.throws(() => split(s, 256, 2), /parts cannot exceed 255/);
    assert.throws(() => split(s, 3, 4), /threshold cannot be larger than parts/);
    assert.throws(() => split(s, 3, 1), /threshold must be at least 2/);
    assert.throws(() => split(s, 3, 0), ShamirError);
    assert.throws(() => split(s, 2.5, 2), /integers/);
  });

  it('rejects bad combine arguments', () => {
    const shares = split(randomBytes(16), 4, 2);
    assert.throws(() => combine([]), /no shares/);
    assert.throws(() => combine([shares[0]!, shares[1]!.subarray(1)]), /same length/);
    assert.throws(() => combine([shares[0]!, Buffer.from(shares[0]!)]), /duplicate share/);
    const zeroX = Buffer.from(shares[1]!);
    zeroX[zeroX.length - 1] = 0;
    assert.throws(() => combine([shares[0]!, zeroX]), /x-coordinate of zero/);
    assert.throws(() => combine([Buffer.from([1]), Buffer.from([2])]), /at least two bytes/);
  });

  it('never puts secret bytes in error messages', () => {
    const secret = Buffer.from('TOP-SECRET-VALUE');
    const shares = split(secret, 3, 2);
    try {
      combine([shares[0]!, shares[0]!]);
      assert.fail('expected an error');
    } catch (err) {
      assert.ok(err instanceof ShamirError);
      assert.ok(!err.message.includes('TOP-SECRET'));
      assert.ok(!err.message.includes(shares[0]!.toString('hex')));
    }
  });
});
