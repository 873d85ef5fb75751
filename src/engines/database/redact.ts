/**
 * Masking of secrets in text that leaves the engine (error messages, which the server may log
 * and the client sees; the connection URL a config read returns). Database drivers and servers
 * may echo parts of a connection string or a statement, which can hold a password, so every
 * message from a database passes through a Redactor that knows the passwords in play.
 */

export const MASK = '*****';

/** userinfo password of any URL: scheme://user:<password>@ */
const URL_PASSWORD = /([A-Za-z][A-Za-z0-9+.-]*:\/\/[^:/?#@\s]*:)([^@\s]*)@/g;

/** Mask a literal password in a URL's userinfo; a `{{password}}` template is not a secret. */
export function maskUrlPassword(text: string): string {
  return text.replace(URL_PASSWORD, (whole, head: string, pw: string) => (pw === '{{password}}' ? whole : `${head}${MASK}@`));
}

export class Redactor {
  private readonly secrets = new Set<string>();

  constructor(secrets: Iterable<string | undefined> = []) {
    for (const s of secrets) this.add(s);
  }

  /** Also mask this value (raw, URL-encoded and URL-decoded forms). Empty values are ignored. */
  add(secret: string | undefined): this {
    if (secret === undefined || secret === '') return this;
    this.secrets.add(secret);
    this.secrets.add(encodeURIComponent(secret));
    try {
      this.secrets.add(decodeURIComponent(secret));
    } catch {
      // Not percent-encoded: the raw form is enough.
    }
    return this;
  }

  /** A copy that also masks `more`. */
  with(...more: (string | undefined)[]): Redactor {
    const copy = new Redactor(this.secrets);
    for (const s of more) copy.add(s);
    return copy;
  }

  apply(text: string): string {
    // Longest first, so a secret containing another is masked whole.
    const ordered = [...this.secrets].filter((s) => s !== '').sort((a, b) => b.length - a.length);
    let out = text;
    for (const s of ordered) out = out.split(s).join(MASK);
    return maskUrlPassword(out);
  }

  /** A safe message for any thrown value. */
  message(err: unknown): string {
    return this.apply(describeError(err));
  }
}

/** The text of an error, including the members of an AggregateError (whose own message is often empty). */
export function describeError(err: unknown): string {
  if (err instanceof AggregateError) {
    const inner = err.errors.map(describeError).filter((m) => m !== '');
    if (inner.length > 0) return [...new Set(inner)].join('; ');
  }
  if (err instanceof Error) return err.message !== '' ? err.message : ((err as { code?: unknown }).code?.toString() ?? err.name);
  return String(err);
}

/** The literal password in a URL's userinfo (decoded), or undefined (none, or a template). */
export function urlPassword(url: string): string | undefined {
  const m = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^:/?#@\s]*:([^@\s]*)@/.exec(url);
  const raw = m?.[1];
  if (raw === undefined || raw === '' || raw.includes('{{')) return undefined;
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}
