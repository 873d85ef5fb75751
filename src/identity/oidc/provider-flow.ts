/**
 * The OIDC provider's authorization-code flow (Vault's identity/oidc/provider/:name/...):
 *
 *   authorize   (Vault token with an entity) checks the client, redirect URI, scopes, PKCE and
 *               the client's assignments, then answers {"code", "state"}; a code is single use
 *               and lives five minutes.
 *   token       (unauthenticated; client_secret_basic, client_secret_post, or PKCE alone for
 *               public clients) redeems a code for a signed ID token and an opaque access token.
 *   userinfo    (unauthenticated; the access token as Bearer) answers sub plus the claims of
 *               the granted scopes.
 *   .well-known/openid-configuration and .well-known/keys (unauthenticated) describe the
 *               provider and publish the keys of the clients it serves.
 *
 * Every answer is a raw JSON body, as Vault sends it; errors are OAuth 2.0's
 * {"error", "error_description"} with OAuth's status codes.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { definePath, type FieldData, type PathDef } from '../../framework/index.js';
import type { BackendContext, BackendRequest } from '../../logical/backend.js';
import type { Response } from '../../logical/request.js';
import { randomBase62 } from '../../util/random.js';
import type { IdentityStore } from '../identity-store.js';
import type { ResolvedIdentity } from '../types.js';
import { renderClaims } from './claims-template.js';
import { raw, type OidcEnvironment } from './oidc-paths.js';
import { OidcStore } from './oidc-store.js';
import { allowsClient, OPENID_SCOPE, providerIssuer } from './provider-paths.js';
import { type AuthCode, type OidcClient, type OidcProvider, ProviderStore } from './provider-store.js';
import { ALGORITHMS, type Algorithm, signJwt } from './signing-keys.js';

const NAME = '(?<name>\\w(?:[\\w.-]*\\w)?)';
/** Lifetime of an authorization code (Vault's). */
export const CODE_TTL_MS = 5 * 60 * 1000;
const DAY = 24 * 60 * 60;
/** RFC 7636: a code verifier is 43 to 128 unreserved characters. */
const CODE_VERIFIER = /^[A-Za-z0-9._~-]{43,128}$/;

/** An OAuth 2.0 error answer. */
function oauthError(status: number, error: string, description: string, extra: Record<string, unknown> = {}, headers?: Record<string, string>): Response {
  return { raw: { status, body: { error, error_description: description, ...extra }, contentType: 'application/json' }, ...(headers !== undefined ? { headers } : {}) };
}

/** Equality of two secrets in time independent of where they differ (digests have one length). */
function sameSecret(a: string, b: string): boolean {
  return timingSafeEqual(createHash('sha256').update(a).digest(), createHash('sha256').update(b).digest());
}

/** The left half of the token's hash under the signing algorithm's hash, base64url (at_hash, c_hash). */
function halfHash(alg: Algorithm, value: string): string {
  const digest = createHash(alg === 'EdDSA' ? 'sha512' : `sha${alg.slice(2)}`).update(value, 'ascii').digest();
  return digest.subarray(0, digest.length / 2).toString('base64url');
}

/** client_id and client_secret of an "Authorization: Basic" header (form-encoded, RFC 6749 2.3.1). */
function basicCredentials(header: string | undefined): { id: string; secret: string } | undefined {
  const m = header === undefined ? null : /^basic\s+([A-Za-z0-9+/=]+)$/i.exec(header.trim());
  if (m === null) return undefined;
  const text = Buffer.from(m[1]!, 'base64').toString('utf8');
  const colon = text.indexOf(':');
  if (colon < 0) return undefined;
  const decode = (s: string): string => {
    try {
      return decodeURIComponent(s.replace(/\+/g, ' '));
    } catch {
      return s;
    }
  };
  return { id: decode(text.slice(0, colon)), secret: decode(text.slice(colon + 1)) };
}

