/**
 * The seam between the HTTP shell and the core. The shell builds a Request, hands it to a
 * RequestHandler and renders whatever comes back; the core never sees HTTP.
 */
import type { Request, Response } from '../logical/request.js';

export interface RequestHandler {
  /** Run one request through the core. May throw ArcaError subclasses. */
  handle(req: Request): Promise<Response | undefined>;
}

/**
 * The little the shell needs from a logger. Objects passed here never contain tokens or
 * request bodies.
 */
export interface HttpLogger {
  error(obj: object, msg: string): void;
  info?(obj: object, msg: string): void;
}
