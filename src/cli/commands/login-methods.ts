/**
 * How `arca login` authenticates with each auth method: the token method checks the token
 * with lookup-self and dresses the answer as a login response; userpass and approle post
 * their credentials to the method's login path. Each returns the server's envelope (auth, or
 * wrap_info when -wrap-ttl asked for a wrapped login).
 *
 * Failures are LoginError (the login command prints "Error authenticating: ..." and exits 2,
 * as Vault's does). Credentials never enter error text.
 */
import { asSecret, toApiError, type ApiClient, type Secret } from '../client.js';
import { parseGoBool } from '../flags.js';
import { readSecretInput, type Ui } from '../ui.js';

export class LoginError extends Error {}

export interface LoginRequest {
  readonly client: ApiClient;
  readonly ui: Ui;
  /** K=V configuration from the command line (token=..., username=..., role_id=...). */
  readonly config: Readonly<Record<string, string>>;
  /** Mount path of the method, without slashes ("userpass", "team-approle"). */
  readonly mount: string;
}

export interface LoginMethod {
  /** One line of help about the K=V pairs it takes. */
  readonly usage: string;
  login(req: LoginRequest): Promise<Secret>;
}

function record(v: unknown): Record<string, unknown> | undefined {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}

function strings(v: unknown): string[] {
  return Array.isArray(v) ? v.map((x) => String(x)) : [];
}

const TOKEN_PROMPT_FAILED =
  'An error occurred attempting to ask for a token. The raw error message is shown below, but usually this is because you attempted to pipe a value into the command or you are executing outside of a terminal (tty). If you want to pipe the value, pass "-" as the argument to read from stdin. The raw error was: stdin is not a terminal';

/**
 * A lookup-self answer as the auth block of a login, the way Vault's token login shows it:
 * token policies and identity policies apart, and their union as "policies".
 */
export function authFromLookup(token: string, data: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const tokenPolicies = strings(data['policies']);
  const identityPolicies = strings(data['identity_policies']);
  const policies = [...new Set([...tokenPolicies, ...identityPolicies])];
  const ttl = typeof data['ttl'] === 'number' ? data['ttl'] : Number(data['ttl'] ?? 0);
  return {
    client_token: typeof data['id'] === 'string' && data['id'] !== '' ? data['id'] : token,
    accessor: data['accessor'] ?? '',
    policies,
    token_policies: tokenPolicies,
    identity_policies: identityPolicies,
    metadata: record(data['meta']) ?? null,
    lease_duration: Number.isFinite(ttl) ? ttl : 0,
    renewable: data['renewable'] === true,
  };
}

const tokenMethod: LoginMethod = {
  usage: 'token=<string> (or the token as the only argument; "-" reads it from stdin), lookup=<bool>',
  async login({ client, ui, config }) {
    let lookup = true;
    if (config['lookup'] !== undefined) {
      const parsed = parseGoBool(config['lookup']);
      if (parsed === undefined) throw new LoginError(`Failed to parse "lookup" as boolean: ${JSON.stringify(config['lookup'])}`);
      lookup = parsed;
    }
    let token = config['token'];
    if (token === undefined) {
      // Vault only prompts on a terminal; piped input must be asked for with "-".
      if (!ui.stdinIsTTY) throw new LoginError(TOKEN_PROMPT_FAILED);
      token = await ui.promptSecret('Token (will be hidden): ').catch((err: unknown) => {
        throw new LoginError(`could not read the token: ${err instanceof Error ? err.message : String(err)}`);
      });
    }
    token = token.trim();
    if (token === '') throw new LoginError('a token must be passed to auth, please view the help for more information');
    if (!lookup) return { auth: { client_token: token } };
    // The lookup answer is read here, so it is never wrapped.
    const res = await client.with({ token, wrapTTL: undefined }).send('GET', 'auth/token/lookup-self');
    if (res.status < 200 || res.status >= 300) throw new LoginError(`error looking up token: ${toApiError(res).message}`);
    const data = record(asSecret(res.body)?.data);
    if (data === undefined) throw new LoginError('empty response from lookup-self');
    return { auth: authFromLookup(token, data) };
  },
};

async function postLogin(client: ApiClient, path: string, body: Record<string, unknown>): Promise<Secret> {
  // Vault's CLI sends no token with a login: a stale stored token must not get in the way.
  const secret = await client.with({ token: '' }).write(path, body);
  if (secret === undefined) throw new LoginError('empty response from credential provider');
  return secret;
}

const userpassMethod: LoginMethod = {
  usage: 'username=<string> password=<string> (prompted for on a terminal, else read from stdin when omitted)',
  async login({ client, ui, config, mount }) {
    const username = config['username'] ?? '';
    if (username === '') throw new LoginError("'username' must be specified");
    let password = config['password'] ?? '';
    if (password === '') password = await readSecretInput(ui, undefined, 'Password (will be hidden): ');
    if (password === '') throw new LoginError("'password' must be specified");
    return postLogin(client, `auth/${mount}/login/${username}`, { password });
  },
};

const approleMethod: LoginMethod = {
  usage: 'role_id=<string> secret_id=<string> (secret_id may be omitted for roles that do not bind one)',
  async login({ client, config, mount }) {
    const roleId = config['role_id'] ?? '';
    if (roleId === '') throw new LoginError("'role_id' must be specified");
    const body: Record<string, unknown> = { role_id: roleId };
    const secretId = config['secret_id'] ?? '';
    if (secretId !== '') body['secret_id'] = secretId;
    return postLogin(client, `auth/${mount}/login`, body);
  },
};

export const LOGIN_METHODS: ReadonlyMap<string, LoginMethod> = new Map([
  ['token', tokenMethod],
  ['userpass', userpassMethod],
  ['approle', approleMethod],
]);
