/**
 * `arca kv metadata get|put|delete`: KV v2 key metadata (versions, max_versions, cas_required,
 * delete_version_after, custom_metadata).
 */
import { formatDuration } from '../../util/duration.js';
import type { ApiClient } from '../client.js';
import {
  COMMAND_SECTION,
  CommandFailure,
  EXIT_LOCAL,
  EXIT_OK,
  EXIT_REMOTE,
  baseFlags,
  clientFor,
  expectArgs,
  outputField,
  outputFormat,
  remote,
  type Command,
  type Invocation,
} from '../command.js';
import { printSecret, printWarnings } from '../secret-output.js';
import { kvApiPath, resolveKv, withMountFlag } from './kv-paths.js';
import { printPathHeader, printSection } from './kv-output.js';

function record(v: unknown): Record<string, unknown> | undefined {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}

/** The metadata path of the argument; KV v1 has no metadata (a local error, as in Vault). */
async function metadataPath(inv: Invocation, client: ApiClient): Promise<string> {
  const t = await resolveKv(inv, client, inv.args[0]!);
  if (t.version !== 2) throw new CommandFailure('Metadata not supported on KV Version 1', EXIT_LOCAL);
  return kvApiPath(t, 'metadata');
}

export const kvMetadataGetCommand: Command = {
  synopsis: 'Retrieves key metadata from the KV store',
  help: `Usage: arca kv metadata get [options] KEY

  Retrieves the metadata from the KV store at the given key name: its settings
  and every version with its creation, deletion and destruction state.

      $ arca kv metadata get -mount=secret foo`,
  flags: () => withMountFlag(baseFlags('format+field')),
  async run(inv) {
    expectArgs(inv, 1);
    const format = outputFormat(inv);
    const field = outputField(inv);
    const client = clientFor(inv);
    const path = await metadataPath(inv, client);
    const secret = await remote(`Error reading ${path}`, () => client.read(path));
    if (secret === undefined) throw new CommandFailure(`No value found at ${path}`, EXIT_REMOTE);
    if (field !== '' || format !== 'table') return printSecret(inv.ui, format, secret, field);
    printWarnings(inv.ui, secret);
    const data = record(secret.data) ?? {};
    const { versions, ...settings } = data;
    printPathHeader(inv.ui, 'Metadata Path', path);
    printSection(inv.ui, 'Metadata', settings);
    const byVersion = record(versions) ?? {};
    for (const v of Object.keys(byVersion).sort((a, b) => Number(a) - Number(b))) {
      inv.ui.out('');
      printSection(inv.ui, `Version ${v}`, record(byVersion[v]) ?? {});
    }
    return EXIT_OK;
  },
};

export const kvMetadataPutCommand: Command = {
  synopsis: 'Sets or updates key settings in the KV store',
  help: `Usage: arca kv metadata put [options] KEY

  Create a blank key in the key-value store or update key configuration for a
  specified key.

      $ arca kv metadata put -mount=secret -max-versions=5 foo
      $ arca kv metadata put -mount=secret -cas-required foo
      $ arca kv metadata put -mount=secret -custom-metadata=owner=ops foo`,
  flags: () =>
    withMountFlag(baseFlags())
      .define({
        name: 'max-versions',
        kind: 'int',
        section: COMMAND_SECTION,
        defaultValue: -1,
        usage: 'The number of versions to keep. If not set, the backend\'s configured max version is used.',
      })
      .define({
        name: 'cas-required',
        kind: 'bool',
        section: COMMAND_SECTION,
        usage: 'If true the key will require the cas parameter to be set on all write requests. If false, the backend\'s configuration will be used.',
      })
      .define({
        name: 'delete-version-after',
        kind: 'duration',
        section: COMMAND_SECTION,
        usage: 'Specifies the length of time before a version is deleted. Accepts duration format strings ("30m", "1h").',
      })
      .define({
        name: 'custom-metadata',
        kind: 'map',
        section: COMMAND_SECTION,
        usage: 'Specifies arbitrary version-agnostic key=value metadata meant to describe a secret. This can be specified multiple times to add multiple pieces of metadata.',
      }),
  async run(inv) {
    expectArgs(inv, 1);
    const f = inv.flags;
    const body: Record<string, unknown> = {};
    if (f.int('max-versions') >= 0) body['max_versions'] = f.int('max-versions');
    if (f.isSet('cas-required')) body['cas_required'] = f.bool('cas-required');
    const after = f.durationSeconds('delete-version-after');
    if (after !== undefined) body['delete_version_after'] = formatDuration(after);
    if (f.isSet('custom-metadata')) body['custom_metadata'] = f.map('custom-metadata');
    const client = clientFor(inv);
    const path = await metadataPath(inv, client);
    const secret = await remote(`Error writing data to ${path}`, () => client.write(path, body));
    if (secret !== undefined) return printSecret(inv.ui, 'table', secret);
    inv.ui.out(`Success! Data written to: ${path}`);
    return EXIT_OK;
  },
};

export const kvMetadataDeleteCommand: Command = {
  synopsis: 'Deletes all versions and metadata for a key in the KV store',
  help: `Usage: arca kv metadata delete [options] PATH

  Deletes all versions and metadata for the provided key.

      $ arca kv metadata delete -mount=secret foo`,
  flags: () => withMountFlag(baseFlags()),
  async run(inv) {
    expectArgs(inv, 1);
    const client = clientFor(inv);
    const path = await metadataPath(inv, client);
    await remote(`Error deleting ${path}`, () => client.delete(path));
    inv.ui.out(`Success! Data deleted (if it existed) at: ${path}`);
    return EXIT_OK;
  },
};
