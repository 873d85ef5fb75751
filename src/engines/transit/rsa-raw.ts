/**
 * RSA signatures over a digest the caller already computed (prehashed=true). Node only signs
 * messages it hashes itself, so the encodings are built here (RFC 8017 EMSA-PKCS1-v1_5 and
 * EMSA-PSS) and the private-key operation is OpenSSL's raw RSA (blinded, constant time).
 */
import { constants, createHash, privateEncrypt, publicDecrypt, randomBytes, timingSafeEqual, type KeyObject } from 'node:crypto';
import { BadRequestError } from '../../errors.js';

/** DER of the AlgorithmIdentifier OIDs in a PKCS#1 v1.5 DigestInfo. */
const DIGEST_OIDS: Readonly<Record<string, string>> = {
  sha1: '2b0e03021a',
  sha224: '608648016503040204',
  sha256: '608648016503040201',
  sha384: '608648016503040202',
  sha512: '608648016503040203',
  'sha3-224': '608648016503040207',
  'sha3-256': '608648016503040208',
  'sha3-384': '608648016503040209',
  'sha3-512': '60864801650304020a',
};

export function digestSize(hash: string): number {
  return createHash(hash).digest().length;
}

function digestInfo(hash: string, digest: Buffer): Buffer {
  const oid = Buffer.from(DIGEST_OIDS[hash] ?? '', 'hex');
  const algId = Buffer.concat([Buffer.of(0x30, oid.length + 4, 0x06, oid.length), oid, Buffer.of(0x05, 0x00)]);
  const octets = Buffer.concat([Buffer.of(0x04, digest.length), digest]);
  return Buffer.concat([Buffer.of(0x30, algId.length + octets.length), algId, octets]);
}

function checkDigest(hash: string | undefined, digest: Buffer): void {
  if (hash !== undefined && digest.length !== digestSize(hash)) throw new BadRequestError('crypto/rsa: input must be hashed message');
}

/** PKCS#1 v1.5 over a digest; `hash` undefined is hash_algorithm=none (no DigestInfo). */
export function signPkcs1Digest(key: KeyObject, hash: string | undefined, digest: Buffer): Buffer {
  checkDigest(hash, digest);
  const payload = hash === undefined ? digest : digestInfo(hash, digest);
  try {
    return privateEncrypt({ key, padding: constants.RSA_PKCS1_PADDING }, payload);
  } catch {
    throw new BadRequestError('crypto/rsa: message too long for RSA key size');
  }
}

export function verifyPkcs1Digest(key: KeyObject, hash: string | undefined, digest: Buffer, sig: Buffer): boolean {
  let recovered: Buffer;
  try {
    recovered = publicDecrypt({ key, padding: constants.RSA_PKCS1_PADDING }, sig);
  } catch {
    return false;
  }
  const expected = hash === undefined ? digest : digestInfo(hash, digest);
  return recovered.length === expected.length && timingSafeEqual(recovered, expected);
}

function mgf1(hash: string, seed: Buffer, length: number): Buffer {
  const blocks: Buffer[] = [];
  let total = 0;
  for (let counter = 0; total < length; counter++) {
    const c = Buffer.alloc(4);
    c.writeUInt32BE(counter);
    const block = createHash(hash).update(seed).update(c).digest();
    blocks.push(block);
    total += block.length;
  }
  return Buffer.concat(blocks).subarray(0, length);
}

function modulusBits(key: KeyObject): number {
  return key.asymmetricKeyDetails?.modulusLength ?? 0;
}

/** saltLength: a byte count, or 'max' (as large as fits, Go's "auto" when signing). */
export function signPssDigest(key: KeyObject, hash: string, digest: Buffer, saltLength: number | 'max'): Buffer {
  checkDigest(hash, digest);
  const bits = modulusBits(key);
  const emBits = bits - 1;
  const emLen = Math.ceil(emBits / 8);
  const hLen = digest.length;
  const sLen = saltLength === 'max' ? emLen - hLen - 2 : saltLength;
  if (sLen < 0 || emLen < hLen + sLen + 2) throw new BadRequestError('crypto/rsa: key size too small for PSS signature');
  const salt = randomBytes(sLen);
  const h = createHash(hash).update(Buffer.alloc(8)).update(digest).update(salt).digest();
  const db = Buffer.concat([Buffer.alloc(emLen - sLen - hLen - 2), Buffer.of(0x01), salt]);
  const mask = mgf1(hash, h, db.length);
  for (let i = 0; i < db.length; i++) db[i]! ^= mask[i]!;
  db[0]! &= 0xff >> (8 * emLen - emBits);
  const em = Buffer.concat([db, h, Buffer.of(0xbc)]);
  const k = Math.ceil(bits / 8);
  const block = em.length < k ? Buffer.concat([Buffer.alloc(k - em.length), em]) : em;
  return privateEncrypt({ key, padding: constants.RSA_NO_PADDING }, block);
}

/** saltLength: a byte count, or 'auto' (recovered from the encoding). */
export function verifyPssDigest(key: KeyObject, hash: string, digest: Buffer, sig: Buffer, saltLength: number | 'auto'): boolean {
  const bits = modulusBits(key);
  const k = Math.ceil(bits / 8);
  if (sig.length !== k || digest.length !== digestSize(hash)) return false;
  let block: Buffer;
  try {
    block = publicDecrypt({ key, padding: constants.RSA_NO_PADDING }, sig);
  } catch {
    return false;
  }
  const emBits = bits - 1;
  const emLen = Math.ceil(emBits / 8);
  if (block.length === k && k > emLen && block[0] !== 0) return false;
  const em = block.subarray(block.length - emLen);
  const hLen = digest.length;
  if (emLen < hLen + 2 || em[emLen - 1] !== 0xbc) return false;
  const db = Buffer.from(em.subarray(0, emLen - hLen - 1));
  const h = em.subarray(emLen - hLen - 1, emLen - 1);
  const topBits = 8 * emLen - emBits;
  if ((db[0]! & ~(0xff >> topBits) & 0xff) !== 0) return false;
  const mask = mgf1(hash, h, db.length);
  for (let i = 0; i < db.length; i++) db[i]! ^= mask[i]!;
  db[0]! &= 0xff >> topBits;
  const one = db.indexOf(0x01);
  if (one < 0 || db.subarray(0, one).some((b) => b !== 0)) return false;
  const salt = db.subarray(one + 1);
  if (saltLength !== 'auto' && salt.length !== saltLength) return false;
  const expected = createHash(hash).update(Buffer.alloc(8)).update(digest).update(salt).digest();
  return timingSafeEqual(expected, h);
}
