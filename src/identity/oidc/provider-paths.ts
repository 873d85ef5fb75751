/**
 * Configuration of the OIDC provider (Vault's identity/oidc/scope|assignment|client|provider):
 * scopes (claims templates), assignments (who may use a client), clients (relying parties,
 * with generated credentials) and providers (issuers naming the clients and scopes they
 * serve). The flow endpoints that use them are in provider-flow.ts.
 */
import { BadRequestError } from '../../errors.js';
import { definePath, type FieldData, type PathDef } from '../../framework/index.js';
import type { BackendContext } from '../../logical/backend.js';
import { randomBase62 } from '../../util/random.js';
import { checkTemplate } from './claims-template.js';
import { checkIssuer, ISSUER_PATH, type OidcEnvironment } from './oidc-paths.js';
import type { KeySettings } from './oidc-store.js';
import { OidcStore } from './oidc-store.js';
import { ALLOW_ALL_ASSIGNMENT, type ClientType, DEFAULT_PROVIDER, type OidcClient, type OidcProvider, ProviderStore } from './provider-store.js';

const NAME = '(?<name>\\w(?:[\\w.-]*\\w)?)';
const DAY = 24 * 60 * 60;
export const OPENID_SCOPE = 'openid';
export const DEFAULT_KEY = 'default';
/** The key a client names by default, made on first use (as Vault does). */
const DEFAULT_KEY_SETTINGS: KeySettings = { algorithm: 'RS256', rotationPeriod: DAY, verificationTtl: DAY, allowedClientIds: ['*'] };
const CLIENT_SECRET_PREFIX = 'hvo_secret_';

/** The provider's issuer: its base URL (else api_addr) and its path. */
export function providerIssuer(provider: OidcProvider, name: string, env: OidcEnvironment): string {
  return `${provider.issuer !== '' ? provider.issuer : env.apiAddr()}${ISSUER_PATH}/provider/${name}`;
}

/** Whether a provider or key setting lists the client ID (or "*"). */
export function allowsClient(allowed: readonly string[], clientId: string): boolean {
  return allowed.includes('*') || allowed.includes(clientId);
}

function inUse(what: string, name: string, by: string, names: readonly string[]): BadRequestError {
  return new BadRequestError(`unable to delete ${what} "${name}" because it is currently referenced by these ${by}: ${names.join(', ')}`);
}

