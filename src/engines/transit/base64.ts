/**
 * Base64 as Vault's transit engine reads it (Go's padded standard alphabet, CR/LF ignored),
 * with Go's error text, because clients see that text verbatim. Node's own decoder accepts
 * anything and silently drops what it cannot read, which would turn typos into wrong data.
 */

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const URL_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

function table(alphabet: string): Int8Array {
  const t = new Int8Array(256).fill(-1);
  for (let i = 0; i < alphabet.length; i++) t[alphabet.charCodeAt(i)] = i;
  return t;
}

const STD = table(ALPHABET);
const URL = table(URL_ALPHABET);

/** A decode failure; `message` is Go's `illegal base64 data at input byte N`. */
export class Base64Error extends Error {
  constructor(readonly offset: number) {
    super(`illegal base64 data at input byte ${offset}`);
  }
}

const isNewline = (c: number): boolean => c === 0x0a || c === 0x0d;

/**
 * Decode `input` (a JS string; non-Latin-1 characters are illegal). `padded` selects Go's
 * StdEncoding (true) or RawURLEncoding (false, the alphabet JWS signatures use).
 */
export function decodeBase64(input: string, padded = true): Buffer {
  const map = padded ? STD : URL;
  const bytes = Buffer.from(input, 'utf8');
  const out = Buffer.alloc(Math.ceil((bytes.length * 3) / 4));
  let o = 0;
  let i = 0;
  const quad = [0, 0, 0, 0];
  while (i < bytes.length) {
    let n = 0;
    let sawPad = false;
    while (n < 4) {
      if (i === bytes.length) {
        if (n === 0) break;
        if (n === 1 || padded) throw new Base64Error(i - n);
        break;
      }
      const c = bytes[i++]!;
      const v = map[c]!;
      if (v >= 0) {
        quad[n++] = v;
        continue;
      }
      if (isNewline(c)) continue;
      if (!padded || c !== 0x3d /* = */ || n < 2) throw new Base64Error(i - 1);
      // Padding: "ab==" needs a second "=", "abc=" is complete.
      if (n === 2) {
        while (i < bytes.length && isNewline(bytes[i]!)) i++;
        if (i === bytes.length) throw new Base64Error(bytes.length);
        if (bytes[i] !== 0x3d) throw new Base64Error(i - 1);
        i++;
      }
      while (i < bytes.length && isNewline(bytes[i]!)) i++;
      if (i < bytes.length) throw new Base64Error(i);
      sawPad = true;
      break;
    }
    if (n === 0) break;
    const word = (quad[0]! << 18) | (quad[1]! << 12) | ((n > 2 ? quad[2]! : 0) << 6) | (n > 3 ? quad[3]! : 0);
    out[o++] = (word >> 16) & 0xff;
    if (n > 2) out[o++] = (word >> 8) & 0xff;
    if (n > 3) out[o++] = word & 0xff;
    if (sawPad) break;
  }
  return out.subarray(0, o);
}

export function encodeBase64(data: Uint8Array): string {
  return Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('base64');
}

/** Go's RawURLEncoding: URL alphabet, no padding. */
export function encodeBase64RawURL(data: Uint8Array): string {
  return Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('base64url');
}
