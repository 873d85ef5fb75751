/**
 * `arca secrets enable|disable|list|tune|move`: the mount table of secrets engines
 * (sys/mounts, sys/mounts/<path>/tune, sys/remount).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { formatDuration } from '../../util/duration.js';
import { sysData, toApiError, type ApiClient } from '../client.js';
import {
  COMMAND_SECTION,
  CommandFailure,
  EXIT_OK,
  EXIT_REMOTE,
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

/** Mounts whose TTLs are not configurable; Vault shows "n/a" for them. */
const NO_TTL_TYPES = new Set(['system', 'cubbyhole', 'identity', 'ns_system', 'ns_cubbyhole', 'ns_identity']);
/** sys/remount status polling: at most this many polls, backing off to 1 s (about 5 minutes). */
const MOVE_MAX_POLLS = 300;
const MOVE_MAX_DELAY_MS = 1000;

const TTL_FLAGS: readonly FlagDef[] = [
  {
    name: 'default-lease-ttl',
    kind: 'duration',
    section: COMMAND_SECTION,
    usage: 'The default lease TTL for this secrets engine. If unspecified, this defaults to the system default.',
  },
  {
    name: 'max-lease-ttl',
    kind: 'duration',
    section: COMMAND_SECTION,
    usage: 'The maximum lease TTL for this secrets engine. If unspecified, this defaults to the system maximum.',
  },
];

const DESCRIPTION_FLAG: FlagDef = { name: 'description', kind: 'string', section: COMMAND_SECTION, usage: 'Human-friendly description for the purpose of this engine.' };
const OPTIONS_FLAG: FlagDef = {
  name: 'options',
  kind: 'map',
  section: COMMAND_SECTION,
  usage: 'Key-value pair provided as key=value for the mount options. This can be specified multiple times.',
};
const VERSION_FLAG: FlagDef = {
  name: 'version',
  kind: 'int',
  section: COMMAND_SECTION,
  usage: 'Select the version of the engine to run. Not supported by all engines (KV: 1 or 2).',
};

function withDefs(fs: FlagSet, defs: readonly FlagDef[]): FlagSet {
  for (const d of defs) fs.define(d);
  return fs;
}

function record(v: unknown): Record<string, unknown> | undefined {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}

/** -options plus -version (which is the "version" option). */
function mountOptions(f: ParsedFlags): Record<string, string> | undefined {
  const options = f.map('options');
  if (f.int('version') > 0) options['version'] = String(f.int('version'));
  return Object.keys(options).length > 0 ? options : undefined;
}

export function ttlConfig(f: ParsedFlags): Record<string, unknown> {
  const config: Record<string, unknown> = {};
  for (const [flag, key] of [
    ['default-lease-ttl', 'default_lease_ttl'],
    ['max-lease-ttl', 'max_lease_ttl'],
  ] as const) {
    const seconds = f.durationSeconds(flag);
    if (seconds !== undefined) config[key] = formatDuration(seconds);
  }
  return config;
}

export const secretsEnableCommand: Command = {
  synopsis: 'Enable a secrets engine',
  help: `Usage: arca secrets enable [options] TYPE

  Enables a secrets engine. By default, secrets engines are enabled at the path
  corresponding to their TYPE, but users can customize the path using the
  -path option. Once enabled, the server routes all requests which begin with
  the path to the secrets engine.

  Enable the KV version 2 secrets engine at kv/:

      $ arca secrets enable -version=2 kv

  Enable it at a custom path with a description:

      $ arca secrets enable -path=team -description="team secrets" kv-v2`,
  flags: () =>
    withDefs(baseFlags(), [
      { name: 'path', kind: 'string', section: COMMAND_SECTION, usage: 'Place where the secrets engine will be accessible. This must be unique cross all secrets engines. This defaults to the "type" of the secrets engine.' },
      DESCRIPTION_FLAG,
      ...TTL_FLAGS,
      { name: 'force-no-cache', kind: 'bool', section: COMMAND_SECTION, usage: 'Force the secrets engine to disable caching.' },
      { name: 'local', kind: 'bool', section: COMMAND_SECTION, usage: 'Mark the secrets engine as local-only. Local engines are not replicated nor removed by replication.' },
      { name: 'seal-wrap', kind: 'bool', section: COMMAND_SECTION, usage: 'Enable seal wrapping of critical values in the secrets engine.' },
      OPTIONS_FLAG,
      VERSION_FLAG,
    ]),
  async run(inv) {
    expectArgs(inv, 1);
    const f = inv.flags;
    const typed = inv.args[0]!.trim();
    let type = typed;
    const options = mountOptions(f) ?? {};
    // "kv-v2" is Vault's CLI shorthand for type kv with options version=2.
    if (type === 'kv-v2') {
      type = 'kv';
      options['version'] = '2';
    }
    const path = ensureTrailingSlash(sanitizePath(f.isSet('path') && f.string('path') !== '' ? f.string('path') : typed));
    const config = ttlConfig(f);
    if (f.bool('force-no-cache')) config['force_no_cache'] = true;
    const body: Record<string, unknown> = {
      type,
      description: f.string('description'),
      local: f.bool('local'),
      seal_wrap: f.bool('seal-wrap'),
      config,
    };
    if (Object.keys(options).length > 0) body['options'] = options;
    const client = clientFor(inv);
    await remote(`Error enabling ${typed}`, () => client.call('POST', `sys/mounts/${path}`, { body }));
    inv.ui.out(`Success! Enabled the ${typed} secrets engine at: ${path}`);
    return EXIT_OK;
  },
};

