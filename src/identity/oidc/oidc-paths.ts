/**
 * Identity tokens (Vault's identity/oidc/*): named signing keys, roles, signed ID tokens for
 * the caller's entity, introspection, and the unauthenticated OIDC discovery documents
 * (.well-known/openid-configuration and .well-known/keys) that JWT libraries verify against.
 */
import { BadRequestError } from '../../errors.js';
import { definePath, type FieldData, type PathDef } from '../../framework/index.js';
import type { BackendContext } from '../../logical/backend.js';
import type { Response } from '../../logical/request.js';
import { randomBase62 } from '../../util/random.js';
import type { IdentityStore } from '../identity-store.js';
import { checkTemplate, renderClaims } from './claims-template.js';
import { type NamedKey, OidcStore } from './oidc-store.js';
import { ProviderStore } from './provider-store.js';
import { ALGORITHMS, decodeJwt, isAlgorithm, signJwt, verifyJwt } from './signing-keys.js';

const NAME = '(?<name>\\w(?:[\\w.-]*\\w)?)';
const DAY = 24 * 60 * 60;
const MIN_ROTATION_PERIOD = 60;
/** Clock skew tolerated when checking exp and nbf. */
const CLOCK_LEEWAY_SECONDS = 60;
/** Where the issuer's endpoints live below its base URL (root namespace). */
export const ISSUER_PATH = '/v1/identity/oidc';

/** Base URL of the cluster (api_addr): the issuer when none is configured. */
export interface OidcEnvironment {
  readonly apiAddr: () => string;
}

export function raw(body: unknown, cacheControl?: string): Response {
  return { raw: { status: 200, body, contentType: 'application/json' }, ...(cacheControl !== undefined ? { headers: { 'Cache-Control': cacheControl } } : {}) };
}

/** An issuer setting: '' or a bare scheme://host[:port] URL. */
export function checkIssuer(issuer: string): void {
  if (issuer === '') return;
  let url: URL;
  try {
    url = new URL(issuer);
  } catch {
    throw new BadRequestError(`invalid issuer ${JSON.stringify(issuer)}: it must be a URL`);
  }
  const bare = (url.pathname === '/' || url.pathname === '') && url.search === '' && url.hash === '' && url.username === '' && url.password === '';
  if ((url.protocol !== 'https:' && url.protocol !== 'http:') || !bare || issuer.endsWith('/')) {
    throw new BadRequestError('invalid issuer, which must include only a scheme, host, and optional port (e.g. https://example.com:8200)');
  }
}

