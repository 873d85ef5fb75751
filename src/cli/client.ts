/**
 * A small HTTP client for Vault's API on node:http / node:https, with the semantics of Vault's
 * Go `api` package that the CLI's behaviour depends on:
 *
 * - every path lives under /v1/; LIST is sent as GET with list=true (Node's HTTP server, like
 *   many proxies, does not know the LIST verb, and Vault accepts both);
 * - a non-2xx answer is an ApiError whose text is Vault's "Error making API request." block;
 * - the logical helpers (read/list/delete) turn a 404 without data into "no secret"
 *   (undefined), and a 404 that carries data or warnings (a deleted KV v2 version) into a
 *   secret, exactly as the Go client does;
 * - 307/308 redirects (a standby pointing at its active node) are followed, a bounded number
 *   of times, with the same method and body;
 * - a configured wrap TTL (-wrap-ttl) is sent as X-Vault-Wrap-TTL on every request.
 *
 * Secrets never enter error text: bodies are not echoed, only the server's error strings.
 */
import { request as httpRequest, type IncomingMessage, type OutgoingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { readFileSync } from 'node:fs';
import { ClientConfigError, type ClientSettings } from './client-config.js';

const MAX_REDIRECTS = 5;
const MAX_RESPONSE_BYTES = 64 * 1024 * 1024;

/** Vault's response envelope, as the Go client's api.Secret decodes it. */
export interface Secret {
  request_id?: string;
  lease_id?: string;
  lease_duration?: number;
  renewable?: boolean;
  data?: Record<string, unknown> | null;
  warnings?: string[] | null;
  auth?: Record<string, unknown> | null;
  wrap_info?: Record<string, unknown> | null;
  mount_type?: string;
  [extra: string]: unknown;
}

export interface ApiResponse {
  readonly status: number;
  readonly headers: IncomingMessage['headers'];
  /** Parsed JSON body, or undefined when the body was empty or not JSON. */
  readonly body: unknown;
  readonly text: string;
}

/** A response together with the method and final URL it answered (for error text). */
export interface SentResponse extends ApiResponse {
  readonly method: string;
  readonly url: string;
}

export type Query = Readonly<Record<string, string | readonly string[]>>;

export interface RequestOptions {
  readonly query?: Query | undefined;
  readonly body?: unknown;
  /** Defaults to application/json when there is a body. */
  readonly contentType?: string;
}

/** The server answered with a non-2xx status. Remote error: exit code 2. */
export class ApiError extends Error {
  constructor(
    readonly method: string,
    readonly url: string,
    readonly status: number,
    /** The server's {"errors": [...]} strings. */
    readonly errors: readonly string[],
    /** The body when it was not Vault's JSON error shape (a proxy's HTML page, say). */
    readonly rawMessage: string | undefined,
  ) {
    super(formatApiError(method, url, status, errors, rawMessage));
  }
}

/** The request never got an HTTP answer (refused, TLS failure, timeout). Remote error: exit 2. */
export class TransportError extends Error {}

function formatApiError(method: string, url: string, status: number, errors: readonly string[], raw: string | undefined): string {
  const head = `Error making API request.\n\nURL: ${method} ${url}\n`;
  if (raw !== undefined) return `${head}Code: ${status}. Raw Message:\n\n${raw}`;
  return `${head}Code: ${status}. Errors:\n\n${errors.map((e) => `* ${e}`).join('\n')}`;
}

/**
 * Percent-encode a logical path for the URL the way Go's url.URL.EscapedPath does: keep "/"
 * and the sub-delimiters Vault paths commonly contain, escape everything else.
 */
export function escapePath(path: string): string {
  return path
    .split('/')
    .map((seg) => encodeURIComponent(seg).replace(/%(24|26|2B|2C|3A|3B|3D|40)/gi, (m) => decodeURIComponent(m)))
    .join('/');
}

function goMethodName(method: string): string {
  return method.charAt(0) + method.slice(1).toLowerCase();
}

function describeTransportError(err: NodeJS.ErrnoException, url: URL): string {
  const hostPort = `${url.hostname}:${url.port !== '' ? url.port : url.protocol === 'https:' ? '443' : '80'}`;
  switch (err.code) {
    case 'ECONNREFUSED':
      return `dial tcp ${hostPort}: connect: connection refused`;
    case 'ENOTFOUND':
      return `dial tcp: lookup ${url.hostname}: no such host`;
    case 'ECONNRESET':
      return `read tcp ${hostPort}: connection reset by peer`;
    default:
      return err.message;
  }
}

export class ApiClient {
  private readonly ca: string | undefined;

  constructor(readonly settings: ClientSettings) {
    if (settings.caCert !== undefined) {
      try {
        this.ca = readFileSync(settings.caCert, 'utf8');
      } catch (err) {
        throw new ClientConfigError(`error loading CA certificate ${settings.caCert}: ${(err as Error).message}`);
      }
    }
  }

  /**
   * The same client with some settings replaced: another token (login checks a token it was
   * given; '' sends none), or no response wrapping (preflight and lookup calls whose answers
   * the CLI itself must read, as Vault's CLI turns wrapping off around them).
   */
  with(overrides: Partial<Pick<ClientSettings, 'token' | 'wrapTTL'>>): ApiClient {
    return new ApiClient({ ...this.settings, ...overrides });
  }

  /** The URL a logical path maps to (without query). */
  urlFor(path: string): string {
    return `${this.settings.address}/v1/${escapePath(path.replace(/^\/+/, ''))}`;
  }

  /** One request; any HTTP status resolves. Network failures reject with TransportError. */
  async send(method: string, path: string, opts: RequestOptions = {}): Promise<SentResponse> {
    let wireMethod = method;
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(opts.query ?? {})) {
      for (const item of typeof v === 'string' ? [v] : v) params.append(k, item);
    }
    if (method === 'LIST') {
      wireMethod = 'GET';
      params.set('list', 'true');
    }
    const qs = params.toString();
    let url = this.urlFor(path) + (qs === '' ? '' : `?${qs}`);
    const payload =
      opts.body === undefined ? undefined : Buffer.from(typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body), 'utf8');
    for (let hop = 0; ; hop++) {
      const res = await this.once(wireMethod, url, payload, opts.contentType);
      const location = res.headers.location;
      if ((res.status === 307 || res.status === 308) && typeof location === 'string' && hop < MAX_REDIRECTS) {
        url = new URL(location, url).toString();
        continue;
      }
      return { ...res, url, method: wireMethod };
    }
  }

  /** A request whose non-2xx answer is an ApiError. */
  async call(method: string, path: string, opts: RequestOptions = {}): Promise<ApiResponse> {
    const res = await this.send(method, path, opts);
    if (res.status < 200 || res.status >= 300) throw toApiError(res);
    return res;
  }

  /** GET a logical path; undefined when there is nothing there. */
  read(path: string, query?: Query): Promise<Secret | undefined> {
    return this.logical('GET', path, { query });
  }

  list(path: string): Promise<Secret | undefined> {
    return this.logical('LIST', path, {});
  }

  delete(path: string, query?: Query): Promise<Secret | undefined> {
    return this.logical('DELETE', path, { query });
  }

  /** PUT data; undefined on 204. A 404 is an error unless it carries data (Go client semantics). */
  async write(path: string, data: unknown, method: 'PUT' | 'POST' = 'PUT'): Promise<Secret | undefined> {
    const res = await this.send(method, path, { body: data ?? {} });
    if (res.status === 404) {
      const secret = asSecret(res.body);
      if (secret !== undefined && hasContent(secret)) return secret;
    }
    if (res.status < 200 || res.status >= 300) throw toApiError(res);
    return asSecret(res.body);
  }

  /** JSON merge patch (RFC 7386), as `kv patch` sends it. */
  async mergePatch(path: string, data: unknown): Promise<Secret | undefined> {
    const res = await this.send('PATCH', path, { body: data, contentType: 'application/merge-patch+json' });
    if (res.status < 200 || res.status >= 300) throw toApiError(res);
    return asSecret(res.body);
  }

  private async logical(method: string, path: string, opts: RequestOptions): Promise<Secret | undefined> {
    const res = await this.send(method, path, opts);
    if (res.status === 404) {
      const secret = asSecret(res.body);
      return secret !== undefined && hasContent(secret) ? secret : undefined;
    }
    if (res.status < 200 || res.status >= 300) throw toApiError(res);
    return asSecret(res.body);
  }

  private once(method: string, url: string, payload: Buffer | undefined, contentType: string | undefined): Promise<ApiResponse> {
    const target = new URL(url);
    const headers: OutgoingHttpHeaders = { 'X-Vault-Request': 'true', Accept: 'application/json' };
    if (this.settings.token !== '') headers['X-Vault-Token'] = this.settings.token;
    const wrapTTL = this.settings.wrapTTL;
    if (wrapTTL !== undefined && wrapTTL !== 0) headers['X-Vault-Wrap-TTL'] = String(wrapTTL);
    if (payload !== undefined) {
      headers['Content-Type'] = contentType ?? 'application/json';
      headers['Content-Length'] = payload.length;
    }
    const timeoutMs = this.settings.timeoutMs;
    return new Promise<ApiResponse>((resolve, reject) => {
      const onResponse = (res: IncomingMessage): void => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > MAX_RESPONSE_BYTES) {
            req.destroy(new TransportError(`${goMethodName(method)} "${url}": response larger than ${MAX_RESPONSE_BYTES} bytes`));
            return;
          }
          chunks.push(chunk);
        });
        res.on('error', (err) => reject(new TransportError(`${goMethodName(method)} "${url}": ${err.message}`)));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let body: unknown;
          if (text.trim() !== '') {
            try {
              body = JSON.parse(text);
            } catch {
              body = undefined;
            }
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body, text });
        });
      };
      const common = { method, headers, agent: false as const };
      const req =
        target.protocol === 'https:'
          ? httpsRequest(
              target,
              {
                ...common,
                ca: this.ca,
                rejectUnauthorized: !this.settings.tlsSkipVerify,
                servername: this.settings.tlsServerName,
              },
              onResponse,
            )
          : httpRequest(target, common, onResponse);
      req.setTimeout(timeoutMs, () => {
        req.destroy(new TransportError(`${goMethodName(method)} "${url}": request timed out after ${timeoutMs / 1000}s`));
      });
      req.on('error', (err: NodeJS.ErrnoException) => {
        reject(err instanceof TransportError ? err : new TransportError(`${goMethodName(method)} "${url}": ${describeTransportError(err, target)}`));
      });
      req.end(payload);
    });
  }
}