export const secretsDisableCommand: Command = {
  synopsis: 'Disable a secrets engine',
  help: `Usage: arca secrets disable [options] PATH

  Disables a secrets engine at the given PATH. The argument corresponds to the
  enabled PATH of the engine, not the TYPE! All secrets created by this engine
  are revoked and its data is removed.

      $ arca secrets disable aws/`,
  flags: () => baseFlags(),
  async run(inv) {
    expectArgs(inv, 1);
    const path = ensureTrailingSlash(sanitizePath(inv.args[0]!));
    const client = clientFor(inv);
    await remote(`Error disabling secrets engine at ${path}`, () => client.call('DELETE', `sys/mounts/${path}`));
    inv.ui.out(`Success! Disabled the secrets engine (if it existed) at: ${path}`);
    return EXIT_OK;
  },
};

/** The mounts of a sys/mounts answer: entries that look like mounts, whatever the envelope. */
export function mountsFrom(body: Record<string, unknown>): Record<string, Record<string, unknown>> {
  const out: Record<string, Record<string, unknown>> = {};
  for (const [path, v] of Object.entries(body)) {
    const m = record(v);
    if (m !== undefined && typeof m['type'] === 'string') out[path] = m;
  }
  return out;
}

function ttlCell(mount: Record<string, unknown>, key: string): string {
  if (NO_TTL_TYPES.has(String(mount['type']))) return 'n/a';
  const v = record(mount['config'])?.[key];
  const seconds = typeof v === 'number' ? v : Number(v ?? 0);
  return !Number.isFinite(seconds) || seconds === 0 ? 'system' : humanDuration(seconds);
}

export function mountsTable(mounts: Record<string, Record<string, unknown>>, detailed: boolean): string {
  const paths = Object.keys(mounts).sort();
  const text = (v: unknown): string => (v === undefined || v === null || v === '' ? 'n/a' : formatValue(v));
  if (!detailed) {
    return table(
      ['Path', 'Type', 'Accessor', 'Description'],
      paths.map((p) => [p, text(mounts[p]!['type']), text(mounts[p]!['accessor']), text(mounts[p]!['description'])]),
    );
  }
  return table(
    ['Path', 'Plugin', 'Accessor', 'Default TTL', 'Max TTL', 'Force No Cache', 'Replication', 'Seal Wrap', 'Options', 'Description', 'UUID'],
    paths.map((p) => {
      const m = mounts[p]!;
      return [
        p,
        text(m['plugin_name'] || m['type']),
        text(m['accessor']),
        ttlCell(m, 'default_lease_ttl'),
        ttlCell(m, 'max_lease_ttl'),
        formatValue(record(m['config'])?.['force_no_cache'] === true),
        m['local'] === true ? 'local' : 'replicated',
        formatValue(m['seal_wrap'] === true),
        formatValue(m['options'] ?? null),
        text(m['description']),
        text(m['uuid']),
      ];
    }),
  );
}

export const secretsListCommand: Command = {
  synopsis: 'List enabled secrets engines',
  help: `Usage: arca secrets list [options]

  Lists the enabled secrets engines on the server. This command also outputs
  information about the enabled path including configured TTLs and
  human-friendly descriptions. A TTL of "system" indicates that the system
  default is in use.

      $ arca secrets list
      $ arca secrets list -detailed`,
  flags: () =>
    baseFlags('format').define({
      name: 'detailed',
      kind: 'bool',
      section: COMMAND_SECTION,
      usage: 'Print detailed information such as TTLs and replication status about each secrets engine.',
    }),
  async run(inv) {
    expectArgs(inv, 0);
    const format = outputFormat(inv);
    const client = clientFor(inv);
    const mounts = mountsFrom(sysData(await remote('Error listing secrets engines', () => client.call('GET', 'sys/mounts'))));
    return printStructuredOr(inv.ui, format, mounts, () => mountsTable(mounts, inv.flags.bool('detailed')));
  },
};

