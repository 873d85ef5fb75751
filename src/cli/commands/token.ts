/**
 * `arca token lookup|renew|revoke|capabilities`: the token auth method (auth/token/...) and
 * sys/capabilities, with Vault's flags, messages and output. (`token create` has its own
 * module for its many flags.)
 */
import { asSecret, sysData, type ApiClient, type Secret } from '../client.js';
import {
  COMMAND_SECTION,
  CommandFailure,
  EXIT_LOCAL,
  EXIT_OK,
  baseFlags,
  clientFor,
  outputFormat,
  remote,
  usageFailure,
  type Command,
  type Invocation,
} from '../command.js';
import type { FlagDef, FlagSet } from '../flags.js';
import { formatStructured } from '../format.js';
import { printSecret } from '../secret-output.js';

export function withDefs(fs: FlagSet, defs: readonly FlagDef[]): FlagSet {
  for (const d of defs) fs.define(d);
  return fs;
}

/**
 * One call of the token API. Like the Go client's token helpers, any non-2xx answer (404
 * included) is an error; an empty 204 is an empty secret.
 */
export async function tokenCall(client: ApiClient, method: 'GET' | 'PUT' | 'POST', path: string, body?: Record<string, unknown>): Promise<Secret> {
  const res = await client.call(method, path, body === undefined ? {} : { body });
  return asSecret(res.body) ?? {};
}

/** The optional TOKEN argument (0 or 1), trimmed; '' means the CLI's own token. */
function optionalToken(inv: Invocation): string {
  if (inv.args.length > 1) throw usageFailure(`Too many arguments (expected 0-1, got ${inv.args.length})`);
  return (inv.args[0] ?? '').trim();
}

export const tokenLookupCommand: Command = {
  synopsis: 'Display information about a token',
  help: `Usage: arca token lookup [options] [TOKEN | ACCESSOR]

  Displays information about a token or accessor. If a TOKEN is not provided,
  the locally authenticated token is used.

  Get information about the locally authenticated token:

      $ arca token lookup

  Get information about a particular token:

      $ arca token lookup 96ddf4bc-d217-f3ba-f9bd-017055595017

  Get information about a token via its accessor:

      $ arca token lookup -accessor 9793c9b3-e04a-46f3-e7b8-748d7da248da`,
  flags: () =>
    baseFlags('format').define({
      name: 'accessor',
      kind: 'bool',
      section: COMMAND_SECTION,
      usage: 'Treat the argument as an accessor instead of a token. When this option is selected, the output will NOT include the token.',
    }),
  async run(inv) {
    const accessor = inv.flags.bool('accessor');
    const n = inv.args.length;
    if (accessor && n < 1) throw usageFailure(`Not enough arguments with -accessor (expected 1, got ${n})`);
    if (accessor && n > 1) throw usageFailure(`Too many arguments with -accessor (expected 1, got ${n})`);
    const token = optionalToken(inv);
    const format = outputFormat(inv);
    const client = clientFor(inv);
    const secret = await remote('Error looking up token', () => {
      if (token === '') return tokenCall(client, 'GET', 'auth/token/lookup-self');
      if (accessor) return tokenCall(client, 'POST', 'auth/token/lookup-accessor', { accessor: token });
      return tokenCall(client, 'POST', 'auth/token/lookup', { token });
    });
    return printSecret(inv.ui, format, secret);
  },
};

export const tokenRenewCommand: Command = {
  synopsis: 'Renew a token lease',
  help: `Usage: arca token renew [options] [TOKEN]

  Renews a token's lease, extending the amount of time it can be used. If a
  TOKEN is not provided, the locally authenticated token is used. A token
  accessor can be used as well. Lease renewal will fail if the token is not
  renewable, the token has already been revoked, or if the token has already
  reached its maximum TTL.

  Renew a token (this uses the /auth/token/renew endpoint and permission):

      $ arca token renew 96ddf4bc-d217-f3ba-f9bd-017055595017

  Renew the currently authenticated token (this uses the /auth/token/renew-self
  endpoint and permission):

      $ arca token renew

  Renew a token requesting a specific increment value:

      $ arca token renew -increment=30m 96ddf4bc-d217-f3ba-f9bd-017055595017`,
  flags: () =>
    withDefs(baseFlags('format'), [
      {
        name: 'increment',
        kind: 'duration',
        aliases: ['i'],
        section: COMMAND_SECTION,
        usage: 'Request a specific increment for renewal. This increment may not be honored, for instance in the case of periodic tokens. If not supplied, the token\'s default TTL is used. This is specified as a numeric string with suffix like "30s" or "5m".',
      },
      {
        name: 'accessor',
        kind: 'bool',
        section: COMMAND_SECTION,
        usage: 'Treat the argument as an accessor instead of a token. When this option is selected, the output will NOT include the token.',
      },
    ]),
  async run(inv) {
    const token = optionalToken(inv);
    const format = outputFormat(inv);
    const increment = inv.flags.durationSeconds('increment') ?? 0;
    const client = clientFor(inv);
    const secret = await remote('Error renewing token', () => {
      if (token === '') return tokenCall(client, 'PUT', 'auth/token/renew-self', { increment });
      if (inv.flags.bool('accessor')) return tokenCall(client, 'PUT', 'auth/token/renew-accessor', { accessor: token, increment });
      return tokenCall(client, 'PUT', 'auth/token/renew', { token, increment });
    });
    return printSecret(inv.ui, format, secret);
  },
};

type RevokeTarget = 'self' | 'tree' | 'orphan' | 'path' | 'accessor';

