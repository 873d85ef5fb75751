/**
 * `arca kv get|put|patch|delete|undelete|destroy|list`: the KV secrets engine, v1 and v2, with
 * Vault's path rewriting (kv-paths.ts) and its sectioned table output ("Secret Path",
 * "Metadata", "Data").
 */
import { ApiError, type ApiClient, type Secret } from '../client.js';
import {
  COMMAND_SECTION,
  CommandFailure,
  EXIT_LOCAL,
  EXIT_OK,
  EXIT_REMOTE,
  baseFlags,
  clientFor,
  ensureTrailingSlash,
  expectArgs,
  outputField,
  outputFormat,
  remote,
  usageFailure,
  type Command,
} from '../command.js';
import type { OutputFormat } from '../format.js';
import { printField, printList, printSecret, printWarnings } from '../secret-output.js';
import type { Ui } from '../ui.js';
import { printPathHeader, printSection } from './kv-output.js';
import { kvApiPath, parseVersions, resolveKv, withMountFlag } from './kv-paths.js';
import { dataFromArgs } from './logical.js';

function record(v: unknown): Record<string, unknown> | undefined {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}

function versionsFlag(fs: ReturnType<typeof baseFlags>, verb: string): ReturnType<typeof baseFlags> {
  return fs.define({ name: 'versions', kind: 'list', section: COMMAND_SECTION, usage: `Specifies the version numbers to ${verb}.` });
}

function casFlag(fs: ReturnType<typeof baseFlags>): ReturnType<typeof baseFlags> {
  return fs.define({
    name: 'cas',
    kind: 'int',
    section: COMMAND_SECTION,
    defaultValue: -1,
    usage: 'Specifies to use a Check-And-Set operation. If not set the write will be allowed. If set to 0 a write will only be allowed if the key doesn\'t exist. If the index is non-zero the write will only be allowed if the key\'s current version matches the version specified in the cas parameter.',
  });
}

/** Output of a KV v2 write (put or patch): the new version's metadata. */
function printV2Write(ui: Ui, format: OutputFormat, field: string, path: string, secret: Secret): number {
  // A wrapped answer (-wrap-ttl) has only wrap_info: print it as any other command would.
  if (field !== '' || format !== 'table' || record(secret.wrap_info) !== undefined) return printSecret(ui, format, secret, field);
  printWarnings(ui, secret);
  printPathHeader(ui, 'Secret Path', path);
  printSection(ui, 'Metadata', record(secret.data) ?? {});
  return EXIT_OK;
}

function v2Body(data: Record<string, unknown>, cas: number): Record<string, unknown> {
  return cas >= 0 ? { data, options: { cas } } : { data };
}

export const kvGetCommand: Command = {
  synopsis: 'Retrieves data from the KV store',
  help: `Usage: arca kv get [options] KEY

  Retrieves the value from the KV secrets engine at the given key name. If no
  key exists with that name, an error is returned. If a key exists with the
  name but has no data, nothing is returned.

      $ arca kv get -mount=secret foo

  Retrieve a specific version of the key "foo":

      $ arca kv get -mount=secret -version=1 foo`,
  flags: () =>
    withMountFlag(baseFlags('format+field')).define({
      name: 'version',
      kind: 'int',
      section: COMMAND_SECTION,
      usage: 'If passed, the value at the version number will be returned.',
    }),
  async run(inv) {
    expectArgs(inv, 1);
    const format = outputFormat(inv);
    const field = outputField(inv);
    const client = clientFor(inv);
    const t = await resolveKv(inv, client, inv.args[0]!);
    const path = kvApiPath(t, 'data');
    const version = inv.flags.int('version');
    const query = t.version === 2 && version > 0 ? { version: String(version) } : undefined;
    const secret = await remote(`Error reading ${path}`, () => client.read(path, query));
    if (secret === undefined) throw new CommandFailure(`No value found at ${path}`, EXIT_REMOTE);
    if (record(secret.wrap_info) !== undefined) return printSecret(inv.ui, format, secret, field);
    const body = record(secret.data);
    if (field !== '') {
      const fields = t.version === 2 ? (record(body?.['data']) ?? {}) : (body ?? {});
      return printField(inv.ui, format, { ...secret, data: fields }, field);
    }
    if (format !== 'table') return printSecret(inv.ui, format, secret);
    printWarnings(inv.ui, secret);
    if (t.version === 2) printPathHeader(inv.ui, 'Secret Path', path);
    const metadata = t.version === 2 ? record(body?.['metadata']) : undefined;
    if (metadata !== undefined) {
      printSection(inv.ui, 'Metadata', metadata);
    }
    const data = t.version === 2 ? record(body?.['data']) : body;
    if (data !== undefined) {
      if (metadata !== undefined) inv.ui.out('');
      printSection(inv.ui, 'Data', data);
    }
    return EXIT_OK;
  },
};