export function providerConfigPaths(ctx: BackendContext, env: OidcEnvironment): PathDef[] {
  const store = new ProviderStore(ctx.storage);
  const keys = new OidcStore(ctx.storage);
  const now = (): number => ctx.clock.now();

  return [
    definePath({
      pattern: 'oidc/scope/?',
      fields: {},
      operations: { list: async () => ({ data: { keys: await store.scopeNames() } }) },
      synopsis: 'List the scopes.',
      description: 'Names of the scopes providers may offer.',
    }),
    definePath({
      pattern: `oidc/scope/${NAME}`,
      fields: scopeFields,
      existenceCheck: async (_req, f) => (await store.scope(f.get('name'))) !== undefined,
      operations: {
        read: async (_req, f) => {
          const scope = await store.scope(f.get('name'));
          return scope === undefined ? undefined : { data: { template: scope.template, description: scope.description } };
        },
        create: async (_req, f) => writeScope(store, f),
        update: async (_req, f) => writeScope(store, f),
        delete: async (_req, f) => {
          const name = f.get('name');
          const users: string[] = [];
          for (const p of await store.providerNames()) if ((await store.provider(p))?.scopesSupported.includes(name)) users.push(p);
          if (users.length > 0) throw inUse('scope', name, 'providers', users);
          await store.deleteScope(name);
          return undefined;
        },
      },
      synopsis: 'Create, read, update or delete a scope.',
      description: 'A scope is a claims template: the claims an ID token and userinfo carry when the scope is granted.',
    }),
    definePath({
      pattern: 'oidc/assignment/?',
      fields: {},
      operations: { list: async () => ({ data: { keys: await store.assignmentNames() } }) },
      synopsis: 'List the assignments.',
      description: 'Names of the assignments, including the built-in allow_all.',
    }),
    definePath({
      pattern: `oidc/assignment/${NAME}`,
      fields: assignmentFields,
      existenceCheck: async (_req, f) => (await store.assignment(f.get('name'))) !== undefined,
      operations: {
        read: async (_req, f) => {
          const a = await store.assignment(f.get('name'));
          return a === undefined ? undefined : { data: { entity_ids: a.entityIds, group_ids: a.groupIds } };
        },
        create: async (_req, f) => writeAssignment(store, f),
        update: async (_req, f) => writeAssignment(store, f),
        delete: async (_req, f) => {
          const name = f.get('name');
          if (name === ALLOW_ALL_ASSIGNMENT) throw new BadRequestError(`deletion of assignment "${name}" not allowed`);
          const users = await store.clientsWhere((c) => c.assignments.includes(name));
          if (users.length > 0) throw inUse('assignment', name, 'clients', users);
          await store.deleteAssignment(name);
          return undefined;
        },
      },
      synopsis: 'Create, read, update or delete an assignment.',
      description: 'An assignment lists the entities and groups allowed to use the clients that name it.',
    }),
    definePath({
      pattern: 'oidc/client/?',
      fields: {},
      operations: { list: async () => ({ data: { keys: await store.clientNames() } }) },
      synopsis: 'List the clients.',
      description: 'Names of the OIDC clients (relying parties).',
    }),
    definePath({
      pattern: `oidc/client/${NAME}`,
      fields: clientFields,
      existenceCheck: async (_req, f) => (await store.client(f.get('name'))) !== undefined,
      operations: {
        read: async (_req, f) => {
          const c = await store.client(f.get('name'));
          return c === undefined ? undefined : { data: renderClient(c) };
        },
        create: async (_req, f) => writeClient(store, keys, f, now()),
        update: async (_req, f) => writeClient(store, keys, f, now()),
        delete: async (_req, f) => {
          await store.deleteClient(f.get('name'));
          return undefined;
        },
      },
      synopsis: 'Create, read, update or delete a client.',
      description: 'A client is a relying party: its redirect URIs, assignments, signing key, token TTLs and generated credentials.',
    }),
    definePath({
      pattern: 'oidc/provider/?',
      fields: { allowed_client_id: { type: 'string', description: 'List only the providers that allow this client ID.' } },
      operations: {
        list: async (_req, f) => {
          const only = f.get('allowed_client_id');
          const names: string[] = [];
          const info: Record<string, unknown> = {};
          for (const name of await store.providerNames()) {
            const p = await store.provider(name);
            if (p === undefined || (only !== '' && !allowsClient(p.allowedClientIds, only))) continue;
            names.push(name);
            info[name] = renderProvider(p, name, env);
          }
          return { data: { keys: names, key_info: info } };
        },
      },
      synopsis: 'List the providers.',
      description: 'Names of the providers (with their settings in key_info), optionally only those allowing a client ID.',
    }),
    definePath({
      pattern: `oidc/provider/${NAME}`,
      fields: providerFields,
      existenceCheck: async (_req, f) => (await store.provider(f.get('name'))) !== undefined,
      operations: {
        read: async (_req, f) => {
          const name = f.get('name');
          const p = await store.provider(name);
          return p === undefined ? undefined : { data: renderProvider(p, name, env) };
        },
        create: async (_req, f) => writeProvider(store, f),
        update: async (_req, f) => writeProvider(store, f),
        delete: async (_req, f) => {
          const name = f.get('name');
          if (name === DEFAULT_PROVIDER) throw new BadRequestError(`deletion of OIDC provider "${name}" not allowed`);
          await store.deleteProvider(name);
          return undefined;
        },
      },
      synopsis: 'Create, read, update or delete a provider.',
      description: 'A provider is an OIDC issuer: the clients it serves and the scopes it offers.',
    }),
  ];
}

const scopeFields = {
  name: { type: 'string', description: 'Name of the scope.' },
  template: { type: 'string', description: 'Claims template: JSON, or base64-encoded JSON.' },
  description: { type: 'string', description: 'What the scope is for.' },
} as const;

const assignmentFields = {
  name: { type: 'string', description: 'Name of the assignment.' },
  entity_ids: { type: 'comma-string-slice', description: 'Entity IDs the assignment allows.' },
  group_ids: { type: 'comma-string-slice', description: 'Group IDs whose member entities the assignment allows.' },
} as const;

const clientFields = {
  name: { type: 'string', description: 'Name of the client.' },
  key: { type: 'string', default: DEFAULT_KEY, description: 'The named key that signs the ID tokens of the client.' },
  redirect_uris: { type: 'comma-string-slice', description: 'Redirect URIs the authorization endpoint accepts for the client.' },
  assignments: { type: 'comma-string-slice', description: 'Assignments naming the entities and groups allowed to use the client.' },
  id_token_ttl: { type: 'duration', default: DAY, description: 'Lifetime of ID tokens.' },
  access_token_ttl: { type: 'duration', default: DAY, description: 'Lifetime of access tokens.' },
  client_type: { type: 'string', default: 'confidential', description: 'confidential (authenticates with a secret) or public (PKCE, no secret); fixed at creation.' },
} as const;

const providerFields = {
  name: { type: 'string', description: 'Name of the provider.' },
  issuer: { type: 'string', description: 'scheme://host[:port] of the iss claim; empty uses the api_addr of the cluster.' },
  allowed_client_ids: { type: 'comma-string-slice', description: 'Client IDs allowed to use the provider; "*" for all.' },
  scopes_supported: { type: 'comma-string-slice', description: 'Scopes the provider offers besides openid.' },
} as const;