/** Vault's argument and flag checks for token revoke, in its order; returns what to revoke. */
export function revokeTarget(inv: Invocation): RevokeTarget {
  const f = inv.flags;
  const self = f.bool('self');
  const accessor = f.bool('accessor');
  const mode = f.string('mode');
  const n = inv.args.length;
  if (mode !== '' && mode !== 'orphan' && mode !== 'path') throw usageFailure(`Invalid mode: ${mode}`);
  if (self && n > 0) throw usageFailure(`Too many arguments with -self (expected 0, got ${n})`);
  if (!self && n > 1) throw usageFailure(`Too many arguments (expected 1 or -self, got ${n})`);
  if (!self && n < 1) throw usageFailure(`Not enough arguments (expected 1 or -self, got ${n})`);
  if (self && accessor) throw usageFailure('Cannot use -self with -accessor!');
  if (self && mode !== '') throw usageFailure('Cannot use -self with -mode!');
  if (accessor && mode !== '') throw usageFailure(`Cannot use -accessor with -mode=${mode}!`);
  if (self) return 'self';
  if (accessor) return 'accessor';
  return mode === '' ? 'tree' : mode;
}

export const tokenRevokeCommand: Command = {
  synopsis: 'Revoke a token and its children',
  help: `Usage: arca token revoke [options] [TOKEN | ACCESSOR]

  Revokes authentication tokens and their children. If a TOKEN is not provided,
  the locally authenticated token is used. The "-mode" flag can be used to
  control the behavior of the revocation. See the "-mode" flag documentation
  for more information.

  Revoke a token and all the token's children:

      $ arca token revoke 96ddf4bc-d217-f3ba-f9bd-017055595017

  Revoke a token leaving the token's children:

      $ arca token revoke -mode=orphan 96ddf4bc-d217-f3ba-f9bd-017055595017

  Revoke a token by accessor:

      $ arca token revoke -accessor 9793c9b3-e04a-46f3-e7b8-748d7da248da`,
  flags: () =>
    withDefs(baseFlags(), [
      {
        name: 'accessor',
        kind: 'bool',
        section: COMMAND_SECTION,
        usage: 'Treat the argument as an accessor instead of a token.',
      },
      {
        name: 'self',
        kind: 'bool',
        section: COMMAND_SECTION,
        usage: 'Perform the revocation on the currently authenticated token.',
      },
      {
        name: 'mode',
        kind: 'string',
        section: COMMAND_SECTION,
        usage:
          'Type of revocation to perform. If unspecified, the server will revoke the token and all of the token\'s children. If "orphan", it will revoke only the token, leaving the children as orphans. If "path", tokens created from the given authentication path prefix are deleted along with their children.',
      },
    ]),
  async run(inv) {
    const target = revokeTarget(inv);
    const token = (inv.args[0] ?? '').trim();
    const client = clientFor(inv);
    await remote('Error revoking token', () => {
      switch (target) {
        case 'self':
          return client.call('PUT', 'auth/token/revoke-self');
        case 'accessor':
          return client.call('POST', 'auth/token/revoke-accessor', { body: { accessor: token } });
        case 'orphan':
          return client.call('PUT', 'auth/token/revoke-orphan', { body: { token } });
        case 'path':
          return client.call('PUT', `sys/leases/revoke-prefix/${token}`);
        case 'tree':
          return client.call('PUT', 'auth/token/revoke', { body: { token } });
      }
    });
    inv.ui.out('Success! Revoked token (if it existed)');
    return EXIT_OK;
  },
};

/** The capability list of a sys/capabilities(-self) answer: the path's entry, else "capabilities". */
export function capabilitiesFrom(data: Record<string, unknown>, path: string): string[] | undefined {
  for (const key of [path, 'capabilities']) {
    const v = data[key];
    if (Array.isArray(v) && v.length > 0) return v.map((c) => String(c));
  }
  const fallback = data['capabilities'] ?? data[path];
  return Array.isArray(fallback) ? [] : undefined;
}

export const tokenCapabilitiesCommand: Command = {
  synopsis: 'Print capabilities of a token on a path',
  help: `Usage: arca token capabilities [options] [TOKEN] PATH

  Fetches the capabilities of a token for a given path. If a TOKEN is provided
  as an argument, the "/sys/capabilities" endpoint and permission is used. If
  no TOKEN is provided, the "/sys/capabilities-self" endpoint and permission
  is used with the locally authenticated token.

  List capabilities for the local token on the "secret/foo" path:

      $ arca token capabilities secret/foo

  List capabilities for a token on the "cubbyhole/foo" path:

      $ arca token capabilities 96ddf4bc-d217-f3ba-f9bd-017055595017 cubbyhole/foo`,
  flags: () => baseFlags('format'),
  async run(inv) {
    const n = inv.args.length;
    if (n < 1 || n > 2) throw usageFailure(`Invalid number of arguments (expected 1-2, got ${n})`);
    const [token, path] = n === 2 ? [inv.args[0]!.trim(), inv.args[1]!] : ['', inv.args[0]!];
    const format = outputFormat(inv);
    const client = clientFor(inv);
    const res = await remote('Error listing capabilities', () =>
      token === ''
        ? client.call('POST', 'sys/capabilities-self', { body: { paths: [path] } })
        : client.call('POST', 'sys/capabilities', { body: { token, paths: [path] } }),
    );
    const capabilities = capabilitiesFrom(sysData(res), path);
    if (capabilities === undefined) throw new CommandFailure('No capabilities found', EXIT_LOCAL);
    if (format !== 'table') {
      inv.ui.out(formatStructured(format, capabilities));
      return EXIT_OK;
    }
    inv.ui.out([...capabilities].sort().join(', '));
    return EXIT_OK;
  },
};