export const kvPutCommand: Command = {
  synopsis: 'Sets or updates data in the KV store',
  help: `Usage: arca kv put [options] KEY [DATA]

  Writes the data to the given path in the key-value store. The data can be of
  any type. With KV v2 this creates a new version; all previous data at the
  key is replaced.

      $ arca kv put -mount=secret foo bar=baz

  The data can also be consumed from a file on disk by prefixing with the "@"
  symbol, or from stdin with "-":

      $ arca kv put -mount=secret foo @data.json
      $ echo "abcd1234" | arca kv put -mount=secret foo bar=-`,
  flags: () => casFlag(withMountFlag(baseFlags('format+field'))),
  async run(inv) {
    expectArgs(inv, 1, Infinity);
    const format = outputFormat(inv);
    const field = outputField(inv);
    const data = await dataFromArgs(inv, inv.args.slice(1));
    if (Object.keys(data).length === 0) throw usageFailure('Must supply data');
    const client = clientFor(inv);
    const t = await resolveKv(inv, client, inv.args[0]!);
    const path = kvApiPath(t, 'data');
    const body = t.version === 2 ? v2Body(data, inv.flags.int('cas')) : data;
    const secret = await remote(`Error writing data to ${path}`, () => client.write(path, body));
    if (secret === undefined) {
      if (format === 'table' && field === '') inv.ui.out(`Success! Data written to: ${path}`);
      return EXIT_OK;
    }
    return t.version === 2 ? printV2Write(inv.ui, format, field, path, secret) : printSecret(inv.ui, format, secret, field);
  },
};

export const kvPatchCommand: Command = {
  synopsis: 'Sets or updates data in the KV store without overwriting',
  help: `Usage: arca kv patch [options] KEY [DATA]

  Writes the data to the given path in the key-value store, merging it with the
  current version: keys not mentioned keep their values. KV v2 only. The key
  must already exist.

      $ arca kv patch -mount=secret foo bar=baz

  By default an HTTP PATCH (JSON merge patch) is sent. With -method=rw the
  current version is read and the merged data written back with check-and-set
  on the version read.`,
  flags: () =>
    casFlag(withMountFlag(baseFlags('format+field'))).define({
      name: 'method',
      kind: 'string',
      section: COMMAND_SECTION,
      defaultValue: 'patch',
      usage: 'Specifies which method of patching to use. If set to "patch", an HTTP PATCH request is sent. If set to "rw", a read-then-write is performed.',
    }),
  async run(inv) {
    expectArgs(inv, 1, Infinity);
    const format = outputFormat(inv);
    const field = outputField(inv);
    const method = inv.flags.string('method');
    if (method !== 'patch' && method !== 'rw') throw usageFailure(`Unsupported method provided to -method flag: ${method}`);
    const data = await dataFromArgs(inv, inv.args.slice(1));
    if (Object.keys(data).length === 0) throw usageFailure('Must supply data');
    const client = clientFor(inv);
    const t = await resolveKv(inv, client, inv.args[0]!);
    if (t.version !== 2) throw new CommandFailure('K/V engine mount must be version 2 for patch support', EXIT_REMOTE);
    const path = kvApiPath(t, 'data');
    const cas = inv.flags.int('cas');
    const secret = method === 'patch' ? await mergePatch(client, path, data, cas) : await readThenWrite(client, path, data, cas);
    if (secret === undefined) {
      if (format === 'table' && field === '') inv.ui.out(`Success! Data written to: ${path}`);
      return EXIT_OK;
    }
    return printV2Write(inv.ui, format, field, path, secret);
  },
};

async function mergePatch(client: ApiClient, path: string, data: Record<string, unknown>, cas: number): Promise<Secret | undefined> {
  return remote(`Error writing data to ${path}`, async () => {
    try {
      return await client.mergePatch(path, v2Body(data, cas));
    } catch (err) {
      // PATCH never creates a secret: a missing one reads as Vault's "No value found".
      if (err instanceof ApiError && err.status === 404) throw new CommandFailure(`No value found at ${path}`, EXIT_REMOTE);
      throw err;
    }
  });
}