/** Whether one of the client's assignments names the entity or one of its groups (direct or inherited). */
async function assigned(store: ProviderStore, client: OidcClient, who: ResolvedIdentity): Promise<boolean> {
  const groups = [...who.directGroupIds, ...who.inheritedGroupIds];
  for (const name of client.assignments) {
    const a = await store.assignment(name);
    if (a === undefined) continue;
    if (a.entityIds.includes('*') || a.entityIds.includes(who.entity.id)) return true;
    if (a.groupIds.includes('*') || groups.some((g) => a.groupIds.includes(g))) return true;
  }
  return false;
}

export function providerFlowPaths(identity: IdentityStore, ctx: BackendContext, env: OidcEnvironment): PathDef[] {
  const store = new ProviderStore(ctx.storage);
  const keys = new OidcStore(ctx.storage);
  const now = (): number => ctx.clock.now();

  /** The claims of the granted scopes for the entity (later scopes win a clash). */
  const scopeClaims = async (scopes: readonly string[], entityId: string, iat: number): Promise<Record<string, unknown>> => {
    const out: Record<string, unknown> = {};
    const context = identity.templateContext(entityId);
    for (const name of scopes) {
      const scope = await store.scope(name);
      if (scope !== undefined) Object.assign(out, renderClaims(scope.template, context, iat));
    }
    return out;
  };

  const authorize = async (req: BackendRequest, f: FieldData<typeof authorizeFields>): Promise<Response | undefined> => {
    const state = f.get('state');
    const fail = (error: string, description: string): Response => oauthError(400, error, description, state !== '' ? { state } : {});
    const name = f.get('name');
    const provider = await store.provider(name);
    if (provider === undefined) return fail('invalid_request', `provider "${name}" not found`);
    const clientId = f.get('client_id');
    if (clientId === '') return fail('invalid_request', 'client_id parameter is required');
    const client = await store.clientById(clientId);
    if (client === undefined) return fail('invalid_request', 'client with client_id not found');
    if (!allowsClient(provider.allowedClientIds, clientId)) return fail('unauthorized_client', 'client is not authorized to use the provider');
    const redirectUri = f.get('redirect_uri');
    if (redirectUri === '') return fail('invalid_request', 'redirect_uri parameter is required');
    if (!client.redirectUris.includes(redirectUri)) return fail('invalid_request', 'redirect_uri is not allowed for the client');
    const requested = f.get('scope').split(/\s+/).filter((s) => s !== '');
    if (!requested.includes(OPENID_SCOPE)) return fail('invalid_scope', `scope parameter must contain the "${OPENID_SCOPE}" value`);
    const responseType = f.get('response_type');
    if (responseType === '') return fail('invalid_request', 'response_type parameter is required');
    if (responseType !== 'code') return fail('unsupported_response_type', 'unsupported response_type value');

    const who = identity.resolve(req.auth?.entityId ?? '');
    if (who === undefined) return fail('access_denied', 'identity entity must be associated with the request');
    if (who.entity.disabled) return fail('access_denied', 'identity entity is disabled');
    if (!(await assigned(store, client, who))) return fail('access_denied', 'identity entity not authorized by client assignment');

    const at = now();
    const authTime = Math.floor((req.auth?.issuedAt ?? at) / 1000);
    const maxAge = f.getOk('max_age');
    if (maxAge !== undefined) {
      if (maxAge < 0) return fail('invalid_request', 'max_age must be greater than or equal to 0');
      if (Math.floor(at / 1000) - authTime > maxAge) return fail('login_required', 'the token was issued longer ago than max_age: authenticate again');
    }

    const challenge = f.get('code_challenge');
    const method = f.getOk('code_challenge_method') ?? (challenge !== '' ? 'plain' : '');
    if (challenge === '' && client.clientType === 'public') return fail('invalid_request', 'PKCE is required for public clients');
    if (challenge === '' && method !== '') return fail('invalid_request', 'code_challenge parameter is required when code_challenge_method is set');
    if (method !== '' && method !== 'plain' && method !== 'S256') return fail('invalid_request', 'invalid code_challenge_method: must be "plain" or "S256"');

    // Scopes the provider does not offer are ignored, as OIDC asks of unknown scope values.
    const scopes = [...new Set(requested.filter((s) => s !== OPENID_SCOPE && provider.scopesSupported.includes(s)))];
    const code = randomBase62(32);
    const record: AuthCode = {
      provider: name,
      clientId,
      entityId: who.entity.id,
      redirectUri,
      scopes,
      nonce: f.get('nonce'),
      codeChallenge: challenge,
      codeChallengeMethod: method as AuthCode['codeChallengeMethod'],
      authTime,
      expires: at + CODE_TTL_MS,
    };
    await store.putCode(code, record);
    return raw({ code, state });
  };

  const token = async (req: BackendRequest, f: FieldData<typeof tokenFields>): Promise<Response | undefined> => {
    const name = f.get('name');
    const provider = await store.provider(name);
    if (provider === undefined) return oauthError(400, 'invalid_request', `provider "${name}" not found`);

    // Client authentication: HTTP Basic, or client_id (+ client_secret) in the body.
    const basic = basicCredentials(req.headers['authorization']);
    const clientId = basic?.id ?? f.get('client_id');
    const secret = basic?.secret ?? f.getOk('client_secret');
    const denied = oauthError(401, 'invalid_client', 'client failed to authenticate', {}, basic !== undefined ? { 'WWW-Authenticate': 'Basic realm="token"' } : undefined);
    const client = await store.clientById(clientId);
    if (client === undefined) return denied;
    if (client.clientType === 'confidential' && (secret === undefined || !sameSecret(secret, client.clientSecret))) return denied;
    if (!allowsClient(provider.allowedClientIds, clientId)) return oauthError(400, 'unauthorized_client', 'client is not authorized to use the provider');

    const grantType = f.get('grant_type');
    if (grantType === '') return oauthError(400, 'invalid_request', 'grant_type parameter is required');
    if (grantType !== 'authorization_code') return oauthError(400, 'unsupported_grant_type', 'unsupported grant_type value');
    const code = f.get('code');
    if (code === '') return oauthError(400, 'invalid_request', 'code parameter is required');
    const redirectUri = f.get('redirect_uri');
    if (redirectUri === '') return oauthError(400, 'invalid_request', 'redirect_uri parameter is required');

    const at = now();
    // Deleted as it is read: a code is presented once, whatever the outcome.
    const grant = await store.redeemCode(code, at);
    if (grant === undefined || grant.provider !== name || grant.clientId !== clientId) return oauthError(400, 'invalid_grant', 'authorization grant is invalid or expired');
    if (grant.redirectUri !== redirectUri) return oauthError(400, 'invalid_grant', 'redirect_uri does not match the redirect_uri used in the authorization request');
    const verifier = f.get('code_verifier');
    if (grant.codeChallenge === '') {
      if (verifier !== '') return oauthError(400, 'invalid_grant', 'code_verifier was sent but the authorization request had no code_challenge');
    } else {
      if (verifier === '') return oauthError(400, 'invalid_request', 'code_verifier parameter is required');
      if (!CODE_VERIFIER.test(verifier)) return oauthError(400, 'invalid_grant', 'code_verifier must be 43 to 128 unreserved characters');
      const derived = grant.codeChallengeMethod === 'S256' ? createHash('sha256').update(verifier, 'ascii').digest('base64url') : verifier;
      if (!sameSecret(derived, grant.codeChallenge)) return oauthError(400, 'invalid_grant', 'failed to verify the PKCE code_verifier');
    }

    const who = identity.resolve(grant.entityId);
    if (who === undefined || who.entity.disabled) return oauthError(400, 'invalid_grant', 'identity entity not found or disabled');
    if (!(await assigned(store, client, who))) return oauthError(400, 'invalid_grant', 'identity entity not authorized by client assignment');
    const key = await keys.key(client.key);
    if (key === undefined) return oauthError(500, 'server_error', `key "${client.key}" not found`);
    if (!allowsClient(key.allowedClientIds, clientId)) return oauthError(400, 'unauthorized_client', `the key "${client.key}" does not list the client ID as an allowed client ID`);

    const accessToken = randomBase62(48);
    await store.putAccessToken(accessToken, { provider: name, clientId, entityId: who.entity.id, scopes: grant.scopes, expires: at + client.accessTokenTtl * 1000 });
    const iat = Math.floor(at / 1000);
    const alg = key.signing.publicJwk.alg;
    const claims = {
      ...(await scopeClaims(grant.scopes, who.entity.id, iat)),
      iss: providerIssuer(provider, name, env),
      namespace: 'root',
      sub: who.entity.id,
      aud: clientId,
      iat,
      exp: iat + client.idTokenTtl,
      auth_time: grant.authTime,
      ...(grant.nonce !== '' ? { nonce: grant.nonce } : {}),
      at_hash: halfHash(alg, accessToken),
      c_hash: halfHash(alg, code),
    };
    const body = { access_token: accessToken, token_type: 'Bearer', expires_in: client.accessTokenTtl, id_token: signJwt(key.signing, claims) };
    return { raw: { status: 200, body, contentType: 'application/json' }, headers: { 'Cache-Control': 'no-store', Pragma: 'no-cache' } };
  };

  const userinfo = async (req: BackendRequest, f: FieldData<typeof nameField>): Promise<Response | undefined> => {
    const invalid = (description: string): Response => oauthError(401, 'invalid_token', description, {}, { 'WWW-Authenticate': 'Bearer error="invalid_token"' });
    const name = f.get('name');
    if ((await store.provider(name)) === undefined) return oauthError(400, 'invalid_request', `provider "${name}" not found`);
    // The HTTP shell puts "Authorization: Bearer <access token>" into clientToken; this path runs no token step.
    const grant = await store.accessToken(req.clientToken, now());
    if (grant === undefined || grant.provider !== name) return invalid('access token is expired or invalid');
    if ((await store.clientById(grant.clientId)) === undefined) return invalid('client of the access token not found');
    const who = identity.resolve(grant.entityId);
    if (who === undefined || who.entity.disabled) return invalid('identity entity not found or disabled');
    return raw({ ...(await scopeClaims(grant.scopes, who.entity.id, Math.floor(now() / 1000))), sub: who.entity.id });
  };

  return [
    definePath({
      pattern: `oidc/provider/${NAME}/authorize`,
      fields: authorizeFields,
      operations: { read: (req, f) => authorize(req, f), update: (req, f) => authorize(req, f) },
      synopsis: 'OIDC authorization endpoint: an authorization code for the caller\'s entity.',
      description: 'Needs a Vault token with an entity allowed by one of the client\'s assignments. Answers {"code", "state"}.',
    }),
    definePath({
      pattern: `oidc/provider/${NAME}/token`,
      fields: tokenFields,
      operations: { update: (req, f) => token(req, f) },
      synopsis: 'OIDC token endpoint: an ID token and an access token for an authorization code.',
      description: 'Unauthenticated; the client authenticates with client_secret_basic or client_secret_post, a public client with PKCE alone.',
    }),
    definePath({
      pattern: `oidc/provider/${NAME}/userinfo`,
      fields: nameField,
      operations: { read: (req, f) => userinfo(req, f), update: (req, f) => userinfo(req, f) },
      synopsis: 'OIDC userinfo endpoint: the claims of an access token\'s entity.',
      description: 'Unauthenticated; the access token is sent as "Authorization: Bearer". Answers sub and the granted scopes\' claims.',
    }),
    definePath({
      pattern: `oidc/provider/${NAME}/\\.well-known/openid-configuration`,
      fields: nameField,
      operations: {
        read: async (_req, f) => {
          const name = f.get('name');
          const provider = await store.provider(name);
          return provider === undefined ? undefined : raw(discovery(provider, providerIssuer(provider, name, env)), 'max-age=3600');
        },
      },
      synopsis: 'OIDC discovery document of a provider.',
      description: 'Unauthenticated: the issuer, endpoints, and what the provider supports.',
    }),
    definePath({
      pattern: `oidc/provider/${NAME}/\\.well-known/keys`,
      fields: nameField,
      operations: {
        read: async (_req, f) => {
          const provider = await store.provider(f.get('name'));
          if (provider === undefined) return undefined;
          const at = now();
          const used = (await store.clients()).filter((c) => allowsClient(provider.allowedClientIds, c.client.clientId)).map((c) => c.client.key);
          const { keys: published, changes } = await keys.publicKeysOf(used, at);
          const maxAge = Math.max(0, Math.ceil((Math.min(changes, at + DAY * 1000) - at) / 1000));
          return raw({ keys: published }, published.length > 0 ? `max-age=${maxAge}` : undefined);
        },
      },
      synopsis: 'Public keys of a provider (JWKS).',
      description: 'Unauthenticated: the public keys of the named keys of the clients the provider allows.',
    }),
  ];
}

