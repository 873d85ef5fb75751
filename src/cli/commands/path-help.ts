/** `arca path-help PATH`: the help text a backend declares for a path (GET <path>?help=1). */
import { baseFlags, clientFor, expectArgs, outputFormat, remote, sanitizePath, type Command } from '../command.js';
import { asSecret } from '../client.js';
import { formatValue } from '../format.js';
import { printStructuredOr } from '../secret-output.js';

export const pathHelpCommand: Command = {
  synopsis: 'Retrieve API help for paths',
  help: `Usage: arca path-help [options] PATH

  Retrieves API help for paths. All endpoints have built-in help in the form of
  markdown documentation describing what the path does, its parameters and
  return values.

  Get help for the KV secrets engine data path:

      $ arca path-help secret/data/foo

  Get help for the system backend:

      $ arca path-help sys/mounts`,
  flags: () => baseFlags('format'),
  async run(inv) {
    expectArgs(inv, 1);
    const format = outputFormat(inv);
    const path = sanitizePath(inv.args[0]!);
    const client = clientFor(inv);
    const res = await remote('Error retrieving help', () => client.call('GET', path, { query: { help: '1' } }));
    const body = asSecret(res.body) ?? {};
    return printStructuredOr(inv.ui, format, body, () => formatValue(body['help'] ?? ''));
  },
};
