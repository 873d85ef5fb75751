/**
 * `arca auth enable|disable|list|tune`: the table of auth methods (sys/auth,
 * sys/auth/<path>/tune), modelled on the `secrets` commands and printed as Vault prints it.
 */
import { sysData } from '../client.js';
import {
  COMMAND_SECTION,
  EXIT_OK,
  baseFlags,
  clientFor,
  ensureTrailingSlash,
  expectArgs,
  outputFormat,
  remote,
  sanitizePath,
  type Command,
} from '../command.js';
import type { FlagDef, FlagSet, ParsedFlags } from '../flags.js';
import { formatValue, humanDuration, table } from '../format.js';
import { printStructuredOr } from '../secret-output.js';
import { mountsFrom, ttlConfig } from './secrets.js';

const TTL_FLAGS: readonly FlagDef[] = [
  {
    name: 'default-lease-ttl',
    kind: 'duration',
    section: COMMAND_SECTION,
    usage: 'The default lease TTL for this auth method. If unspecified, this defaults to the system default.',
  },
  {
    name: 'max-lease-ttl',
    kind: 'duration',
    section: COMMAND_SECTION,
    usage: 'The maximum lease TTL for this auth method. If unspecified, this defaults to the system maximum.',
  },
];

const DESCRIPTION_FLAG: FlagDef = { name: 'description', kind: 'string', section: COMMAND_SECTION, usage: 'Human-friendly description for the purpose of this auth method.' };
const LISTING_FLAG: FlagDef = {
  name: 'listing-visibility',
  kind: 'string',
  section: COMMAND_SECTION,
  usage: 'Determines the visibility of the mount in the UI-specific listing endpoint. Accepted values are "unauth" or "hidden".',
};
const TOKEN_TYPE_FLAG: FlagDef = {
  name: 'token-type',
  kind: 'string',
  section: COMMAND_SECTION,
  usage: 'Sets a forced token type for the mount ("service", "batch", "default-service" or "default-batch").',
};
const OPTIONS_FLAG: FlagDef = {
  name: 'options',
  kind: 'map',
  section: COMMAND_SECTION,
  usage: 'Key-value pair provided as key=value for the mount options. This can be specified multiple times.',
};

function withDefs(fs: FlagSet, defs: readonly FlagDef[]): FlagSet {
  for (const d of defs) fs.define(d);
  return fs;
}

function record(v: unknown): Record<string, unknown> | undefined {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}

/** TTLs plus the tunables only given when set (listing visibility, token type). */
function authConfig(f: ParsedFlags): Record<string, unknown> {
  const config = ttlConfig(f);
  if (f.isSet('listing-visibility')) config['listing_visibility'] = f.string('listing-visibility');
  if (f.isSet('token-type')) config['token_type'] = f.string('token-type');
  return config;
}

/** The sys/auth/<path> body for `auth enable`. */
export function authEnableBody(type: string, f: ParsedFlags): Record<string, unknown> {
  const body: Record<string, unknown> = {
    type,
    description: f.string('description'),
    local: f.bool('local'),
    seal_wrap: f.bool('seal-wrap'),
    config: authConfig(f),
  };
  const options = f.map('options');
  if (Object.keys(options).length > 0) body['options'] = options;
  return body;
}

export const authEnableCommand: Command = {
  synopsis: 'Enables a new auth method',
  help: `Usage: arca auth enable [options] TYPE

  Enables a new auth method. An auth method is responsible for authenticating
  users or machines and assigning them policies with which they can access
  the server.

  Enable the userpass auth method at userpass/:

      $ arca auth enable userpass

  Enable the AppRole auth method at machines/:

      $ arca auth enable -path=machines approle`,
  flags: () =>
    withDefs(baseFlags(), [
      DESCRIPTION_FLAG,
      {
        name: 'path',
        kind: 'string',
        section: COMMAND_SECTION,
        usage: 'Place where the auth method will be accessible. This must be unique across all auth methods. This defaults to the "type" of the auth method. The auth method will be accessible at "/auth/<path>".',
      },
      ...TTL_FLAGS,
      LISTING_FLAG,
      { name: 'local', kind: 'bool', section: COMMAND_SECTION, usage: 'Mark the auth method as local-only. Local auth methods are not replicated nor removed by replication.' },
      { name: 'seal-wrap', kind: 'bool', section: COMMAND_SECTION, usage: 'Enable seal wrapping of critical values in the auth method.' },
      TOKEN_TYPE_FLAG,
      OPTIONS_FLAG,
    ]),
  async run(inv) {
    expectArgs(inv, 1);
    const f = inv.flags;
    const type = inv.args[0]!.trim();
    const path = ensureTrailingSlash(sanitizePath(f.string('path') !== '' ? f.string('path') : type));
    const body = authEnableBody(type, f);
    const client = clientFor(inv);
    await remote(`Error enabling ${type} auth`, () => client.call('POST', `sys/auth/${path}`, { body }));
    inv.ui.out(`Success! Enabled ${type} auth method at: ${path}`);
    return EXIT_OK;
  },
};