function discovery(provider: OidcProvider, issuer: string): Record<string, unknown> {
  return {
    issuer,
    jwks_uri: `${issuer}/.well-known/keys`,
    // Arca has no web UI: the authorization endpoint is the API's (it needs a Vault token).
    authorization_endpoint: `${issuer}/authorize`,
    token_endpoint: `${issuer}/token`,
    userinfo_endpoint: `${issuer}/userinfo`,
    request_parameter_supported: false,
    request_uri_parameter_supported: false,
    id_token_signing_alg_values_supported: [...ALGORITHMS],
    response_types_supported: ['code'],
    scopes_supported: [OPENID_SCOPE, ...provider.scopesSupported.filter((s) => s !== OPENID_SCOPE)],
    claims_supported: [],
    subject_types_supported: ['public'],
    grant_types_supported: ['authorization_code'],
    token_endpoint_auth_methods_supported: ['none', 'client_secret_basic', 'client_secret_post'],
    code_challenge_methods_supported: ['plain', 'S256'],
  };
}

const nameField = { name: { type: 'string', description: 'Name of the provider.' } } as const;

const authorizeFields = {
  ...nameField,
  scope: { type: 'string', description: 'Space-separated scopes; must contain openid.' },
  response_type: { type: 'string', description: 'Must be "code".' },
  client_id: { type: 'string', description: 'The client asking.' },
  redirect_uri: { type: 'string', description: 'One of the client\'s redirect URIs.' },
  state: { type: 'string', description: 'Opaque value returned with the code.' },
  nonce: { type: 'string', description: 'Value copied into the ID token.' },
  max_age: { type: 'int', description: 'Seconds since the caller\'s token was issued beyond which the caller must authenticate again.' },
  code_challenge: { type: 'string', description: 'PKCE code challenge (required for public clients).' },
  code_challenge_method: { type: 'string', description: 'PKCE method: plain (default) or S256.' },
} as const;

const tokenFields = {
  ...nameField,
  grant_type: { type: 'string', description: 'Must be "authorization_code".' },
  code: { type: 'string', description: 'The authorization code.', sensitive: true },
  redirect_uri: { type: 'string', description: 'The redirect URI sent to the authorization endpoint.' },
  code_verifier: { type: 'string', description: 'PKCE code verifier.', sensitive: true },
  client_id: { type: 'string', description: 'The client (client_secret_post, or a public client).' },
  client_secret: { type: 'string', description: 'The client secret (client_secret_post).', sensitive: true },
} as const;
