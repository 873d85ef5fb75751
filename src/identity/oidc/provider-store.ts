/**
 * The OIDC provider's records, in the identity mount's own storage view next to the identity
 * token records (replicated with the mount; a write at a secondary goes to the primary):
 *
 *   oidc/scope/<name>              OidcScope        identity/oidc/scope/:name; read by the token and userinfo endpoints
 *   oidc/assignment/<name>         OidcAssignment   identity/oidc/assignment/:name; read by authorize and token
 *   oidc/client/<name>             OidcClient       identity/oidc/client/:name; read by every flow endpoint
 *   oidc/client-id/<client_id>     ClientIdEntry    the name of the client with that client_id, written with it
 *   oidc/client-index              {version}        present once every client has its client-id entry
 *   oidc/provider/<name>           OidcProvider     identity/oidc/provider/:name; read by every flow endpoint
 *   oidc/provider-code/<sha256>    AuthCode         written by authorize, deleted by the token endpoint (single use) or the sweep
 *   oidc/provider-token/<sha256>   AccessToken      written by the token endpoint, read by userinfo, deleted by the sweep
 *
 * Codes and access tokens are stored under the SHA-256 of their value, never the value: a
 * lookup by hash needs no secret comparison, and storage holds nothing a caller could replay.
 * The `default` provider and the `allow_all` assignment are built in: they exist without a
 * record (a stored `default` record holds the operator's changes to it).
 */
import type { StorageView } from '../../logical/storage.js';
import type { BatchOp } from '../../storage/physical.js';
import { KeyedMutex } from '../../util/keyed-mutex.js';
import { sha256Hex } from '../../util/sha256.js';

const SCOPE_PREFIX = 'oidc/scope/';
const ASSIGNMENT_PREFIX = 'oidc/assignment/';
const CLIENT_PREFIX = 'oidc/client/';
const CLIENT_ID_PREFIX = 'oidc/client-id/';
/** Written once every stored client has its client-id entry (clients stored before it had none). */
const CLIENT_INDEX_MARKER = 'oidc/client-index';

interface ClientIdEntry {
  readonly name: string;
}
const PROVIDER_PREFIX = 'oidc/provider/';
const CODE_PREFIX = 'oidc/provider-code/';
const ACCESS_TOKEN_PREFIX = 'oidc/provider-token/';

export const DEFAULT_PROVIDER = 'default';
export const ALLOW_ALL_ASSIGNMENT = 'allow_all';

export interface OidcScope {
  /** As given (JSON, possibly base64-encoded); '' = no claims. */
  readonly template: string;
  readonly description: string;
}

export interface OidcAssignment {
  readonly entityIds: readonly string[];
  readonly groupIds: readonly string[];
}

export type ClientType = 'confidential' | 'public';

export interface OidcClient {
  readonly clientId: string;
  /** '' for public clients. */
  readonly clientSecret: string;
  readonly clientType: ClientType;
  readonly redirectUris: readonly string[];
  readonly assignments: readonly string[];
  readonly key: string;
  /** Seconds. */
  readonly idTokenTtl: number;
  readonly accessTokenTtl: number;
}

export interface OidcProvider {
  /** Base URL of the issuer; '' = the cluster's api_addr. */
  readonly issuer: string;
  readonly allowedClientIds: readonly string[];
  readonly scopesSupported: readonly string[];
}

/** What an authorization code stands for until the token endpoint redeems it. */
export interface AuthCode {
  readonly provider: string;
  readonly clientId: string;
  readonly entityId: string;
  readonly redirectUri: string;
  /** Granted scopes other than openid, in request order. */
  readonly scopes: readonly string[];
  readonly nonce: string;
  readonly codeChallenge: string;
  readonly codeChallengeMethod: '' | 'plain' | 'S256';
  /** When the caller's Vault token was issued, seconds since the epoch. */
  readonly authTime: number;
  /** ms since the epoch. */
  readonly expires: number;
}

