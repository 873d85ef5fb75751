/**
 * The key types transit knows, with what each can do. Everything that branches on a key's
 * type asks this table, so adding a type is one entry plus its crypto.
 */

export type SymmetricType = 'aes128-gcm96' | 'aes256-gcm96' | 'chacha20-poly1305';
export type EcdsaType = 'ecdsa-p256' | 'ecdsa-p384' | 'ecdsa-p521';
export type RsaType = 'rsa-2048' | 'rsa-3072' | 'rsa-4096';
export type KeyType = SymmetricType | EcdsaType | RsaType | 'ed25519' | 'hmac';

export interface KeyTypeInfo {
  readonly family: 'symmetric' | 'ecdsa' | 'rsa' | 'ed25519' | 'hmac';
  readonly encryption: boolean;
  readonly decryption: boolean;
  readonly signing: boolean;
  readonly derivation: boolean;
  /** Symmetric key (and derived key) length in bytes; for hmac the default `key_size`; 0 for asymmetric types. */
  readonly keyBytes: number;
  /** Node's cipher name for symmetric types. */
  readonly cipher?: 'aes-128-gcm' | 'aes-256-gcm' | 'chacha20-poly1305';
  /** Node's curve name (ecdsa) or modulus length (rsa). */
  readonly curve?: 'P-256' | 'P-384' | 'P-521';
  readonly modulusBits?: number;
}

const symmetric = (keyBytes: number, cipher: KeyTypeInfo['cipher']): KeyTypeInfo => ({
  family: 'symmetric',
  encryption: true,
  decryption: true,
  signing: false,
  derivation: true,
  keyBytes,
  cipher,
});
const ecdsa = (curve: KeyTypeInfo['curve']): KeyTypeInfo => ({
  family: 'ecdsa',
  encryption: false,
  decryption: false,
  signing: true,
  derivation: false,
  keyBytes: 0,
  curve,
});
const rsa = (modulusBits: number): KeyTypeInfo => ({
  family: 'rsa',
  encryption: true,
  decryption: true,
  signing: true,
  derivation: false,
  keyBytes: 0,
  modulusBits,
});

export const KEY_TYPES: Readonly<Record<KeyType, KeyTypeInfo>> = {
  'aes128-gcm96': symmetric(16, 'aes-128-gcm'),
  'aes256-gcm96': symmetric(32, 'aes-256-gcm'),
  'chacha20-poly1305': symmetric(32, 'chacha20-poly1305'),
  ed25519: { family: 'ed25519', encryption: false, decryption: false, signing: true, derivation: true, keyBytes: 32 },
  'ecdsa-p256': ecdsa('P-256'),
  'ecdsa-p384': ecdsa('P-384'),
  'ecdsa-p521': ecdsa('P-521'),
  'rsa-2048': rsa(2048),
  'rsa-3072': rsa(3072),
  'rsa-4096': rsa(4096),
  // The key is the version's HMAC key itself: hmac/ and verify with `hmac` only.
  hmac: { family: 'hmac', encryption: false, decryption: false, signing: false, derivation: false, keyBytes: 32 },
};

/** Vault's bounds on `key_size` for hmac keys (bytes). */
export const MIN_HMAC_KEY_SIZE = 32;
export const MAX_HMAC_KEY_SIZE = 512;

export function isKeyType(s: string): s is KeyType {
  return Object.prototype.hasOwnProperty.call(KEY_TYPES, s);
}

export function typeInfo(type: KeyType): KeyTypeInfo {
  return KEY_TYPES[type];
}

/** Hash algorithm names of the API -> Node's digest names. */
export const HASHES: Readonly<Record<string, string>> = {
  sha1: 'sha1',
  'sha2-224': 'sha224',
  'sha2-256': 'sha256',
  'sha2-384': 'sha384',
  'sha2-512': 'sha512',
  'sha3-224': 'sha3-224',
  'sha3-256': 'sha3-256',
  'sha3-384': 'sha3-384',
  'sha3-512': 'sha3-512',
};

export function nodeHash(name: string): string | undefined {
  return Object.prototype.hasOwnProperty.call(HASHES, name) ? HASHES[name] : undefined;
}
