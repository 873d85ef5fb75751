/**
 * Scenario setup over the HTTP API, as an operator would do it: policies and tokens, auth
 * methods, mounts. Every helper takes its own paths, so scenarios can share one dev server.
 */
import { apiOk } from './http-client.js';

/** A policy and a service token holding it (plus `default`), for requests that go through the ACL. */
export async function policyToken(url: string, root: string, name: string, policy: string, ttl = '768h'): Promise<string> {
  await apiOk(url, 'PUT', `/v1/sys/policies/acl/${name}`, { token: root, body: { policy } });
  const r = (await apiOk(url, 'POST', '/v1/auth/token/create', { token: root, body: { policies: [name], ttl } })) as {
    auth: { client_token: string };
  };
  return r.auth.client_token;
}

export interface Login {
  /** Request path of the login, e.g. /v1/auth/userpass/login/bench. */
  readonly path: string;
  /** JSON body of the login. */
  readonly body: string;
}

/** userpass at auth/<mount>/ with one user; logins get the default policy and a 1 h token. */
export async function setupUserpass(url: string, root: string, mount: string): Promise<Login> {
  const password = 'bench-password-0123456789';
  await apiOk(url, 'POST', `/v1/sys/auth/${mount}`, { token: root, body: { type: 'userpass' } });
  await apiOk(url, 'POST', `/v1/auth/${mount}/users/bench`, { token: root, body: { password, token_policies: ['default'], token_ttl: '1h' } });
  return { path: `/v1/auth/${mount}/login/bench`, body: JSON.stringify({ password }) };
}

/** approle at auth/<mount>/ with one role and one unlimited secret ID; logins get a 1 h token. */
export async function setupApprole(url: string, root: string, mount: string): Promise<Login> {
  await apiOk(url, 'POST', `/v1/sys/auth/${mount}`, { token: root, body: { type: 'approle' } });
  await apiOk(url, 'POST', `/v1/auth/${mount}/role/bench`, { token: root, body: { token_policies: ['default'], token_ttl: '1h' } });
  const roleId = (await apiOk(url, 'GET', `/v1/auth/${mount}/role/bench/role-id`, { token: root })) as { data: { role_id: string } };
  const secretId = (await apiOk(url, 'POST', `/v1/auth/${mount}/role/bench/secret-id`, { token: root })) as { data: { secret_id: string } };
  return { path: `/v1/auth/${mount}/login`, body: JSON.stringify({ role_id: roleId.data.role_id, secret_id: secretId.data.secret_id }) };
}

/** transit at <mount>/ with an aes256-gcm96 key named "bench". */
export async function setupTransit(url: string, root: string, mount: string): Promise<void> {
  await apiOk(url, 'POST', `/v1/sys/mounts/${mount}`, { token: root, body: { type: 'transit' } });
  await apiOk(url, 'POST', `/v1/${mount}/keys/bench`, { token: root, body: { type: 'aes256-gcm96' } });
}
