/**
 * Measures the byte size of a KV v2 read response for the standard secret on a dev server, so
 * the node:http baseline answers with a body of the same size.
 */
import { api, apiOk } from './http-client.js';
import { HOT_KEY, SECRET, kvDataPath } from './payload.js';

export async function measureKvReadBytes(server: { readonly url: string; readonly token: string }): Promise<number> {
  await apiOk(server.url, 'POST', kvDataPath(HOT_KEY), { token: server.token, body: { data: SECRET } });
  const r = await api(server.url, 'GET', kvDataPath(HOT_KEY), { token: server.token });
  if (r.status !== 200) throw new Error(`KV read for sizing: HTTP ${r.status}`);
  return Buffer.byteLength(r.text);
}
