/**
 * ECDSA over a digest the caller already computed (prehashed=true), which Node cannot do: it
 * always hashes the message itself.
 *
 * Signing keeps the secret-dependent elliptic-curve work in OpenSSL: the nonce point R = kG
 * comes from a freshly generated native key pair (k, R). What remains is scalar arithmetic
 * modulo the group order, done with BigInt on blinded values (k·b and d + t·n for random b,
 * t), so operand sizes and inverses do not track the secrets. Verification only touches
 * public values and runs here in Jacobian coordinates.
 */
import { createECDH, generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import { BadRequestError } from '../../errors.js';

interface Curve {
  readonly node: string;
  readonly p: bigint;
  readonly n: bigint;
  readonly bytes: number;
  readonly g: Point;
}

/** Jacobian coordinates; z = 0 is the point at infinity. */
interface Point {
  readonly x: bigint;
  readonly y: bigint;
  readonly z: bigint;
}

const hex = (b: Buffer): bigint => (b.length === 0 ? 0n : BigInt(`0x${b.toString('hex')}`));

function toBytes(v: bigint, length: number): Buffer {
  return Buffer.from(v.toString(16).padStart(length * 2, '0'), 'hex');
}

const mod = (a: bigint, m: bigint): bigint => {
  const r = a % m;
  return r < 0n ? r + m : r;
};

function modPow(base: bigint, exp: bigint, m: bigint): bigint {
  let result = 1n;
  let b = mod(base, m);
  let e = exp;
  while (e > 0n) {
    if (e & 1n) result = (result * b) % m;
    b = (b * b) % m;
    e >>= 1n;
  }
  return result;
}

/** Inverse modulo a prime. */
const inv = (a: bigint, m: bigint): bigint => modPow(a, m - 2n, m);

/** The generator, read from OpenSSL as the public key of the private scalar 1. */
function generator(node: string, bytes: number): Point {
  const ecdh = createECDH(node);
  ecdh.setPrivateKey(toBytes(1n, bytes));
  const pub = ecdh.getPublicKey();
  return { x: hex(pub.subarray(1, 1 + bytes)), y: hex(pub.subarray(1 + bytes)), z: 1n };
}

function curve(node: string, p: bigint, n: string, bytes: number): Curve {
  return { node, p, n: BigInt(`0x${n}`), bytes, g: generator(node, bytes) };
}

const CURVES = new Map<string, Curve>();

/** Curve constants (FIPS 186-4), built on first use. */
function curveOf(name: string): Curve {
  let c = CURVES.get(name);
  if (c !== undefined) return c;
  if (name === 'prime256v1') {
    c = curve(name, 2n ** 256n - 2n ** 224n + 2n ** 192n + 2n ** 96n - 1n, 'ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551', 32);
  } else if (name === 'secp384r1') {
    c = curve(
      name,
      2n ** 384n - 2n ** 128n - 2n ** 96n + 2n ** 32n - 1n,
      'ffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf581a0db248b0a77aecec196accc52973',
      48,
    );
  } else if (name === 'secp521r1') {
    c = curve(
      name,
      2n ** 521n - 1n,
      '01fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffa51868783bf2f966b7fcc0148f709a5d03bb5c9b8899c47aebb6fb71e91386409',
      66,
    );
  } else {
    throw new BadRequestError(`unsupported curve ${name}`);
  }
  CURVES.set(name, c);
  return c;
}

/** Exposed for tests: the order and generator of a curve by OpenSSL name. */
export function curveParams(name: string): { n: bigint; gx: bigint; gy: bigint; bytes: number } {
  const c = curveOf(name);
  return { n: c.n, gx: c.g.x, gy: c.g.y, bytes: c.bytes };
}

function double(c: Curve, a: Point): Point {
  if (a.z === 0n || a.y === 0n) return { x: 0n, y: 1n, z: 0n };
  const p = c.p;
  const delta = (a.z * a.z) % p;
  const gamma = (a.y * a.y) % p;
  const beta = (a.x * gamma) % p;
  const alpha = mod(3n * (a.x - delta) * (a.x + delta), p);
  const x3 = mod(alpha * alpha - 8n * beta, p);
  const z3 = mod((a.y + a.z) * (a.y + a.z) - gamma - delta, p);
  const y3 = mod(alpha * (4n * beta - x3) - 8n * gamma * gamma, p);
  return { x: x3, y: y3, z: z3 };
}

function add(c: Curve, a: Point, b: Point): Point {
  if (a.z === 0n) return b;
  if (b.z === 0n) return a;
  const p = c.p;
  const z1z1 = (a.z * a.z) % p;
  const z2z2 = (b.z * b.z) % p;
  const u1 = (a.x * z2z2) % p;
  const u2 = (b.x * z1z1) % p;
  const s1 = (((a.y * b.z) % p) * z2z2) % p;
  const s2 = (((b.y * a.z) % p) * z1z1) % p;
  const h = mod(u2 - u1, p);
  const r = mod(2n * (s2 - s1), p);
  if (h === 0n) return r === 0n ? double(c, a) : { x: 0n, y: 1n, z: 0n };
  const i = (4n * h * h) % p;
  const j = (h * i) % p;
  const v = (u1 * i) % p;
  const x3 = mod(r * r - j - 2n * v, p);
  const y3 = mod(r * (v - x3) - 2n * s1 * j, p);
  const z3 = mod(((a.z + b.z) * (a.z + b.z) - z1z1 - z2z2) * h, p);
  return { x: x3, y: y3, z: z3 };
}

/** Public scalars only (verification): plain double-and-add. */
function multiply(c: Curve, pt: Point, k: bigint): Point {
  let acc: Point = { x: 0n, y: 1n, z: 0n };
  for (let i = k.toString(2).length - 1; i >= 0; i--) {
    acc = double(c, acc);
    if ((k >> BigInt(i)) & 1n) acc = add(c, acc, pt);
  }
  return acc;
}

function affineX(c: Curve, pt: Point): bigint {
  const zi = inv(pt.z, c.p);
  return (pt.x * zi * zi) % c.p;
}

/** Go's hashToInt: the leftmost bits of the digest, as many as the order has. */
function digestToInt(c: Curve, digest: Buffer): bigint {
  const orderBits = c.n.toString(2).length;
  const trimmed = digest.subarray(0, Math.ceil(orderBits / 8));
  const excess = trimmed.length * 8 - orderBits;
  const e = hex(trimmed);
  return excess > 0 ? e >> BigInt(excess) : e;
}

function randomScalar(c: Curve): bigint {
  return mod(hex(randomBytes(c.bytes + 16)), c.n - 1n) + 1n;
}

// ---- DER for ECDSA-Sig-Value ----

function derLength(n: number): Buffer {
  if (n < 0x80) return Buffer.of(n);
  return n < 0x100 ? Buffer.of(0x81, n) : Buffer.of(0x82, n >> 8, n & 0xff);
}

function derInteger(v: bigint): Buffer {
  const digits = v.toString(16);
  let b = Buffer.from(digits.length % 2 === 1 ? `0${digits}` : digits, 'hex');
  if (b[0]! & 0x80) b = Buffer.concat([Buffer.of(0), b]);
  return Buffer.concat([Buffer.of(0x02), derLength(b.length), b]);
}

function encodeSig(c: Curve, r: bigint, s: bigint, encoding: 'der' | 'ieee-p1363'): Buffer {
  if (encoding === 'ieee-p1363') return Buffer.concat([toBytes(r, c.bytes), toBytes(s, c.bytes)]);
  const body = Buffer.concat([derInteger(r), derInteger(s)]);
  return Buffer.concat([Buffer.of(0x30), derLength(body.length), body]);
}

function readLength(buf: Buffer, at: number): { len: number; next: number } | undefined {
  const first = buf[at];
  if (first === undefined) return undefined;
  if (first < 0x80) return { len: first, next: at + 1 };
  const count = first & 0x7f;
  if (count === 0 || count > 2 || at + 1 + count > buf.length) return undefined;
  let len = 0;
  for (let i = 0; i < count; i++) len = (len << 8) | buf[at + 1 + i]!;
  return { len, next: at + 1 + count };
}

function decodeSig(c: Curve, sig: Buffer, encoding: 'der' | 'ieee-p1363'): { r: bigint; s: bigint } | undefined {
  if (encoding === 'ieee-p1363') {
    if (sig.length !== 2 * c.bytes) return undefined;
    return { r: hex(sig.subarray(0, c.bytes)), s: hex(sig.subarray(c.bytes)) };
  }
  if (sig[0] !== 0x30) return undefined;
  const seq = readLength(sig, 1);
  if (seq === undefined || seq.next + seq.len !== sig.length) return undefined;
  const ints: bigint[] = [];
  let at = seq.next;
  for (let i = 0; i < 2; i++) {
    if (sig[at] !== 0x02) return undefined;
    const l = readLength(sig, at + 1);
    if (l === undefined || l.len === 0 || l.next + l.len > sig.length) return undefined;
    ints.push(hex(sig.subarray(l.next, l.next + l.len)));
    at = l.next + l.len;
  }
  if (at !== sig.length) return undefined;
  return { r: ints[0]!, s: ints[1]! };
}

function curveNameOf(key: KeyObject): string {
  return key.asymmetricKeyDetails?.namedCurve ?? '';
}

export function signEcdsaDigest(privateKey: KeyObject, digest: Buffer, encoding: 'der' | 'ieee-p1363'): Buffer {
  const name = curveNameOf(privateKey);
  const c = curveOf(name);
  const d = hex(Buffer.from(privateKey.export({ format: 'jwk' }).d ?? '', 'base64url'));
  const e = digestToInt(c, digest);
  for (;;) {
    const eph = generateKeyPairSync('ec', { namedCurve: name }).privateKey.export({ format: 'jwk' });
    const k = hex(Buffer.from(eph.d ?? '', 'base64url'));
    const r = hex(Buffer.from(eph.x ?? '', 'base64url')) % c.n;
    if (r === 0n) continue;
    const b = randomScalar(c);
    const kInv = (b * inv((k * b) % c.n, c.n)) % c.n;
    const blindedD = d + randomScalar(c) * c.n;
    const s = (kInv * mod(e + r * blindedD, c.n)) % c.n;
    if (s === 0n) continue;
    return encodeSig(c, r, s, encoding);
  }
}

export function verifyEcdsaDigest(publicKey: KeyObject, digest: Buffer, sig: Buffer, encoding: 'der' | 'ieee-p1363'): boolean {
  const c = curveOf(curveNameOf(publicKey));
  const parsed = decodeSig(c, sig, encoding);
  if (parsed === undefined) return false;
  const { r, s } = parsed;
  if (r <= 0n || r >= c.n || s <= 0n || s >= c.n) return false;
  const jwk = publicKey.export({ format: 'jwk' });
  const q: Point = { x: hex(Buffer.from(jwk.x ?? '', 'base64url')), y: hex(Buffer.from(jwk.y ?? '', 'base64url')), z: 1n };
  const w = inv(s, c.n);
  const u1 = (digestToInt(c, digest) * w) % c.n;
  const u2 = (r * w) % c.n;
  const point = add(c, multiply(c, c.g, u1), multiply(c, q, u2));
  if (point.z === 0n) return false;
  return affineX(c, point) % c.n === r;
}