export interface AccessToken {
  readonly provider: string;
  readonly clientId: string;
  readonly entityId: string;
  readonly scopes: readonly string[];
  /** ms since the epoch. */
  readonly expires: number;
}

const BUILT_IN_PROVIDER: OidcProvider = { issuer: '', allowedClientIds: ['*'], scopesSupported: [] };
const BUILT_IN_ASSIGNMENT: OidcAssignment = { entityIds: ['*'], groupIds: ['*'] };

function jsonBytes(value: unknown): Buffer {
  return Buffer.from(JSON.stringify(value), 'utf8');
}

function secretHash(value: string): string {
  return sha256Hex(value);
}

export class ProviderStore {
  /** Redeeming a code is read-then-delete; two redemptions of one code never interleave. */
  private readonly codeLocks = new KeyedMutex();

  constructor(private readonly storage: StorageView) {}

  scope(name: string): Promise<OidcScope | undefined> {
    return this.storage.getJSON<OidcScope>(SCOPE_PREFIX + name);
  }

  scopeNames(): Promise<string[]> {
    return this.storage.list(SCOPE_PREFIX);
  }

  putScope(name: string, scope: OidcScope): Promise<void> {
    return this.storage.putJSON(SCOPE_PREFIX + name, scope);
  }

  deleteScope(name: string): Promise<void> {
    return this.storage.delete(SCOPE_PREFIX + name);
  }

  async assignment(name: string): Promise<OidcAssignment | undefined> {
    if (name === ALLOW_ALL_ASSIGNMENT) return BUILT_IN_ASSIGNMENT;
    return this.storage.getJSON<OidcAssignment>(ASSIGNMENT_PREFIX + name);
  }

  async assignmentNames(): Promise<string[]> {
    return withName(await this.storage.list(ASSIGNMENT_PREFIX), ALLOW_ALL_ASSIGNMENT);
  }

  putAssignment(name: string, assignment: OidcAssignment): Promise<void> {
    return this.storage.putJSON(ASSIGNMENT_PREFIX + name, assignment);
  }

  deleteAssignment(name: string): Promise<void> {
    return this.storage.delete(ASSIGNMENT_PREFIX + name);
  }

  client(name: string): Promise<OidcClient | undefined> {
    return this.storage.getJSON<OidcClient>(CLIENT_PREFIX + name);
  }

  clientNames(): Promise<string[]> {
    return this.storage.list(CLIENT_PREFIX);
  }

  /** The client and its client-id entry, in one batch (client_id never changes once set). */
  async putClient(name: string, client: OidcClient): Promise<void> {
    await this.ensureClientIndex();
    await this.storage.batch([
      { type: 'put', key: CLIENT_ID_PREFIX + client.clientId, value: jsonBytes({ name } satisfies ClientIdEntry) },
      { type: 'put', key: CLIENT_PREFIX + name, value: jsonBytes(client) },
    ]);
  }

  async deleteClient(name: string): Promise<void> {
    await this.ensureClientIndex();
    const client = await this.client(name);
    const ops: BatchOp[] = [{ type: 'delete', key: CLIENT_PREFIX + name }];
    if (client !== undefined && client.clientId !== '') ops.push({ type: 'delete', key: CLIENT_ID_PREFIX + client.clientId });
    await this.storage.batch(ops);
  }

  /**
   * Clients stored before the client-id entries existed get theirs at the first client write
   * (a write: on a secondary that goes to the primary), then the marker says the index is whole.
   */
  private async ensureClientIndex(): Promise<void> {
    if ((await this.storage.get(CLIENT_INDEX_MARKER)) !== undefined) return;
    const ops: BatchOp[] = (await this.clients())
      .filter((c) => c.client.clientId !== '')
      .map((c) => ({ type: 'put', key: CLIENT_ID_PREFIX + c.client.clientId, value: jsonBytes({ name: c.name } satisfies ClientIdEntry) }));
    ops.push({ type: 'put', key: CLIENT_INDEX_MARKER, value: jsonBytes({ version: 1 }) });
    await this.storage.batch(ops);
  }

