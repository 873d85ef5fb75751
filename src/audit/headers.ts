/**
 * Audited request headers (sys/config/auditing/request-headers): headers named here are
 * copied into every request entry, their value hashed when `hmac` is set. Names are kept in
 * Go's canonical form (X-Forwarded-For), as Vault lists them; entries use lower case.
 */
export interface HeaderConfig {
  readonly hmac: boolean;
}

export function canonicalHeader(name: string): string {
  return name
    .trim()
    .split('-')
    .map((part) => (part === '' ? part : part[0]!.toUpperCase() + part.slice(1).toLowerCase()))
    .join('-');
}