export const authDisableCommand: Command = {
  synopsis: 'Disables an auth method',
  help: `Usage: arca auth disable [options] PATH

  Disables an existing auth method at the given PATH. The argument corresponds
  to the PATH of the mount, not the TYPE! Once the auth method is disabled its
  path can no longer be used to authenticate. All access tokens generated via
  the disabled auth method are immediately revoked.

      $ arca auth disable userpass/`,
  flags: () => baseFlags(),
  async run(inv) {
    expectArgs(inv, 1);
    const path = ensureTrailingSlash(sanitizePath(inv.args[0]!));
    const client = clientFor(inv);
    await remote(`Error disabling auth method at ${path}`, () => client.call('DELETE', `sys/auth/${path}`));
    inv.ui.out(`Success! Disabled the auth method (if it existed) at: ${path}`);
    return EXIT_OK;
  },
};

function ttlCell(mount: Record<string, unknown>, key: string): string {
  const v = record(mount['config'])?.[key];
  const seconds = typeof v === 'number' ? v : Number(v ?? 0);
  return !Number.isFinite(seconds) || seconds === 0 ? 'system' : humanDuration(seconds);
}

/** `auth list` tables: Path/Type/Accessor/Description, or the detailed columns. */
export function authTable(mounts: Record<string, Record<string, unknown>>, detailed: boolean): string {
  const paths = Object.keys(mounts).sort();
  const text = (v: unknown): string => (v === undefined || v === null || v === '' ? 'n/a' : formatValue(v));
  if (!detailed) {
    return table(
      ['Path', 'Type', 'Accessor', 'Description'],
      paths.map((p) => [p, text(mounts[p]!['type']), text(mounts[p]!['accessor']), text(mounts[p]!['description'])]),
    );
  }
  return table(
    ['Path', 'Plugin', 'Accessor', 'Default TTL', 'Max TTL', 'Token Type', 'Replication', 'Seal Wrap', 'Options', 'Description', 'UUID'],
    paths.map((p) => {
      const m = mounts[p]!;
      return [
        p,
        text(m['plugin_name'] || m['type']),
        text(m['accessor']),
        ttlCell(m, 'default_lease_ttl'),
        ttlCell(m, 'max_lease_ttl'),
        text(record(m['config'])?.['token_type']),
        m['local'] === true ? 'local' : 'replicated',
        formatValue(m['seal_wrap'] === true),
        formatValue(m['options'] ?? null),
        text(m['description']),
        text(m['uuid']),
      ];
    }),
  );
}

export const authListCommand: Command = {
  synopsis: 'Lists enabled auth methods',
  help: `Usage: arca auth list [options]

  Lists the enabled auth methods on the server. This command also outputs
  information about the method including configuration and human-friendly
  descriptions. A TTL of "system" indicates that the system default is in use.

      $ arca auth list
      $ arca auth list -detailed`,
  flags: () =>
    baseFlags('format').define({
      name: 'detailed',
      kind: 'bool',
      section: COMMAND_SECTION,
      usage: 'Print detailed information such as configuration and replication status about each auth method. This option is only applicable to table-formatted output.',
    }),
  async run(inv) {
    expectArgs(inv, 0);
    const format = outputFormat(inv);
    const client = clientFor(inv);
    const mounts = mountsFrom(sysData(await remote('Error listing enabled authentications', () => client.call('GET', 'sys/auth'))));
    return printStructuredOr(inv.ui, format, mounts, () => authTable(mounts, inv.flags.bool('detailed')));
  },
};

export const authTuneCommand: Command = {
  synopsis: 'Tunes an auth method configuration',
  help: `Usage: arca auth tune [options] PATH

  Tunes the configuration options for the auth method at the given PATH. The
  argument corresponds to the PATH where the auth method is enabled, not the
  TYPE!

      $ arca auth tune -default-lease-ttl=72h github/`,
  flags: () => withDefs(baseFlags(), [...TTL_FLAGS, DESCRIPTION_FLAG, LISTING_FLAG, TOKEN_TYPE_FLAG, OPTIONS_FLAG]),
  async run(inv) {
    expectArgs(inv, 1);
    const f = inv.flags;
    const path = ensureTrailingSlash(sanitizePath(inv.args[0]!));
    const body = authConfig(f);
    if (f.isSet('description')) body['description'] = f.string('description');
    const options = f.map('options');
    if (Object.keys(options).length > 0) body['options'] = options;
    const client = clientFor(inv);
    await remote(`Error tuning auth method ${path}`, () => client.call('POST', `sys/auth/${path}tune`, { body }));
    inv.ui.out(`Success! Tuned the auth method at: ${path}`);
    return EXIT_OK;
  },
};