  /** Every client with its name. Clients are few (one per relying party), so a scan is fine. */
  async clients(): Promise<{ name: string; client: OidcClient }[]> {
    const out: { name: string; client: OidcClient }[] = [];
    for (const name of await this.clientNames()) {
      const client = await this.client(name);
      if (client !== undefined) out.push({ name, client });
    }
    return out;
  }

  /**
   * The client with this client_id: through its client-id entry; by a scan of every client only
   * while the index is not whole yet (no client written since the entries were introduced).
   */
  async clientById(clientId: string): Promise<OidcClient | undefined> {
    if (clientId === '') return undefined;
    const entry = await this.storage.getJSON<ClientIdEntry>(CLIENT_ID_PREFIX + clientId);
    if (entry !== undefined) {
      const client = await this.client(entry.name);
      if (client?.clientId === clientId) return client;
    }
    if ((await this.storage.get(CLIENT_INDEX_MARKER)) !== undefined) return undefined;
    return (await this.clients()).find((c) => c.client.clientId === clientId)?.client;
  }

  /** Names of the clients for which `pick` is true, sorted. */
  async clientsWhere(pick: (client: OidcClient) => boolean): Promise<string[]> {
    return (await this.clients())
      .filter((c) => pick(c.client))
      .map((c) => c.name)
      .sort();
  }

  async provider(name: string): Promise<OidcProvider | undefined> {
    const stored = await this.storage.getJSON<OidcProvider>(PROVIDER_PREFIX + name);
    return stored ?? (name === DEFAULT_PROVIDER ? BUILT_IN_PROVIDER : undefined);
  }

  async providerNames(): Promise<string[]> {
    return withName(await this.storage.list(PROVIDER_PREFIX), DEFAULT_PROVIDER);
  }

  putProvider(name: string, provider: OidcProvider): Promise<void> {
    return this.storage.putJSON(PROVIDER_PREFIX + name, provider);
  }

  deleteProvider(name: string): Promise<void> {
    return this.storage.delete(PROVIDER_PREFIX + name);
  }

  putCode(code: string, record: AuthCode): Promise<void> {
    return this.storage.putJSON(CODE_PREFIX + secretHash(code), record);
  }

  /**
   * Redeem a code: its record if it exists and has not expired. It is deleted either way,
   * before the caller checks anything else, so a code is presented at most once.
   */
  redeemCode(code: string, now: number): Promise<AuthCode | undefined> {
    const key = CODE_PREFIX + secretHash(code);
    return this.codeLocks.run(key, async () => {
      const record = await this.storage.getJSON<AuthCode>(key);
      if (record === undefined) return undefined;
      await this.storage.delete(key);
      return record.expires > now ? record : undefined;
    });
  }

  putAccessToken(token: string, record: AccessToken): Promise<void> {
    return this.storage.putJSON(ACCESS_TOKEN_PREFIX + secretHash(token), record);
  }

  /** The access token's record, if it exists and has not expired. */
  async accessToken(token: string, now: number): Promise<AccessToken | undefined> {
    if (token === '') return undefined;
    const record = await this.storage.getJSON<AccessToken>(ACCESS_TOKEN_PREFIX + secretHash(token));
    return record !== undefined && record.expires > now ? record : undefined;
  }

  /** Delete expired codes and access tokens (run periodically by the node that writes the mount). */
  async sweep(now: number): Promise<void> {
    for (const prefix of [CODE_PREFIX, ACCESS_TOKEN_PREFIX]) {
      for (const hash of await this.storage.list(prefix)) {
        const record = await this.storage.getJSON<{ expires: number }>(prefix + hash);
        if (record !== undefined && record.expires <= now) await this.storage.delete(prefix + hash);
      }
    }
  }
}

function withName(names: string[], builtIn: string): string[] {
  return names.includes(builtIn) ? names : [...names, builtIn].sort();
}
