/**
 * Key pairs of OIDC named keys: generation (off the event loop: an RSA key takes tens of
 * milliseconds), JWS signing and verification, and the public JWK that .well-known/keys shows.
 * Private keys are PKCS#8 PEM, stored only below the barrier.
 */
import { createPrivateKey, createPublicKey, generateKeyPair, sign, verify, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import { uuid } from '../../util/random.js';

export const ALGORITHMS = ['RS256', 'RS384', 'RS512', 'ES256', 'ES384', 'ES512', 'EdDSA'] as const;
export type Algorithm = (typeof ALGORITHMS)[number];

export function isAlgorithm(s: string): s is Algorithm {
  return (ALGORITHMS as readonly string[]).includes(s);
}

/** The public half as published: a JWK with its key id, algorithm and use. */
export interface PublicJwk {
  readonly kid: string;
  readonly kty: string;
  readonly alg: Algorithm;
  readonly use: 'sig';
  readonly [member: string]: string;
}

export interface KeyPair {
  readonly kid: string;
  readonly privatePem: string;
  readonly publicJwk: PublicJwk;
}

const generate = promisify(generateKeyPair);

/** Hash of each algorithm (null: EdDSA hashes internally). */
function hashOf(alg: Algorithm): string | null {
  if (alg === 'EdDSA') return null;
  return `sha${alg.slice(2)}`;
}

async function generatePrivate(alg: Algorithm): Promise<KeyObject> {
  if (alg.startsWith('RS')) return (await generate('rsa', { modulusLength: 2048 })).privateKey;
  if (alg === 'ES256') return (await generate('ec', { namedCurve: 'P-256' })).privateKey;
  if (alg === 'ES384') return (await generate('ec', { namedCurve: 'P-384' })).privateKey;
  if (alg === 'ES512') return (await generate('ec', { namedCurve: 'P-521' })).privateKey;
  return (await generate('ed25519')).privateKey;
}

export async function newKeyPair(alg: Algorithm): Promise<KeyPair> {
  const key = await generatePrivate(alg);
  const kid = uuid();
  const jwk = createPublicKey(key).export({ format: 'jwk' }) as Record<string, string>;
  return {
    kid,
    privatePem: key.export({ format: 'pem', type: 'pkcs8' }).toString(),
    publicJwk: { ...jwk, kid, alg, use: 'sig' } as PublicJwk,
  };
}

/** Parsed private keys by kid: PEM parsing costs more than the signature itself. Bounded. */
const privateKeys = new Map<string, KeyObject>();
const MAX_CACHED_KEYS = 256;

function privateKeyOf(pair: KeyPair): KeyObject {
  let key = privateKeys.get(pair.kid);
  if (key === undefined) {
    if (privateKeys.size >= MAX_CACHED_KEYS) privateKeys.clear();
    key = createPrivateKey(pair.privatePem);
    privateKeys.set(pair.kid, key);
  }
  return key;
}

function base64url(data: Buffer | string): string {
  return Buffer.from(data).toString('base64url');
}

/** A compact JWS (JWT) of `claims`, signed with the pair under its algorithm. */
export function signJwt(pair: KeyPair, claims: Record<string, unknown>): string {
  const alg = pair.publicJwk.alg;
  const input = `${base64url(JSON.stringify({ alg, kid: pair.kid }))}.${base64url(JSON.stringify(claims))}`;
  const key = privateKeyOf(pair);
  const signature = alg.startsWith('ES') ? sign(hashOf(alg), Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' }) : sign(hashOf(alg), Buffer.from(input), key);
  return `${input}.${base64url(signature)}`;
}

export interface DecodedJwt {
  readonly header: { readonly alg?: unknown; readonly kid?: unknown };
  readonly claims: Record<string, unknown>;
  readonly signingInput: string;
  readonly signature: Buffer;
}

/** Split and decode a compact JWS; undefined when it is not one. */
export function decodeJwt(token: string): DecodedJwt | undefined {
  const parts = token.split('.');
  if (parts.length !== 3) return undefined;
  const [h, c, s] = parts as [string, string, string];
  try {
    const header = JSON.parse(Buffer.from(h, 'base64url').toString('utf8')) as unknown;
    const claims = JSON.parse(Buffer.from(c, 'base64url').toString('utf8')) as unknown;
    if (typeof header !== 'object' || header === null || typeof claims !== 'object' || claims === null || Array.isArray(claims)) return undefined;
    return { header, claims: claims as Record<string, unknown>, signingInput: `${h}.${c}`, signature: Buffer.from(s, 'base64url') };
  } catch {
    return undefined;
  }
}

/** Whether `jwt` carries a valid signature by the public key `jwk` (its algorithm must be the key's). */
export function verifyJwt(jwt: DecodedJwt, jwk: PublicJwk): boolean {
  if (jwt.header.alg !== jwk.alg) return false;
  const { kid: _kid, alg, use: _use, ...material } = jwk;
  const key = createPublicKey({ key: material, format: 'jwk' });
  const data = Buffer.from(jwt.signingInput);
  try {
    return alg.startsWith('ES') ? verify(hashOf(alg), data, { key, dsaEncoding: 'ieee-p1363' }, jwt.signature) : verify(hashOf(alg), data, key, jwt.signature);
  } catch {
    return false;
  }
}
