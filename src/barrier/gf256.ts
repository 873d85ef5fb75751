/**
 * Arithmetic in GF(2^8) with the AES reduction polynomial x^8 + x^4 + x^3 + x + 1 (0x11b),
 * done through log/exp tables over the generator 3. Addition and subtraction are both XOR.
 *
 * Table lookups are indexed by secret-dependent values; on a server that only splits and
 * combines a 32-byte key a handful of times per unseal this is an accepted trade-off, not a
 * general-purpose constant-time field implementation.
 */

const EXP = new Uint8Array(510);
const LOG = new Uint8Array(256);

(function buildTables(): void {
  let x = 1;
  for (let i = 0; i < 255; i++) {
    EXP[i] = x;
    LOG[x] = i;
    // Multiply x by the generator 3: x*2 (with reduction) XOR x.
    let doubled = x << 1;
    if (doubled & 0x100) doubled ^= 0x11b;
    x = doubled ^ x;
  }
  // A second copy lets mul index log(a)+log(b) (at most 508) without a modulo.
  for (let i = 255; i < 510; i++) EXP[i] = EXP[i - 255]!;
})();

export function add(a: number, b: number): number {
  return (a ^ b) & 0xff;
}

export function mul(a: number, b: number): number {
  if (a === 0 || b === 0) return 0;
  return EXP[LOG[a]! + LOG[b]!]!;
}

/** a / b; throws on division by zero, which would mean two shares share an x-coordinate. */
export function div(a: number, b: number): number {
  if (b === 0) throw new RangeError('GF(2^8) division by zero');
  if (a === 0) return 0;
  return EXP[LOG[a]! + 255 - LOG[b]!]!;
}