async function writeScope(store: ProviderStore, f: FieldData<typeof scopeFields>): Promise<undefined> {
  const name = f.get('name');
  if (name === OPENID_SCOPE) throw new BadRequestError(`the "${OPENID_SCOPE}" scope name is reserved`);
  const old = await store.scope(name);
  const template = f.getOk('template') ?? old?.template ?? '';
  checkTemplate(template);
  await store.putScope(name, { template, description: f.getOk('description') ?? old?.description ?? '' });
  return undefined;
}

async function writeAssignment(store: ProviderStore, f: FieldData<typeof assignmentFields>): Promise<undefined> {
  const name = f.get('name');
  if (name === ALLOW_ALL_ASSIGNMENT) throw new BadRequestError(`modification of assignment "${name}" not allowed`);
  const old = await store.assignment(name);
  await store.putAssignment(name, { entityIds: f.getOk('entity_ids') ?? old?.entityIds ?? [], groupIds: f.getOk('group_ids') ?? old?.groupIds ?? [] });
  return undefined;
}

/** Create a client (with new credentials) or change the settings sent; its key and assignments must exist. */
async function writeClient(store: ProviderStore, keys: OidcStore, f: FieldData<typeof clientFields>, now: number): Promise<undefined> {
  const name = f.get('name');
  const old = await store.client(name);
  const type = f.getOk('client_type') ?? old?.clientType ?? f.get('client_type');
  if (type !== 'confidential' && type !== 'public') throw new BadRequestError(`invalid client_type "${type}"`);
  if (old !== undefined && type !== old.clientType) throw new BadRequestError('client_type cannot be updated');
  const keyName = f.getOk('key') ?? old?.key ?? f.get('key');
  if (keyName === '') throw new BadRequestError('the key parameter is required');
  const assignments = f.getOk('assignments') ?? old?.assignments ?? [];
  for (const a of assignments) if ((await store.assignment(a)) === undefined) throw new BadRequestError(`assignment "${a}" does not exist`);
  const idTokenTtl = f.getOk('id_token_ttl') ?? old?.idTokenTtl ?? f.get('id_token_ttl');
  const accessTokenTtl = f.getOk('access_token_ttl') ?? old?.accessTokenTtl ?? f.get('access_token_ttl');
  if (keyName === DEFAULT_KEY) await keys.ensureKey(DEFAULT_KEY, DEFAULT_KEY_SETTINGS, now);
  const key = await keys.key(keyName);
  if (key === undefined) throw new BadRequestError(`key "${keyName}" does not exist`);
  if (idTokenTtl > key.verificationTtl) throw new BadRequestError("a client's id_token_ttl cannot be longer than the verification_ttl of the key it references");
  const clientType: ClientType = type;
  const client: OidcClient = {
    clientId: old?.clientId ?? randomBase62(32),
    clientSecret: clientType === 'confidential' ? (old?.clientSecret ?? CLIENT_SECRET_PREFIX + randomBase62(64)) : '',
    clientType,
    redirectUris: f.getOk('redirect_uris') ?? old?.redirectUris ?? [],
    assignments,
    key: keyName,
    idTokenTtl,
    accessTokenTtl,
  };
  await store.putClient(name, client);
  return undefined;
}

async function writeProvider(store: ProviderStore, f: FieldData<typeof providerFields>): Promise<undefined> {
  const name = f.get('name');
  const old = await store.provider(name);
  const issuer = f.getOk('issuer') ?? old?.issuer ?? '';
  checkIssuer(issuer);
  const scopesSupported = f.getOk('scopes_supported') ?? old?.scopesSupported ?? [];
  for (const s of scopesSupported) if (s !== OPENID_SCOPE && (await store.scope(s)) === undefined) throw new BadRequestError(`scope "${s}" does not exist`);
  await store.putProvider(name, { issuer, allowedClientIds: f.getOk('allowed_client_ids') ?? old?.allowedClientIds ?? [], scopesSupported });
  return undefined;
}

function renderClient(c: OidcClient): Record<string, unknown> {
  return {
    client_id: c.clientId,
    ...(c.clientType === 'confidential' ? { client_secret: c.clientSecret } : {}),
    client_type: c.clientType,
    redirect_uris: c.redirectUris,
    assignments: c.assignments,
    key: c.key,
    id_token_ttl: c.idTokenTtl,
    access_token_ttl: c.accessTokenTtl,
  };
}

function renderProvider(p: OidcProvider, name: string, env: OidcEnvironment): Record<string, unknown> {
  return { issuer: providerIssuer(p, name, env), allowed_client_ids: p.allowedClientIds, scopes_supported: p.scopesSupported };
}
