/**
 * One-time passwords for `operator generate-root`, and decoding of the encoded root token it
 * returns. The server XORs the new token's bytes with the OTP's bytes and sends the result as
 * base64 without padding; only the operator holding the OTP can recover the token, and that
 * happens here, in the CLI, never on the server.
 *
 * Current servers use a base62 OTP as long as the token (sys/generate-root/attempt reports
 * otp_length). Servers of the older scheme (otp_length 0) use a base64 OTP of 16 random bytes
 * and a UUID token; both are handled.
 */
import { randomBytes } from 'node:crypto';

const BASE62 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
/** Largest multiple of 62 below 256: bytes at or above it are rejected to keep the draw uniform. */
const UNBIASED_LIMIT = 248;
const LEGACY_OTP_BYTES = 16;

export class RootTokenDecodeError extends Error {}

/** A uniformly random base62 string of the given length. */
export function generateOtp(length: number, random: (n: number) => Buffer = randomBytes): string {
  if (!Number.isInteger(length) || length <= 0 || length > 4096) throw new RangeError(`invalid OTP length ${length}`);
  let out = '';
  // Each round keeps ~97% of bytes; 64 rounds of length*2 bytes cannot plausibly fall short.
  for (let round = 0; round < 64 && out.length < length; round++) {
    for (const b of random(length * 2)) {
      if (b >= UNBIASED_LIMIT) continue;
      out += BASE62[b % 62]!;
      if (out.length === length) break;
    }
  }
  if (out.length < length) throw new Error('random source produced too few usable bytes');
  return out;
}

/** The older scheme's OTP: 16 random bytes, base64 with padding. */
export function generateLegacyOtp(random: (n: number) => Buffer = randomBytes): string {
  return random(LEGACY_OTP_BYTES).toString('base64');
}

/** Strict base64 (standard or URL alphabet, padding optional); Buffer.from alone skips junk. */
function decodeBase64(text: string, what: string): Buffer {
  const s = text.trim();
  if (s === '' || !/^[A-Za-z0-9+/_-]+={0,2}$/.test(s) || s.replace(/=+$/, '').length % 4 === 1) {
    throw new RootTokenDecodeError(`${what} is not valid base64`);
  }
  return Buffer.from(s.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
}

function xor(a: Buffer, b: Buffer): Buffer {
  const out = Buffer.alloc(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i]! ^ b[i]!;
  return out;
}

function formatUuid(bytes: Buffer): string {
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** Recover the root token from the encoded token and the OTP used to start the attempt. */
export function decodeRootToken(encodedToken: string, otp: string): string {
  const encoded = decodeBase64(encodedToken, 'encoded token');
  const otpText = otp.trim();
  if (otpText === '') throw new RootTokenDecodeError('OTP is empty');
  const otpChars = Buffer.from(otpText, 'utf8');
  if (otpChars.length === encoded.length) return xor(encoded, otpChars).toString('utf8');
  // Older scheme: the OTP is itself base64 of as many bytes as the token.
  let otpBytes: Buffer | undefined;
  try {
    otpBytes = decodeBase64(otpText, 'OTP');
  } catch {
    otpBytes = undefined;
  }
  if (otpBytes !== undefined && otpBytes.length === encoded.length) {
    const token = xor(encoded, otpBytes);
    return token.length === LEGACY_OTP_BYTES ? formatUuid(token) : token.toString('utf8');
  }
  throw new RootTokenDecodeError(`length of the encoded token (${encoded.length} bytes) does not match the OTP (${otpChars.length} characters)`);
}

/** The encoding the server performs, for tests and tooling: base64 (no padding) of token XOR otp. */
export function encodeRootToken(token: string, otp: string): string {
  const t = Buffer.from(token, 'utf8');
  const o = Buffer.from(otp, 'utf8');
  if (t.length !== o.length) throw new RootTokenDecodeError('token and OTP lengths differ');
  return xor(t, o).toString('base64').replace(/=+$/, '');
}