async function readThenWrite(client: ApiClient, path: string, data: Record<string, unknown>, cas: number): Promise<Secret | undefined> {
  const current = await remote(`Error reading ${path}`, () => client.read(path));
  const body = record(current?.data);
  const existing = record(body?.['data']);
  if (current === undefined || existing === undefined) throw new CommandFailure(`No value found at ${path}`, EXIT_REMOTE);
  const version = Number(record(body?.['metadata'])?.['version'] ?? 0);
  const merged = { ...existing, ...data };
  return remote(`Error writing data to ${path}`, () => client.write(path, v2Body(merged, cas >= 0 ? cas : version)));
}

export const kvDeleteCommand: Command = {
  synopsis: 'Deletes versions in the KV store',
  help: `Usage: arca kv delete [options] PATH

  Deletes the data for the provided version and path in the key-value store.
  With KV v2 the versioned data is not fully removed, only marked deleted, and
  can be restored with "kv undelete"; without -versions the latest version is
  deleted.

      $ arca kv delete -mount=secret foo

  Delete versions 11 and 12:

      $ arca kv delete -mount=secret -versions=11,12 foo`,
  flags: () => versionsFlag(withMountFlag(baseFlags()), 'delete. If not set, the latest version is deleted'),
  async run(inv) {
    expectArgs(inv, 1);
    const client = clientFor(inv);
    const t = await resolveKv(inv, client, inv.args[0]!);
    const path = kvApiPath(t, 'data');
    const versions = parseVersions(inv.flags.list('versions'));
    await remote(`Error deleting ${path}`, () =>
      t.version === 2 && versions.length > 0 ? client.write(kvApiPath(t, 'delete'), { versions }) : client.delete(path),
    );
    inv.ui.out(`Success! Data deleted (if it existed) at: ${path}`);
    return EXIT_OK;
  },
};

function versionedOp(segment: 'undelete' | 'destroy', verb: string, help: string): Command {
  return {
    synopsis: segment === 'undelete' ? 'Undeletes versions in the KV store' : 'Permanently removes one or more versions in the KV store',
    help,
    flags: () => versionsFlag(withMountFlag(baseFlags()), verb),
    async run(inv) {
      expectArgs(inv, 1);
      const versions = parseVersions(inv.flags.list('versions'));
      if (versions.length === 0) throw usageFailure(`No versions provided, use the "-versions" flag to specify the version to ${segment}.`);
      const client = clientFor(inv);
      const t = await resolveKv(inv, client, inv.args[0]!);
      if (t.version !== 2) {
        throw new CommandFailure(`${segment === 'undelete' ? 'Undelete' : 'Destroy'} not supported on KV Version 1`, EXIT_LOCAL);
      }
      const path = kvApiPath(t, segment);
      await remote(`Error writing data to ${path}`, () => client.write(path, { versions }));
      inv.ui.out(`Success! Data written to: ${path}`);
      return EXIT_OK;
    },
  };
}

export const kvUndeleteCommand = versionedOp(
  'undelete',
  'undelete',
  `Usage: arca kv undelete [options] KEY

  Undeletes the data for the provided version and path in the key-value store.
  This restores the data, allowing it to be returned on get requests.

      $ arca kv undelete -mount=secret -versions=3 foo`,
);

export const kvDestroyCommand = versionedOp(
  'destroy',
  'destroy',
  `Usage: arca kv destroy [options] KEY

  Permanently removes the specified versions' data from the key-value store. If
  no key exists at the path, no action is taken.

      $ arca kv destroy -mount=secret -versions=11,12 foo`,
);

export const kvListCommand: Command = {
  synopsis: 'List data or secrets',
  help: `Usage: arca kv list [options] PATH

  Lists data from the KV store at the given path.

      $ arca kv list -mount=secret my-app/`,
  flags: () => withMountFlag(baseFlags('format')),
  async run(inv) {
    if (inv.flags.isSet('mount')) expectArgs(inv, 0, 1);
    else expectArgs(inv, 1);
    const format = outputFormat(inv);
    const client = clientFor(inv);
    const t = await resolveKv(inv, client, inv.args[0] ?? '');
    const path = ensureTrailingSlash(kvApiPath(t, 'metadata'));
    const secret = await remote(`Error listing ${path}`, () => client.list(path));
    return printList(inv.ui, format, secret, path);
  },
};
