/**
 * CORS, as Vault's HTTP layer does it when sys/config/cors enables it: a request carrying an
 * `Origin` must come from an allowed origin (else 403 "origin not allowed"); an allowed one gets
 * `Access-Control-Allow-Origin` (and `Vary: Origin`) on its answer, and a preflight (OPTIONS with
 * `Access-Control-Request-Method`) is answered here with the methods and headers allowed.
 * Requests without `Origin` (every non-browser client) are untouched, as is everything while
 * CORS is off.
 */
import type { CorsPolicy } from './handler.js';
import { jsonAnswer, type Rendered } from './render.js';

const ALLOWED_METHODS = 'DELETE, GET, OPTIONS, POST, PUT, LIST';
const PREFLIGHT_MAX_AGE_SECONDS = '300';

export type CorsStep = { readonly answer: Rendered } | { readonly headers: Readonly<Record<string, string>> } | undefined;

function originAllowed(policy: CorsPolicy, origin: string): boolean {
  return policy.allowedOrigins.includes('*') || policy.allowedOrigins.includes(origin);
}

/**
 * The CORS step of one request: undefined (not a CORS request, or CORS off), headers to add to
 * the answer, or the whole answer (a refused origin, or a preflight).
 */
export function corsStep(policy: CorsPolicy | undefined, method: string, headers: Readonly<Record<string, string | string[] | undefined>>): CorsStep {
  const origin = headers['origin'];
  if (policy === undefined || typeof origin !== 'string' || origin === '') return undefined;
  if (!originAllowed(policy, origin)) return { answer: jsonAnswer(403, { errors: ['origin not allowed'] }) };
  const allow = { 'Access-Control-Allow-Origin': origin, Vary: 'Origin' };
  if (method === 'OPTIONS' && headers['access-control-request-method'] !== undefined) {
    return {
      answer: {
        status: 204,
        headers: {
          ...allow,
          'Access-Control-Allow-Methods': ALLOWED_METHODS,
          'Access-Control-Allow-Headers': policy.allowedHeaders.join(','),
          'Access-Control-Max-Age': PREFLIGHT_MAX_AGE_SECONDS,
        },
      },
    };
  }
  return { headers: allow };
}

/** `rendered` with the CORS headers added. */
export function withCorsHeaders(rendered: Rendered, headers: Readonly<Record<string, string>>): Rendered {
  return { ...rendered, headers: { ...rendered.headers, ...headers } };
}
