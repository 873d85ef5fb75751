/**
 * The pipeline's wrapping step, run after the backend and the login step: when the client
 * asked for wrapping (X-Vault-Wrap-TTL), the response is stored in a new wrapping token's
 * cubbyhole and the client receives only `wrap_info`.
 *
 * The stored form is Vault's rendered envelope (with the original request id), because
 * unwrap returns exactly those bytes. The envelope's shape is the API's document format; it
 * is rendered by the one function that renders it for every response (src/http/render.ts),
 * which is pure and knows nothing about sockets.
 */
import type { Request, Response } from '../logical/request.js';
import { renderEnvelope } from '../logical/envelope.js';
import type { ResponseWrapping } from './response-wrapping.js';

/**
 * Whether a response gets wrapped. Nothing to wrap (no response: Vault's 204/404 stand),
 * errors rendered with a status (KV v2's deleted versions), raw bodies, help, and responses
 * a handler already wrapped (rewrap) pass through unchanged.
 */
export function shouldWrap(req: Request, resp: Response | undefined): resp is Response {
  if (resp === undefined || req.wrapTTL <= 0 || req.operation === 'help') return false;
  if (resp.wrapInfo !== undefined || resp.raw !== undefined) return false;
  if (resp.statusCode !== undefined && resp.statusCode >= 400) return false;
  return true;
}

/** The accessor Vault reports as `wrapped_accessor`: the token inside, or an AppRole secret ID's. */
export function wrappedAccessorOf(req: Request, resp: Response): string | undefined {
  if (resp.auth !== undefined) return resp.auth.accessor;
  const secretIdAccessor = resp.data?.['secret_id_accessor'];
  if (req.mountType === 'approle' && typeof secretIdAccessor === 'string') return secretIdAccessor;
  return undefined;
}

export async function wrapResponse(wrapping: ResponseWrapping, req: Request, resp: Response | undefined): Promise<Response | undefined> {
  if (!shouldWrap(req, resp)) return resp;
  const wrappedAccessor = wrappedAccessorOf(req, resp);
  const wrapInfo = await wrapping.wrap({
    ttl: req.wrapTTL,
    creationPath: req.path,
    response: JSON.stringify(renderEnvelope(req, resp)),
    ...(wrappedAccessor !== undefined ? { wrappedAccessor } : {}),
  });
  return { wrapInfo, ...(resp.headers !== undefined ? { headers: resp.headers } : {}) };
}
