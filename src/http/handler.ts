/**
 * The seam between the HTTP shell and the core. The shell builds a Request, hands it to a
 * RequestHandler and renders whatever comes back; the core never sees HTTP.
 */
import type { Request, Response } from '../logical/request.js';

export interface RequestHandler {
  /** Run one request through the core. May throw ArcaError subclasses. */
  handle(req: Request): Promise<Response | undefined>;
  /** The CORS policy in force (sys/config/cors), or undefined while CORS is off. Synchronous: asked per request. */
  cors?(): CorsPolicy | undefined;
}

/** Which browser origins may call the API, and the request headers they may send. */
export interface CorsPolicy {
  /** Origins as the browser sends them ("https://app.example.com"), or the single entry "*". */
  readonly allowedOrigins: readonly string[];
  /** Request headers allowed in a preflight, Vault's standard ones included. */
  readonly allowedHeaders: readonly string[];
}

/**
 * The little the shell needs from a logger. Objects passed here never contain tokens or
 * request bodies.
 */
export interface HttpLogger {
  error(obj: object, msg: string): void;
  info?(obj: object, msg: string): void;
}
