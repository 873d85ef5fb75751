/**
 * `arca token create`: a child token, an orphan (auth/token/create-orphan) or a role's token
 * (auth/token/create/<role>), with Vault's flags. Unset flags are left to the server.
 */
import { formatDuration } from '../../util/duration.js';
import { COMMAND_SECTION, baseFlags, clientFor, outputField, outputFormat, remote, usageFailure, type Command, type Invocation } from '../command.js';
import type { FlagDef } from '../flags.js';
import { printSecret } from '../secret-output.js';
import { tokenCall, withDefs } from './token.js';

const CREATE_FLAGS: readonly FlagDef[] = [
  { name: 'id', kind: 'string', section: COMMAND_SECTION, usage: 'Value for the token. By default, this is an auto-generated string. Specifying this value requires sudo permissions.' },
  { name: 'display-name', kind: 'string', section: COMMAND_SECTION, usage: 'Name to associate with this token. This is a non-sensitive value that can be used to help identify created secrets (e.g. prefixes).' },
  { name: 'ttl', kind: 'duration', section: COMMAND_SECTION, usage: 'Initial TTL to associate with the token. Token renewals may be able to extend beyond this value, depending on the configured maximum TTLs. This is specified as a numeric string with suffix like "30s" or "5m".' },
  { name: 'explicit-max-ttl', kind: 'duration', section: COMMAND_SECTION, usage: 'Explicit maximum lifetime for the token. Unlike normal TTLs, the maximum TTL is a hard limit and cannot be exceeded. This is specified as a numeric string with suffix like "30s" or "5m".' },
  { name: 'period', kind: 'duration', section: COMMAND_SECTION, usage: 'If specified, every renewal will use the given period. Periodic tokens do not expire as long as they are actively being renewed (unless -explicit-max-ttl is also provided). Setting this value requires sudo permissions.' },
  { name: 'renewable', kind: 'bool', section: COMMAND_SECTION, defaultValue: true, usage: 'Allow the token to be renewed up to its maximum TTL. The default is true.' },
  { name: 'orphan', kind: 'bool', section: COMMAND_SECTION, usage: 'Create the token with no parent. This prevents the token from being revoked when the token which created it expires. Setting this value requires root or sudo permissions.' },
  { name: 'no-default-policy', kind: 'bool', section: COMMAND_SECTION, usage: 'Detach the "default" policy from the policy set for this token.' },
  { name: 'use-limit', kind: 'int', section: COMMAND_SECTION, usage: 'Number of times this token can be used. After the last use, the token is automatically revoked. By default, tokens can be used an unlimited number of times until their expiration.' },
  { name: 'role', kind: 'string', section: COMMAND_SECTION, usage: 'Name of the role to create the token against. Specifying -role may override other arguments. The locally authenticated token must have permission for "auth/token/create/<role>".' },
  { name: 'type', kind: 'string', section: COMMAND_SECTION, usage: 'The type of token to create. Can be "service" or "batch". The default is "service".' },
  { name: 'policy', kind: 'list', section: COMMAND_SECTION, usage: 'Name of a policy to associate with this token. This can be specified multiple times to attach multiple policies.' },
  { name: 'metadata', kind: 'map', section: COMMAND_SECTION, usage: 'Arbitrary key=value metadata to associate with the token. This metadata will show in the audit log when the token is used. This can be specified multiple times to add multiple pieces of metadata.' },
  { name: 'entity-alias', kind: 'string', section: COMMAND_SECTION, usage: 'Name of the entity alias to associate with during token creation. Only works in combination with -role argument and used entity alias must be listed in allowed_entity_aliases.' },
];

/** The auth/token/create body for the flags given; unset flags are left to the server. */
export function tokenCreateBody(inv: Invocation): Record<string, unknown> {
  const f = inv.flags;
  const body: Record<string, unknown> = {};
  const text = (flag: string, key: string): void => {
    if (f.string(flag) !== '') body[key] = f.string(flag);
  };
  const duration = (flag: string, key: string): void => {
    const seconds = f.durationSeconds(flag);
    if (seconds !== undefined && seconds !== 0) body[key] = formatDuration(seconds);
  };
  text('id', 'id');
  const policies = f.list('policy').filter((p) => p !== '');
  if (policies.length > 0) body['policies'] = policies;
  const meta = f.map('metadata');
  if (Object.keys(meta).length > 0) body['meta'] = meta;
  if (f.bool('orphan')) body['no_parent'] = true;
  if (f.bool('no-default-policy')) body['no_default_policy'] = true;
  duration('ttl', 'ttl');
  duration('explicit-max-ttl', 'explicit_max_ttl');
  duration('period', 'period');
  text('display-name', 'display_name');
  if (f.int('use-limit') !== 0) body['num_uses'] = f.int('use-limit');
  const type = f.string('type');
  // Batch tokens are never renewable, whatever -renewable says (as Vault's CLI decides).
  body['renewable'] = type === 'batch' ? false : f.bool('renewable');
  if (type !== '') body['type'] = type;
  text('entity-alias', 'entity_alias');
  return body;
}

/** Where a create request goes: a role, the orphan endpoint, or the plain one. */
export function tokenCreatePath(inv: Invocation): string {
  const role = inv.flags.string('role').trim();
  if (role !== '') return `auth/token/create/${role}`;
  return inv.flags.bool('orphan') ? 'auth/token/create-orphan' : 'auth/token/create';
}

export const tokenCreateCommand: Command = {
  synopsis: 'Create a new token',
  help: `Usage: arca token create [options]

  Creates a new token that can be used for authentication. This token will be
  created as a child of the currently authenticated token. The generated token
  will inherit all policies and permissions of the currently authenticated
  token unless you explicitly define a subset list policies to assign to the
  token.

  A ttl can also be associated with the token. If a ttl is not associated
  with the token, then it cannot be renewed. If a ttl is associated with the
  token, it will expire after that amount of time unless it is renewed.

  Create a token attached to specific policies:

      $ arca token create -policy=my-policy -policy=other-policy

  Create a periodic token:

      $ arca token create -period=30m`,
  flags: () => withDefs(baseFlags('format+field'), CREATE_FLAGS),
  async run(inv) {
    if (inv.args.length > 0) throw usageFailure(`Too many arguments (expected 0, got ${inv.args.length})`);
    const format = outputFormat(inv);
    const field = outputField(inv);
    const body = tokenCreateBody(inv);
    const path = tokenCreatePath(inv);
    const client = clientFor(inv);
    const secret = await remote('Error creating token', () => tokenCall(client, 'POST', path, body));
    return printSecret(inv.ui, format, secret, field);
  },
};