export function oidcPaths(identity: IdentityStore, ctx: BackendContext, env: OidcEnvironment): PathDef[] {
  const store = new OidcStore(ctx.storage);
  const providers = new ProviderStore(ctx.storage);
  const now = (): number => ctx.clock.now();
  const issuer = async (): Promise<string> => {
    const configured = (await store.config()).issuer;
    return `${configured !== '' ? configured : env.apiAddr()}${ISSUER_PATH}`;
  };

  return [
    definePath({
      pattern: 'oidc/config',
      fields: { issuer: { type: 'string', description: 'Issuer URL for the iss claim; empty uses the api_addr of the cluster.' } },
      operations: {
        read: async () => ({ data: { issuer: (await store.config()).issuer } }),
        update: async (_req, f) => {
          const value = f.getOk('issuer');
          if (value === undefined) return undefined;
          checkIssuer(value);
          await store.putConfig({ issuer: value });
          return {
            warnings: [
              'If "issuer" is set explicitly, all tokens must be validated against that address, including those issued by secondary clusters. Setting issuer to "" will restore the default behavior of using the cluster\'s api_addr as the issuer.',
            ],
          };
        },
      },
      synopsis: 'Read or set the issuer of identity tokens.',
      description: 'The iss claim is the issuer (default: api_addr) followed by /v1/identity/oidc.',
    }),
    definePath({
      pattern: 'oidc/key/?',
      fields: {},
      operations: { list: async () => ({ data: { keys: await store.keyNames() } }) },
      synopsis: 'List the named keys.',
      description: 'Names of the keys roles sign identity tokens with.',
    }),
    definePath({
      pattern: `oidc/key/${NAME}`,
      fields: keyFields,
      existenceCheck: async (_req, f) => (await store.key(f.get('name'))) !== undefined,
      operations: {
        read: async (_req, f) => {
          const key = await store.key(f.get('name'));
          if (key === undefined) return undefined;
          return { data: { algorithm: key.algorithm, rotation_period: key.rotationPeriod, verification_ttl: key.verificationTtl, allowed_client_ids: key.allowedClientIds } };
        },
        create: async (_req, f) => writeKey(store, f, now()),
        update: async (_req, f) => writeKey(store, f, now()),
        delete: async (_req, f) => {
          const name = f.get('name');
          const users = await store.rolesUsing(name);
          if (users.length > 0) throw new BadRequestError(`unable to delete key "${name}" because it is currently referenced by these roles: ${users.sort().join(', ')}`);
          const clients = await providers.clientsWhere((c) => c.key === name);
          if (clients.length > 0) throw new BadRequestError(`unable to delete key "${name}" because it is currently referenced by these clients: ${clients.join(', ')}`);
          await store.deleteKey(name);
          return undefined;
        },
      },
      synopsis: 'Create, read, update or delete a named key.',
      description: 'A named key holds the key pairs that sign identity tokens; it rotates every rotation_period.',
    }),
    definePath({
      pattern: `oidc/key/${NAME}/rotate`,
      fields: {
        name: { type: 'string', description: 'Name of the key.' },
        verification_ttl: { type: 'duration', description: 'Overrides the key\'s verification_ttl for the key being rotated out.' },
      },
      operations: {
        update: async (_req, f) => {
          const name = f.get('name');
          if (!(await store.rotateKey(name, now(), f.getOk('verification_ttl')))) throw new BadRequestError(`no named key found at "${name}"`);
          return undefined;
        },
      },
      synopsis: 'Rotate a named key now.',
      description: 'The next key pair starts signing; the current one stays published for verification_ttl.',
    }),
    definePath({
      pattern: 'oidc/role/?',
      fields: {},
      operations: { list: async () => ({ data: { keys: await store.roleNames() } }) },
      synopsis: 'List the roles.',
      description: 'Names of the roles identity tokens are generated against.',
    }),
    definePath({
      pattern: `oidc/role/${NAME}`,
      fields: roleFields,
      existenceCheck: async (_req, f) => (await store.role(f.get('name'))) !== undefined,
      operations: {
        read: async (_req, f) => {
          const role = await store.role(f.get('name'));
          if (role === undefined) return undefined;
          return { data: { client_id: role.clientId, key: role.key, template: role.template, ttl: role.ttl } };
        },
        create: async (_req, f) => writeRole(store, f),
        update: async (_req, f) => writeRole(store, f),
        delete: async (_req, f) => {
          await store.deleteRole(f.get('name'));
          return undefined;
        },
      },
      synopsis: 'Create, read, update or delete a role.',
      description: 'A role names the key, template, client ID and TTL of the tokens generated against it.',
    }),
    definePath({
      pattern: `oidc/token/${NAME}`,
      fields: { name: { type: 'string', description: 'Name of the role.' } },
      operations: {
        read: async (req, f) => {
          const name = f.get('name');
          const role = await store.role(name);
          if (role === undefined) throw new BadRequestError(`role "${name}" not found`);
          const key = await store.key(role.key);
          if (key === undefined) throw new BadRequestError(`key "${role.key}" not found`);
          if (!key.allowedClientIds.includes('*') && !key.allowedClientIds.includes(role.clientId)) {
            throw new BadRequestError(`the key "${role.key}" does not list the client ID of the role "${name}" as an allowed client ID`);
          }
          const entityId = req.auth?.entityId ?? '';
          if (entityId === '') throw new BadRequestError("no entity associated with the request's token");
          const resolved = identity.resolve(entityId);
          if (resolved === undefined) throw new BadRequestError(`error loading entity ID "${entityId}"`);
          const warnings: string[] = [];
          let ttl = role.ttl;
          if (ttl > key.verificationTtl) {
            ttl = key.verificationTtl;
            warnings.push(`a role's token ttl cannot be longer than the verification_ttl of the key it references, setting token ttl to ${ttl}`);
          }
          const iat = Math.floor(now() / 1000);
          const claims = {
            ...renderClaims(role.template, identity.templateContext(resolved.entity.id), iat),
            iss: await issuer(),
            namespace: 'root',
            sub: resolved.entity.id,
            aud: role.clientId,
            exp: iat + ttl,
            iat,
          };
          return { data: { token: signJwt(key.signing, claims), client_id: role.clientId, ttl: role.ttl }, ...(warnings.length > 0 ? { warnings } : {}) };
        },
      },
      synopsis: 'Generate a signed ID token for the caller\'s entity.',
      description: 'A JWT with iss, sub (the entity ID), aud (the role\'s client ID), iat, exp and the role\'s template claims.',
    }),
    definePath({
      pattern: 'oidc/introspect',
      fields: {
        token: { type: 'string', description: 'A signed ID token.' },
        client_id: { type: 'string', description: 'When set, the token\'s audience must include it.' },
      },
      operations: {
        update: async (_req, f) => {
          const answer = (error?: string): Response => raw(error === undefined ? { active: true } : { active: false, error });
          const token = f.get('token');
          if (token === '') throw new BadRequestError('missing token');
          const jwt = decodeJwt(token);
          if (jwt === undefined) return answer('error parsing token: not a compact JWS');
          const jwk = (await store.publicKeys(now())).find((k) => k.kid === jwt.header.kid);
          if (jwk === undefined || !verifyJwt(jwt, jwk)) return answer('unable to validate the token signature');
          const c = jwt.claims;
          if (c.iss !== (await issuer())) return answer('error validating claims: validation failed, invalid issuer claim (iss)');
          const clientId = f.get('client_id');
          const aud = Array.isArray(c.aud) ? c.aud : [c.aud];
          if (clientId !== '' && !aud.includes(clientId)) return answer('error validating claims: validation failed, invalid audience claim (aud)');
          // With a minute of leeway for clock skew, as Vault's JWT library allows.
          const nowSeconds = now() / 1000;
          if (typeof c.exp !== 'number' || c.exp + CLOCK_LEEWAY_SECONDS < nowSeconds) return answer('error validating claims: validation failed, token is expired (exp)');
          if (typeof c.nbf === 'number' && c.nbf - CLOCK_LEEWAY_SECONDS > nowSeconds) return answer('error validating claims: validation failed, token not valid yet (nbf)');
          const entity = typeof c.sub === 'string' ? identity.index.entities.get(c.sub) : undefined;
          if (entity === undefined) return answer('entity was not found');
          if (entity.disabled) return answer('entity is disabled');
          return answer();
        },
      },
      synopsis: 'Verify a signed ID token.',
      description: 'Answers {"active": true} for a token signed by a published key, unexpired, from this issuer, whose entity exists and is enabled; otherwise {"active": false, "error": ...}.',
    }),
    definePath({
      pattern: 'oidc/\\.well-known/openid-configuration',
      fields: {},
      operations: {
        read: async () => {
          const iss = await issuer();
          return raw(
            {
              issuer: iss,
              jwks_uri: `${iss}/.well-known/keys`,
              response_types_supported: ['id_token'],
              subject_types_supported: ['public'],
              id_token_signing_alg_values_supported: [...ALGORITHMS],
            },
            'max-age=3600',
          );
        },
      },
      synopsis: 'OIDC discovery document of the identity token issuer.',
      description: 'Unauthenticated: what OIDC libraries read to find the issuer\'s keys.',
    }),
    definePath({
      pattern: 'oidc/\\.well-known/keys',
      fields: {},
      operations: {
        read: async () => {
          const at = now();
          const keys = await store.publicKeys(at);
          return raw({ keys }, keys.length > 0 ? `max-age=${await secondsToNextChange(store, at)}` : undefined);
        },
      },
      synopsis: 'Public keys of the identity token issuer (JWKS).',
      description: 'Unauthenticated: the signing, next and recently rotated public keys of every named key.',
    }),
  ];
}

