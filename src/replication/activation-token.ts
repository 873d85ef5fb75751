/**
 * The secondary activation token and its redemption at the primary's API.
 *
 * What `primary/secondary-token` hands the operator is `base64url(JSON{ addr, token })`: the
 * primary's API address and a single-use response-wrapping token whose wrapped response carries
 * an `ActivationPayload`. The secondary first LOOKS UP the wrapping token (sys/wrapping/lookup,
 * which spends nothing) and refuses any token that was not created by secondary-token, then
 * unwraps it (sys/wrapping/unwrap). So a foreign, expired, reused or tampered token is refused
 * before anything changes on either side.
 */
import { readdir, readFile } from 'node:fs/promises';
import * as http from 'node:http';
import * as https from 'node:https';
import { join } from 'node:path';
import { BadRequestError } from '../errors.js';

/** The creation path every activation token's wrapping token carries. */
export const SECONDARY_TOKEN_PATH = 'sys/replication/performance/primary/secondary-token';

/** What the wrapped response's `data` holds. */
export interface ActivationPayload {
  readonly kind: 'arca-performance-activation';
  readonly cluster_id: string;
  readonly secondary_id: string;
  /** "https://host:port" of the primary's cluster listener. */
  readonly primary_cluster_addr: string;
  readonly primary_api_addr: string;
  readonly ca_cert: string;
  readonly client_cert: string;
  readonly client_key: string;
  /**
   * The same client certificate and key as a barrier entry of the primary (base64 ciphertext at
   * `channel_key`): the secondary stores it as is, and reads it once unsealed with the primary's
   * keys, so its channel credentials are never kept in plaintext.
   */
  readonly channel_box: string;
  readonly channel_key: string;
}

export const PAYLOAD_KIND = 'arca-performance-activation';

export function encodeActivationToken(addr: string, wrappingToken: string): string {
  return Buffer.from(JSON.stringify({ addr, token: wrappingToken }), 'utf8').toString('base64url');
}

/** The parts of an activation token, or a 400 that names no secret. */
export function decodeActivationToken(token: string): { addr: string; token: string } {
  const t = token.trim();
  if (t === '') throw new BadRequestError('missing secondary activation token');
  let parsed: unknown;
  try {
    if (!/^[A-Za-z0-9_-]+$/.test(t)) throw new Error('alphabet');
    parsed = JSON.parse(Buffer.from(t, 'base64url').toString('utf8'));
  } catch {
    throw new BadRequestError('invalid secondary activation token: it is not a token produced by performance/primary/secondary-token');
  }
  const p = parsed as { addr?: unknown; token?: unknown };
  if (typeof p !== 'object' || p === null || typeof p.addr !== 'string' || typeof p.token !== 'string' || p.token === '') {
    throw new BadRequestError('invalid secondary activation token: it is not a token produced by performance/primary/secondary-token');
  }
  return { addr: p.addr, token: p.token };
}

/** `ca_file` / `ca_path` as PEM text for verifying the primary's API, or undefined for system roots. */
export async function loadApiCa(caFile: string, caPath: string): Promise<string[] | undefined> {
  const out: string[] = [];
  try {
    if (caFile !== '') out.push(await readFile(caFile, 'utf8'));
    if (caPath !== '') {
      for (const name of (await readdir(caPath)).sort()) {
        if (/\.(pem|crt|cer)$/i.test(name)) out.push(await readFile(join(caPath, name), 'utf8'));
      }
    }
  } catch (err) {
    throw new BadRequestError(`error reading CA certificates for the primary's API: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  return out.length === 0 ? undefined : out;
}

interface Answer {
  readonly status: number;
  readonly body: unknown;
}

/** One JSON request to the primary's API (plain http allowed: dev and test primaries). */
function post(addr: string, path: string, headers: Record<string, string>, body: unknown, ca: string[] | undefined, timeoutMs: number): Promise<Answer> {
  let url: URL;
  try {
    url = new URL(`${addr.replace(/\/+$/, '')}/v1/${path}`);
  } catch {
    return Promise.reject(new BadRequestError(`invalid primary API address ${JSON.stringify(addr)}`));
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return Promise.reject(new BadRequestError(`invalid primary API address ${JSON.stringify(addr)}`));
  const payload = Buffer.from(JSON.stringify(body));
  return new Promise<Answer>((resolve, reject) => {
    const opts: https.RequestOptions = {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json', 'content-length': String(payload.length) },
      timeout: timeoutMs,
      ...(ca !== undefined ? { ca } : {}),
    };
    const req = (url.protocol === 'https:' ? https : http).request(url, opts, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (size <= 1024 * 1024) chunks.push(c);
      });
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let parsed: unknown;
        try {
          parsed = text === '' ? undefined : JSON.parse(text);
        } catch {
          parsed = undefined;
        }
        resolve({ status: res.statusCode ?? 0, body: parsed });
      });
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', (err: NodeJS.ErrnoException) => reject(new BadRequestError(`error contacting the primary at ${url.origin}: ${err.code ?? err.message}`)));
    req.end(payload);
  });
}

function errorsOf(body: unknown): string {
  const errs = (body as { errors?: unknown } | undefined)?.errors;
  return Array.isArray(errs) && errs.length > 0 ? errs.map(String).join(', ') : 'no message';
}

/**
 * Check the wrapping token at the primary, then redeem it. Any refusal is a 400 carrying the
 * primary's message; nothing on this cluster has changed when this throws.
 */
export async function redeemActivationToken(addr: string, wrappingToken: string, ca: string[] | undefined, timeoutMs = 15_000): Promise<ActivationPayload> {
  const lookup = await post(addr, 'sys/wrapping/lookup', {}, { token: wrappingToken }, ca, timeoutMs);
  if (lookup.status !== 200) {
    throw new BadRequestError(`error looking up secondary activation token at the primary; status code is ${lookup.status}, message is "${errorsOf(lookup.body)}"`);
  }
  const creationPath = (lookup.body as { data?: { creation_path?: unknown } } | undefined)?.data?.creation_path;
  if (creationPath !== SECONDARY_TOKEN_PATH) {
    throw new BadRequestError('invalid secondary activation token: the wrapped response was not created by performance/primary/secondary-token');
  }
  const unwrap = await post(addr, 'sys/wrapping/unwrap', { 'x-vault-token': wrappingToken }, {}, ca, timeoutMs);
  if (unwrap.status !== 200) {
    throw new BadRequestError(`error response unwrapping secondary token; status code is ${unwrap.status}, message is "${errorsOf(unwrap.body)}"`);
  }
  const data = (unwrap.body as { data?: unknown } | undefined)?.data;
  if (!isPayload(data)) throw new BadRequestError('invalid secondary activation token: the unwrapped response is not an activation payload');
  return data;
}

function isPayload(v: unknown): v is ActivationPayload {
  if (typeof v !== 'object' || v === null) return false;
  const p = v as Record<string, unknown>;
  const strings = ['cluster_id', 'secondary_id', 'primary_cluster_addr', 'primary_api_addr', 'ca_cert', 'client_cert', 'client_key', 'channel_box', 'channel_key'];
  return p['kind'] === PAYLOAD_KIND && strings.every((k) => typeof p[k] === 'string' && p[k] !== '');
}
