/** Minimal JSON-over-HTTP calls for scenario setup (init, unseal, mounts, seed writes). */

export interface ApiReply {
  readonly status: number;
  readonly text: string;
}

export async function api(url: string, method: string, path: string, opts: { token?: string; body?: unknown } = {}): Promise<ApiReply> {
  const headers: Record<string, string> = {};
  if (opts.token !== undefined) headers['X-Vault-Token'] = opts.token;
  if (opts.body !== undefined) headers['Content-Type'] = 'application/json';
  const res = await fetch(`${url}${path}`, {
    method,
    headers,
    ...(opts.body !== undefined ? { body: JSON.stringify(opts.body) } : {}),
    signal: AbortSignal.timeout(10_000),
  });
  return { status: res.status, text: await res.text() };
}

/** Like api(), but throws unless the status is 2xx; returns the parsed body (or undefined). */
export async function apiOk(url: string, method: string, path: string, opts: { token?: string; body?: unknown } = {}): Promise<unknown> {
  const r = await api(url, method, path, opts);
  // Setup replies here carry no secrets worth hiding except init's, which succeeds or throws early.
  if (r.status < 200 || r.status > 299) throw new Error(`${method} ${path}: HTTP ${r.status}`);
  return r.text === '' ? undefined : JSON.parse(r.text);
}