const keyFields = {
  name: { type: 'string', description: 'Name of the key.' },
  rotation_period: { type: 'duration', default: DAY, description: 'How often a new signing key is made.' },
  verification_ttl: { type: 'duration', default: DAY, description: 'How long a rotated public key stays published for verification.' },
  allowed_client_ids: { type: 'comma-string-slice', description: 'Client IDs of the roles allowed to sign with this key; "*" for all.' },
  algorithm: { type: 'string', default: 'RS256', description: `Signing algorithm: ${ALGORITHMS.join(', ')}.` },
} as const;

const roleFields = {
  name: { type: 'string', description: 'Name of the role.' },
  key: { type: 'string', description: "The named key that signs this role's tokens." },
  template: { type: 'string', description: 'Claims template: JSON, or base64-encoded JSON.' },
  client_id: { type: 'string', description: 'The aud claim; random when not set.' },
  ttl: { type: 'duration', default: DAY, description: 'Lifetime of the tokens.' },
} as const;

/** Create a key or change the settings sent (the others keep their values). */
async function writeKey(store: OidcStore, f: FieldData<typeof keyFields>, now: number): Promise<undefined> {
  const name = f.get('name');
  await store.writeKey(
    name,
    async (old) => {
      const rotationPeriod = f.getOk('rotation_period') ?? old?.rotationPeriod ?? f.get('rotation_period');
      if (rotationPeriod < MIN_ROTATION_PERIOD) throw new BadRequestError('rotation_period must be at least one minute');
      const verificationTtl = f.getOk('verification_ttl') ?? old?.verificationTtl ?? f.get('verification_ttl');
      if (verificationTtl > 10 * rotationPeriod) throw new BadRequestError('verification_ttl cannot be longer than 10x rotation_period');
      if (old !== undefined) {
        for (const roleName of await store.rolesUsing(name)) {
          if (((await store.role(roleName))?.ttl ?? 0) > verificationTtl) {
            throw new BadRequestError(`unable to update key "${name}" because it is currently referenced by one or more roles with a token ttl greater than ${verificationTtl} seconds`);
          }
        }
      }
      const algorithm = f.getOk('algorithm') ?? old?.algorithm ?? f.get('algorithm');
      if (!isAlgorithm(algorithm)) throw new BadRequestError(`unknown signing algorithm "${algorithm}"`);
      return { algorithm, rotationPeriod, verificationTtl, allowedClientIds: f.getOk('allowed_client_ids') ?? old?.allowedClientIds ?? [] };
    },
    now,
  );
  return undefined;
}

