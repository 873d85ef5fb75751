/**
 * `arca login`: authenticate with an auth method, store the token with the token helper
 * (~/.vault-token) and print it, with Vault's flags, texts and exit codes. A wrapped login
 * (-wrap-ttl) is unwrapped unless -no-store or -token-only asks for the wrapping token.
 */
import { DataArgError, fileSystemSources, parseArgsData } from '../args-data.js';
import { ApiError, TransportError, type ApiClient, type Secret } from '../client.js';
import { writeTokenHelper } from '../client-config.js';
import {
  COMMAND_SECTION,
  CommandFailure,
  EXIT_OK,
  EXIT_REMOTE,
  baseFlags,
  clientFor,
  outputField,
  outputFormat,
  usageFailure,
  type Command,
  type Invocation,
} from '../command.js';
import type { FlagDef, FlagSet } from '../flags.js';
import { formatValue, wrapText } from '../format.js';
import { printField, printSecret } from '../secret-output.js';
import { LOGIN_METHODS, LoginError } from './login-methods.js';
import { unwrapSecret } from './unwrap.js';

/** Vault wraps its CLI prose at 78 columns. */
const PROSE_WIDTH = 78;
/** A wrapped login answer could wrap another wrapped answer; never follow more than this. */
const MAX_UNWRAPS = 3;

export const LOGIN_SUCCESS_TEXT =
  'Success! You are now authenticated. The token information displayed below is already stored in the token helper. You do NOT need to run "arca login" again. Future requests will automatically use this token.';

function prose(text: string): string {
  return wrapText(text, PROSE_WIDTH).join('\n');
}

function record(v: unknown): Record<string, unknown> | undefined {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}

function withDefs(fs: FlagSet, defs: readonly FlagDef[]): FlagSet {
  for (const d of defs) fs.define(d);
  return fs;
}

/** Strip surrounding blanks and slashes ("userpass/" -> "userpass"). */
function trimSlashes(s: string): string {
  return s.trim().replace(/^\/+|\/+$/g, '');
}

/**
 * The K=V configuration. For the token method a first argument without "=" is the token
 * itself ("-" reads it from stdin). Values are strings, as Vault's login hands them over.
 */
export async function loginConfig(inv: Invocation, method: string): Promise<Record<string, string>> {
  let args = [...inv.args];
  const config: Record<string, string> = {};
  const first = args[0];
  if (method === 'token' && first !== undefined && !first.includes('=')) {
    config['token'] = first === '-' ? await inv.ui.readStdin() : first;
    args = args.slice(1);
  }
  let data: Record<string, unknown>;
  try {
    data = await parseArgsData(args, fileSystemSources(() => inv.ui.readStdin()));
  } catch (err) {
    if (err instanceof DataArgError) throw usageFailure(`Error parsing configuration: ${err.message}`);
    throw err;
  }
  for (const [k, v] of Object.entries(data)) config[k] = typeof v === 'string' ? v : formatValue(v);
  return config;
}

/** Follow wrapped answers to the auth block, unless asked to keep the wrapping token. */
async function extractToken(client: ApiClient, first: Secret, unwrap: boolean): Promise<{ secret: Secret; wrapped: boolean }> {
  let secret = first;
  for (let hop = 0; hop <= MAX_UNWRAPS; hop++) {
    if (record(secret.auth) !== undefined) return { secret, wrapped: false };
    const wrap = record(secret.wrap_info);
    if (wrap === undefined) throw new LoginError('no auth or wrapping info in response');
    if (typeof wrap['wrapped_accessor'] !== 'string' || wrap['wrapped_accessor'] === '') {
      throw new LoginError('wrapped response does not contain a token');
    }
    if (!unwrap) return { secret, wrapped: true };
    const next = await unwrapSecret(client.with({ token: String(wrap['token'] ?? ''), wrapTTL: undefined }), '');
    if (next === undefined) throw new LoginError('empty response from unwrap');
    secret = next;
  }
  throw new LoginError(`response still wrapped after ${MAX_UNWRAPS} unwraps`);
}

