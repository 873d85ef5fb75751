/**
 * sys/config/cors: which browser origins may call the API. Stored at CORS_CONFIG (local: each
 * cluster serves its own browsers), loaded at unseal, and asked synchronously by the HTTP shell
 * for every request (src/http/cors.ts). Sealed, no policy is in force.
 */
import type { Storage } from '../logical/storage.js';
import { CORS_CONFIG } from '../storage/keys.js';

/** Vault's standard allowed request headers; configured ones are added to these. */
export const STANDARD_CORS_HEADERS: readonly string[] = [
  'Content-Type',
  'X-Requested-With',
  'X-Vault-AWS-IAM-Server-ID',
  'X-Vault-MFA',
  'X-Vault-No-Request-Forwarding',
  'X-Vault-Wrap-Format',
  'X-Vault-Wrap-TTL',
  'X-Vault-Policy-Override',
  'Authorization',
  'X-Vault-Token',
];

/** The policy the HTTP shell applies (structurally its CorsPolicy). */
export interface CorsSettings {
  readonly allowedOrigins: readonly string[];
  readonly allowedHeaders: readonly string[];
}

interface Stored {
  enabled: boolean;
  allowed_origins: string[];
  allowed_headers: string[];
}

export class CorsConfig {
  private current: CorsSettings | undefined;

  constructor(private readonly storage: Storage) {}

  /** In force now; undefined while CORS is off or the node is sealed. */
  policy(): CorsSettings | undefined {
    return this.current;
  }

  /** What sys/config/cors reads: the configured headers only, as Vault shows them. */
  async read(): Promise<{ enabled: boolean; allowedOrigins: string[]; allowedHeaders: string[] }> {
    const s = await this.stored();
    return { enabled: s?.enabled ?? false, allowedOrigins: s?.allowed_origins ?? [], allowedHeaders: s?.allowed_headers ?? [] };
  }

  async load(): Promise<void> {
    this.current = settingsOf(await this.stored());
  }

  async enable(allowedOrigins: readonly string[], allowedHeaders: readonly string[]): Promise<void> {
    const s: Stored = { enabled: true, allowed_origins: [...allowedOrigins], allowed_headers: [...allowedHeaders] };
    await this.storage.put(CORS_CONFIG, Buffer.from(JSON.stringify(s), 'utf8'));
    this.current = settingsOf(s);
  }

  async disable(): Promise<void> {
    await this.storage.delete(CORS_CONFIG);
    this.current = undefined;
  }

  clear(): void {
    this.current = undefined;
  }

  private async stored(): Promise<Stored | undefined> {
    const raw = await this.storage.get(CORS_CONFIG);
    return raw === undefined ? undefined : (JSON.parse(raw.toString('utf8')) as Stored);
  }
}

function settingsOf(s: Stored | undefined): CorsSettings | undefined {
  if (s === undefined || !s.enabled) return undefined;
  const headers = [...STANDARD_CORS_HEADERS];
  for (const h of s.allowed_headers) if (!headers.some((x) => x.toLowerCase() === h.toLowerCase())) headers.push(h);
  return { allowedOrigins: s.allowed_origins, allowedHeaders: headers };
}