/** Create a role or change the settings sent; its key must exist and outlive its tokens. */
async function writeRole(store: OidcStore, f: FieldData<typeof roleFields>): Promise<undefined> {
  const name = f.get('name');
  const old = await store.role(name);
  const keyName = f.getOk('key') ?? old?.key ?? '';
  if (keyName === '') throw new BadRequestError('the key parameter is required');
  const template = f.getOk('template') ?? old?.template ?? '';
  checkTemplate(template);
  const ttl = f.getOk('ttl') ?? old?.ttl ?? f.get('ttl');
  const key = await store.key(keyName);
  if (key === undefined) throw new BadRequestError(`key "${keyName}" does not exist`);
  if (ttl > key.verificationTtl) throw new BadRequestError("a role's token ttl cannot be longer than the verification_ttl of the key it references");
  const clientId = f.getOk('client_id') || old?.clientId || randomBase62(26);
  await store.putRole(name, { key: keyName, template, clientId, ttl });
  return undefined;
}

/** Seconds until a key rotates or a retired key expires: how long a JWKS stays right. */
async function secondsToNextChange(store: OidcStore, now: number): Promise<number> {
  let soonest = now + DAY * 1000;
  for (const name of await store.keyNames()) {
    const key: NamedKey | undefined = await store.key(name);
    if (key === undefined) continue;
    soonest = Math.min(soonest, key.nextRotation, ...key.retired.map((r) => r.expires));
  }
  return Math.max(0, Math.ceil((soonest - now) / 1000));
}