export const loginCommand: Command = {
  synopsis: 'Authenticate locally',
  help: `Usage: arca login [options] [AUTH K=V...]

  Authenticates users or machines to the server using the provided arguments.
  A successful authentication results in a token - conceptually similar to a
  session token on a website. By default, this token is cached on the local
  machine (~/.vault-token) for future requests.

  The default auth method is "token". If not supplied via the CLI, a token is
  prompted for on a terminal; "-" reads it from stdin.

      $ arca login s.3bV7ggxHXrSgHD9BbAqyZk4P

  Other methods take "K=V" pairs. If an auth method is enabled at a
  non-standard path, -method still names its type and -path names the path.

      $ arca login -method=userpass username=my-username password=...
      $ arca login -method=approle -path=machines role_id=... secret_id=...

  Supported methods: token, userpass, approle.

  If the authentication is requested with response wrapping (via -wrap-ttl),
  the returned token is automatically unwrapped unless -token-only (prints the
  wrapping token) or -no-store (prints the wrapping token's details) is used.`,
  flags: () =>
    withDefs(baseFlags('format+field'), [
      {
        name: 'method',
        kind: 'string',
        section: COMMAND_SECTION,
        defaultValue: 'token',
        usage: 'Type of authentication to use such as "userpass" or "approle". Note this corresponds to the TYPE, not the enabled path. Use -path to specify the path where the authentication is enabled. The default is token.',
      },
      {
        name: 'path',
        kind: 'string',
        section: COMMAND_SECTION,
        usage: 'Remote path in the server where the auth method is enabled. This defaults to the TYPE of method (e.g. userpass -> userpass/).',
      },
      {
        name: 'no-store',
        kind: 'bool',
        section: COMMAND_SECTION,
        usage: 'Do not persist the token to the token helper (usually the local filesystem) after authentication for use in future requests. The token will only be displayed in the command output.',
      },
      {
        name: 'no-print',
        kind: 'bool',
        section: COMMAND_SECTION,
        usage: 'Do not display the token. The token will still be stored to the configured token helper. The default is false.',
      },
      {
        name: 'token-only',
        kind: 'bool',
        section: COMMAND_SECTION,
        usage: 'Output only the token with no verification. This flag is a shortcut for "-field=token -no-store". Setting those flags to other values will have no affect.',
      },
    ]),
  async run(inv) {
    const f = inv.flags;
    const tokenOnly = f.bool('token-only');
    const noStore = tokenOnly || f.bool('no-store');
    const field = tokenOnly ? 'token' : outputField(inv);
    if (noStore && f.bool('no-print')) throw usageFailure('-no-store and -no-print cannot be used together');
    const format = outputFormat(inv);
    const method = trimSlashes(f.string('method')) || 'token';
    const handler = LOGIN_METHODS.get(method);
    if (handler === undefined) {
      throw usageFailure(
        prose(
          `Unknown auth method: ${method}. Use "arca auth list" to see the complete list of auth methods. Additionally, some auth methods are only available via the HTTP API.`,
        ),
      );
    }
    const config = await loginConfig(inv, method);
    const mount = trimSlashes(config['mount'] || (f.string('path') !== '' ? f.string('path') : method));
    const client = clientFor(inv);

    let secret: Secret;
    let wrapped: boolean;
    try {
      const answer = await handler.login({ client, ui: inv.ui, config, mount });
      ({ secret, wrapped } = await extractToken(client, answer, !noStore));
    } catch (err) {
      if (err instanceof LoginError || err instanceof ApiError || err instanceof TransportError) {
        throw new CommandFailure(`Error authenticating: ${err.message}`, EXIT_REMOTE);
      }
      throw err;
    }

    if (wrapped) return tokenOnly ? printField(inv.ui, format, secret, 'wrapping_token') : printSecret(inv.ui, format, secret);

    const token = String(record(secret.auth)?.['client_token'] ?? '');
    if (!noStore) {
      try {
        writeTokenHelper(inv.env, token);
      } catch (err) {
        inv.ui.err(`Error storing token: ${err instanceof Error ? err.message : String(err)}`);
        inv.ui.err(`${prose('Authentication was successful, but the token was not persisted. The resulting token is shown below for your records.')}\n`);
        printSecret(inv.ui, format, secret);
        return EXIT_REMOTE;
      }
      for (const name of ['ARCA_TOKEN', 'VAULT_TOKEN']) {
        // The environment beats the token helper, so the stored token would go unused.
        const value = inv.env[name];
        if (value !== undefined && value !== '') {
          inv.ui.err(
            `${prose(`WARNING! The ${name} environment variable is set! The value of this variable will take precedence; if this is unwanted please unset ${name} or update its value accordingly.`)}\n`,
          );
        }
      }
    } else if (!tokenOnly) {
      inv.ui.err(
        `${prose('The token was not stored in token helper. Set the VAULT_TOKEN environment variable or pass the token below with each request to the server.')}\n`,
      );
    }

    if (f.bool('no-print')) return EXIT_OK;
    if (field !== '') return printField(inv.ui, format, secret, field);
    if (format === 'table') inv.ui.out(`${prose(LOGIN_SUCCESS_TEXT)}\n`);
    return printSecret(inv.ui, format, secret);
  },
};
