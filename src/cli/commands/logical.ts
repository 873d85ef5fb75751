/**
 * The generic verbs over any API path: `read` (GET), `write` (PUT), `delete` (DELETE) and
 * `list` (LIST). Data comes from key=value arguments (see args-data.ts).
 */
import { DataArgError, fileSystemSources, parseArgsData } from '../args-data.js';
import type { Query } from '../client.js';
import {
  COMMAND_SECTION,
  CommandFailure,
  EXIT_OK,
  EXIT_REMOTE,
  baseFlags,
  clientFor,
  ensureTrailingSlash,
  expectArgs,
  outputField,
  outputFormat,
  remote,
  sanitizePath,
  usageFailure,
  type Command,
  type Invocation,
} from '../command.js';
import { printList, printSecret } from '../secret-output.js';

/** key=value data arguments; malformed input is a local error. */
export async function dataFromArgs(inv: Invocation, args: readonly string[]): Promise<Record<string, unknown>> {
  try {
    return await parseArgsData(args, fileSystemSources(() => inv.ui.readStdin()));
  } catch (err) {
    if (err instanceof DataArgError) throw usageFailure(`Failed to parse K=V data: ${err.message}`);
    throw err;
  }
}

/** Data as query parameters (read and delete send their data in the URL). */
export function dataToQuery(data: Readonly<Record<string, unknown>>): Query {
  const out: Record<string, string[]> = {};
  for (const [k, v] of Object.entries(data)) {
    const items = Array.isArray(v) ? v : [v];
    out[k] = items.map((item) => (typeof item === 'string' ? item : JSON.stringify(item)));
  }
  return out;
}

export const readCommand: Command = {
  synopsis: 'Read data and retrieves secrets',
  help: `Usage: arca read [options] PATH [KEY=VALUE ...]

  Reads data from the server at the given path. This can be used to read
  secrets, generate dynamic credentials, get configuration details, and more.
  Any KEY=VALUE arguments are sent as query parameters.

  Read a secret from the static secrets engine:

      $ arca read secret/my-secret`,
  flags: () => baseFlags('format+field'),
  async run(inv) {
    expectArgs(inv, 1, Infinity);
    const format = outputFormat(inv);
    const field = outputField(inv);
    const path = sanitizePath(inv.args[0]!);
    const query = dataToQuery(await dataFromArgs(inv, inv.args.slice(1)));
    const client = clientFor(inv);
    const secret = await remote(`Error reading ${path}`, () => client.read(path, query));
    if (secret === undefined) throw new CommandFailure(`No value found at ${path}`, EXIT_REMOTE);
    return printSecret(inv.ui, format, secret, field);
  },
};

export const writeCommand: Command = {
  synopsis: 'Write data, configuration, and secrets',
  help: `Usage: arca write [options] PATH [DATA K=V...]

  Writes data to the server at the given path. The data can be credentials,
  secrets, configuration, or arbitrary data. The specific behavior of this
  command is determined at the thing mounted at the path.

  Data is specified as "key=value" pairs. If the value begins with an "@", then
  it is loaded from a file. If the value is "-", it is read from stdin. An
  argument "-" alone reads a JSON object from stdin; "@file" alone reads a
  JSON object from a file.

  Persist data in the generic secrets engine:

      $ arca write secret/my-secret foo=bar

  Create a new encryption key in the transit secrets engine:

      $ arca write -force transit/keys/my-key`,
  flags: () =>
    baseFlags('format+field').define({
      name: 'force',
      kind: 'bool',
      aliases: ['f'],
      section: COMMAND_SECTION,
      usage: 'Allow the operation to continue with no key=value pairs. This allows writing to keys that do not need or expect data.',
    }),
  async run(inv) {
    expectArgs(inv, 1, Infinity);
    const format = outputFormat(inv);
    const field = outputField(inv);
    const path = sanitizePath(inv.args[0]!);
    const data = await dataFromArgs(inv, inv.args.slice(1));
    if (Object.keys(data).length === 0 && !inv.flags.bool('force')) throw usageFailure('Must supply data or use -force');
    const client = clientFor(inv);
    const secret = await remote(`Error writing data to ${path}`, () => client.write(path, data));
    if (secret === undefined) {
      if (format === 'table' && field === '') inv.ui.out(`Success! Data written to: ${path}`);
      return EXIT_OK;
    }
    return printSecret(inv.ui, format, secret, field);
  },
};

export const deleteCommand: Command = {
  synopsis: 'Delete secrets and configuration',
  help: `Usage: arca delete [options] PATH [KEY=VALUE ...]

  Deletes secrets and configuration from the server at the given path. The
  behavior of "delete" is delegated to the backend corresponding to the given
  path. Any KEY=VALUE arguments are sent as query parameters.

  Remove data in the status secrets engine:

      $ arca delete secret/my-secret`,
  flags: () => baseFlags(),
  async run(inv) {
    expectArgs(inv, 1, Infinity);
    const path = sanitizePath(inv.args[0]!);
    const query = dataToQuery(await dataFromArgs(inv, inv.args.slice(1)));
    const client = clientFor(inv);
    await remote(`Error deleting ${path}`, () => client.delete(path, query));
    inv.ui.out(`Success! Data deleted (if it existed) at: ${path}`);
    return EXIT_OK;
  },
};

export const listCommand: Command = {
  synopsis: 'List data or secrets',
  help: `Usage: arca list [options] PATH

  Lists data from the server at the given path. This can be used to list keys
  in a given secrets engine.

  List values under the "my-app" folder of the generic secrets engine:

      $ arca list secret/my-app/`,
  flags: () => baseFlags('format'),
  async run(inv) {
    expectArgs(inv, 1);
    const format = outputFormat(inv);
    const path = ensureTrailingSlash(sanitizePath(inv.args[0]!));
    const client = clientFor(inv);
    const secret = await remote(`Error listing ${path}`, () => client.list(path));
    return printList(inv.ui, format, secret, path);
  },
};
