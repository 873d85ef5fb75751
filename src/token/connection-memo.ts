/**
 * The storage key (salted HMAC) of the token a client connection presented last. A keep-alive
 * client sends the same token on every request; remembering its HMAC per connection saves the
 * hashing (two SHA-256 calls into OpenSSL, the largest single cost of a cached read).
 *
 * Why per connection and not a process-wide map: the memo only ever holds a token that arrived
 * on this connection, and the next token is compared with it in constant time (lengths aside,
 * which token formats make public), so nothing about another client's token can be learnt from
 * timing, even behind a proxy that pools connections. The memo names the HMAC key it was made
 * with, so a new salt (re-activation, seal and unseal) is never answered with an old hash.
 */
export class TokenHashMemo {
  private key: object | undefined;
  private token: string | undefined;
  private idHash = '';

  /** The remembered hash of `token` under `key`, or undefined. */
  get(key: object, token: string): string | undefined {
    const known = this.token;
    if (known === undefined || this.key !== key || !sameToken(token, known)) return undefined;
    return this.idHash;
  }

  set(key: object, token: string, idHash: string): void {
    this.key = key;
    this.token = token;
    this.idHash = idHash;
  }

  /** Forget the token (connection closed). */
  clear(): void {
    this.token = undefined;
    this.key = undefined;
    this.idHash = '';
  }
}

/**
 * Constant-time equality of two strings of UTF-16 units: every unit of equal-length strings is
 * compared, with no early exit, so the time depends only on the length (which token formats make
 * public). In JavaScript rather than timingSafeEqual, which needs both as Buffers: a conversion and
 * an allocation on every request of a keep-alive connection.
 */
export function sameToken(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}
