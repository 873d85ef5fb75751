/**
 * `arca unwrap [TOKEN]`: redeem a response-wrapping token (sys/wrapping/unwrap) and print
 * what it wrapped, exactly as the original command would have printed it.
 */
import type { ApiClient, Secret } from '../client.js';
import { EXIT_OK, baseFlags, clientFor, outputField, outputFormat, remote, usageFailure, type Command } from '../command.js';
import { printField, printList, printSecret } from '../secret-output.js';

/**
 * Unwrap with the Go client's rules: with no token, the client's own token is the wrapping
 * token; a token equal to the client's is sent only as the header; another token goes in
 * the body (and becomes the header when the client has none). Undefined when the wrapped
 * response had no content.
 */
export async function unwrapSecret(client: ApiClient, wrappingToken: string): Promise<Secret | undefined> {
  const token = wrappingToken.trim();
  if (token === '' || token === client.settings.token) return client.write('sys/wrapping/unwrap', {});
  if (client.settings.token === '') return client.with({ token }).write('sys/wrapping/unwrap', {});
  return client.write('sys/wrapping/unwrap', { token });
}

function isListSecret(secret: Secret): boolean {
  const data = secret.data;
  return data !== null && data !== undefined && Array.isArray(data['keys']);
}

export const unwrapCommand: Command = {
  synopsis: 'Unwrap a wrapped secret',
  help: `Usage: arca unwrap [options] [TOKEN]

  Unwraps a wrapped secret from the server with the given token. The result is
  the same as the "arca read" operation on the non-wrapped secret. If no token
  is given, the data in the currently authenticated token is unwrapped.

  Unwrap the data in the cubbyhole secrets engine for a token:

      $ arca unwrap 3de9ece1-b347-e143-29b0-dc2dc31caafd

  Unwrap the data in the active token:

      $ arca login 848f9ccf-7176-098c-5e2b-75a0689d41cd
      $ arca unwrap # unwraps 848f9ccf...`,
  flags: () => baseFlags('format+field'),
  async run(inv) {
    if (inv.args.length > 1) throw usageFailure(`Too many arguments (expected 0-1, got ${inv.args.length})`);
    const format = outputFormat(inv);
    const field = outputField(inv);
    const client = clientFor(inv);
    const secret = await remote('Error unwrapping', () => unwrapSecret(client, inv.args[0] ?? ''));
    if (secret === undefined) {
      if (format === 'table') inv.ui.out('Successfully unwrapped. There was no data in the wrapped secret.');
      return EXIT_OK;
    }
    if (field !== '') return printField(inv.ui, format, secret, field);
    if (isListSecret(secret)) return printList(inv.ui, format, secret, 'sys/wrapping/unwrap');
    return printSecret(inv.ui, format, secret);
  },
};
