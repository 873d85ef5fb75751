/**
 * The secret every KV scenario writes and reads, and the shapes of requests around it. One
 * place, so the read scenarios, the prefill and the baseline body all describe the same data.
 */

/** A typical small application secret: two short fields. */
export const SECRET = { username: 'app-user', password: 'pA55-w0rd-0123456789abcdef' } as const;

/** Body of a KV v2 write (POST /v1/<mount>/data/<path>). */
export const KV_WRITE_BODY = JSON.stringify({ data: SECRET });

/** The KV v2 mount the scenarios use on every server ("secret/" as a dev server mounts it). */
export const KV_MOUNT = 'secret';

export function kvDataPath(key: string): string {
  return `/v1/${KV_MOUNT}/data/${key}`;
}

/** Key name for the i-th key of the many-keys scenarios. */
export function manyKey(i: number): string {
  return `app/k${i}`;
}

/** manyKey() as a load-worker path template ("{i}" is the index). */
export const MANY_KEY_TEMPLATE = 'app/k{i}';

export const HOT_KEY = 'app/hot';

/**
 * A JSON body of exactly `size` bytes, shaped like Vault's envelope, for the bare node:http
 * baseline: the baseline pays the same bytes on the wire as the KV read it is compared with.
 */
export function fixedJsonBody(size: number): Buffer {
  const base = { request_id: '00000000-0000-0000-0000-000000000000', data: { data: SECRET }, pad: '' };
  const overhead = Buffer.byteLength(JSON.stringify(base));
  if (size < overhead) throw new RangeError(`baseline body must be at least ${overhead} bytes`);
  return Buffer.from(JSON.stringify({ ...base, pad: 'x'.repeat(size - overhead) }));
}