export const secretsTuneCommand: Command = {
  synopsis: 'Tune a secrets engine configuration',
  help: `Usage: arca secrets tune [options] PATH

  Tunes the configuration options for the secrets engine at the given PATH. The
  argument corresponds to the PATH where the secrets engine is enabled, not
  the TYPE!

      $ arca secrets tune -max-lease-ttl=24h secret/
      $ arca secrets tune -description="team secrets" secret/`,
  flags: () =>
    withDefs(baseFlags(), [
      ...TTL_FLAGS,
      DESCRIPTION_FLAG,
      {
        name: 'listing-visibility',
        kind: 'string',
        section: COMMAND_SECTION,
        usage: 'Determines the visibility of the mount in the UI-specific listing endpoint. Accepted values are "unauth" or "hidden".',
      },
      OPTIONS_FLAG,
      VERSION_FLAG,
    ]),
  async run(inv) {
    expectArgs(inv, 1);
    const f = inv.flags;
    const path = ensureTrailingSlash(sanitizePath(inv.args[0]!));
    const body: Record<string, unknown> = ttlConfig(f);
    if (f.isSet('description')) body['description'] = f.string('description');
    if (f.isSet('listing-visibility')) body['listing_visibility'] = f.string('listing-visibility');
    const options = mountOptions(f);
    if (options !== undefined) body['options'] = options;
    const client = clientFor(inv);
    await remote(`Error tuning secrets engine ${path}`, () => client.call('POST', `sys/mounts/${path}tune`, { body }));
    inv.ui.out(`Success! Tuned the secrets engine at: ${path}`);
    return EXIT_OK;
  },
};

/**
 * A server that returns a migration ID but has no status endpoint moved the mount before
 * answering; confirm it from the mount table instead of failing a move that happened.
 */
async function confirmFromMountTable(client: ApiClient, from: string, to: string, id: string): Promise<void> {
  const mounts = mountsFrom(sysData(await remote(`Error moving secrets engine ${from} to ${to}`, () => client.call('GET', 'sys/mounts'))));
  if (mounts[to] === undefined || mounts[from] !== undefined) {
    throw new CommandFailure(`Error moving secrets engine ${from} to ${to}: migration ${id} did not complete`, EXIT_REMOTE);
  }
}

async function waitForMove(client: ApiClient, id: string, from: string, to: string): Promise<void> {
  const what = `${from} to ${to}`;
  let delay = 50;
  for (let poll = 0; poll < MOVE_MAX_POLLS; poll++) {
    const res = await remote(`Error moving secrets engine ${what}`, () => client.send('GET', `sys/remount/status/${id}`));
    if (res.status === 404 || res.status === 405) return confirmFromMountTable(client, from, to, id);
    if (res.status < 200 || res.status >= 300) throw new CommandFailure(`Error moving secrets engine ${what}: ${toApiError(res).message}`, EXIT_REMOTE);
    const status = String(record(sysData(res)['migration_info'])?.['status'] ?? '');
    if (status === 'success') return;
    if (status === 'failure') throw new CommandFailure(`Error moving secrets engine ${what}: migration ${id} failed`, EXIT_REMOTE);
    await sleep(delay);
    delay = Math.min(MOVE_MAX_DELAY_MS, delay * 2);
  }
  throw new CommandFailure(`Error moving secrets engine ${what}: timed out waiting for migration ${id}`, EXIT_REMOTE);
}

export const secretsMoveCommand: Command = {
  synopsis: 'Move a secrets engine to a new path',
  help: `Usage: arca secrets move [options] SOURCE DESTINATION

  Moves an existing secrets engine to a new path. Any leases from the old
  secrets engine are revoked, but all configuration associated with the engine
  is preserved. The command starts the move and waits until the server reports
  that it succeeded or failed.

      $ arca secrets move secret/ generic/`,
  flags: () => baseFlags(),
  async run(inv) {
    expectArgs(inv, 2);
    const from = ensureTrailingSlash(sanitizePath(inv.args[0]!));
    const to = ensureTrailingSlash(sanitizePath(inv.args[1]!));
    const what = `${from} to ${to}`;
    const client = clientFor(inv);
    const res = await remote(`Error moving secrets engine ${what}`, () => client.call('POST', 'sys/remount', { body: { from, to } }));
    const id = res.body === undefined ? '' : formatValue(sysData(res)['migration_id'] ?? '');
    if (id === '') {
      inv.ui.out(`Success! Moved secrets engine ${from} to: ${to}`);
      return EXIT_OK;
    }
    inv.ui.out(`Started moving secrets engine ${what}, with migration ID ${id}`);
    await waitForMove(client, id, from, to);
    inv.ui.out(`Success! Finished moving secrets engine ${what}, with migration ID ${id}`);
    return EXIT_OK;
  },
};
