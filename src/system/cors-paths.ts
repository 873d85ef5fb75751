/**
 * sys/config/cors (read, write, delete) over the core's CorsConfig; root-protected, as in Vault.
 * The HTTP shell applies the policy (src/http/cors.ts).
 */
import { BadRequestError } from '../errors.js';
import { definePath, type PathDef } from '../framework/index.js';
import type { Core } from '../core/core.js';

export function corsPaths(core: Core): PathDef[] {
  return [
    definePath({
      pattern: 'config/cors',
      fields: {
        allowed_origins: { type: 'comma-string-slice', description: 'Origins allowed to make cross-origin requests, or "*" alone for any.' },
        allowed_headers: { type: 'comma-string-slice', description: 'Request headers allowed besides Vault\'s standard ones.' },
        enable: { type: 'bool', description: 'Accepted for compatibility: writing allowed_origins enables CORS.' },
      },
      operations: {
        read: async () => {
          const c = await core.cors.read();
          return { data: { enabled: c.enabled, allowed_origins: c.allowedOrigins, allowed_headers: c.allowedHeaders } };
        },
        update: async (_req, f) => {
          const origins = f.get('allowed_origins').map((o) => o.trim()).filter((o) => o !== '');
          if (origins.length === 0) throw new BadRequestError("'allowed_origins' must contain at least one origin");
          if (origins.includes('*') && origins.length > 1) throw new BadRequestError("to allow all origins the '*' must be the only value for allowed_origins");
          await core.cors.enable(origins, f.get('allowed_headers').map((h) => h.trim()).filter((h) => h !== ''));
          return undefined;
        },
        delete: async () => {
          await core.cors.disable();
          return undefined;
        },
      },
      synopsis: 'CORS settings.',
      description: 'Which browser origins may call the API; DELETE turns CORS off.',
    }),
  ];
}