export function toApiError(res: SentResponse): ApiError {
  const method = res.method;
  const body = res.body;
  if (body !== null && typeof body === 'object' && Array.isArray((body as { errors?: unknown }).errors)) {
    const errors = ((body as { errors: unknown[] }).errors).map((e) => (typeof e === 'string' ? e : JSON.stringify(e)));
    return new ApiError(method, res.url, res.status, errors, undefined);
  }
  const raw = res.text.trim();
  return new ApiError(method, res.url, res.status, [], body === undefined && raw !== '' ? raw : undefined);
}

/** The body as a Secret envelope, or undefined when it is not an object. */
export function asSecret(body: unknown): Secret | undefined {
  return body !== null && typeof body === 'object' && !Array.isArray(body) ? (body as Secret) : undefined;
}

function hasContent(secret: Secret): boolean {
  const data = secret.data;
  const warnings = secret.warnings;
  return (data !== null && data !== undefined && Object.keys(data).length > 0) || (Array.isArray(warnings) && warnings.length > 0);
}

/**
 * The payload of a sys/ endpoint. Vault answers most of them both at top level and under
 * "data"; prefer "data" when it is an object, else the body itself.
 */
export function sysData(res: ApiResponse): Record<string, unknown> {
  const body = asSecret(res.body) ?? {};
  const data = body.data;
  return data !== null && typeof data === 'object' && !Array.isArray(data) ? data : body;
}
