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
import { timingSafeEqual } from 'node:crypto';

export class TokenHashMemo {
  private key: object | undefined;
  private token: Buffer | undefined;
  private idHash = '';

  /** The remembered hash of `token` under `key`, or undefined. */
  get(key: object, token: string): string | undefined {
    const known = this.token;
    if (known === undefined || this.key !== key) return undefined;
    const presented = Buffer.from(token, 'utf8');
    if (presented.length !== known.length || !timingSafeEqual(presented, known)) return undefined;
    return this.idHash;
  }

  set(key: object, token: string, idHash: string): void {
    this.token?.fill(0);
    this.key = key;
    this.token = Buffer.from(token, 'utf8');
    this.idHash = idHash;
  }

  /** Forget the token (connection closed). */
  clear(): void {
    this.token?.fill(0);
    this.token = undefined;
    this.key = undefined;
    this.idHash = '';
  }
}
