/**
 * `arca operator rekey`: replace the unseal key shares, from a quorum of today's.
 *
 *   -init [-key-shares=N -key-threshold=T] [-verify]   start an operation
 *   [KEY | -]                                          contribute one current key (nonce read from the operation or -nonce)
 *   -verify [KEY | -]                                  contribute one *new* key to the verification
 *   -status / -cancel  (with -verify: of the verification)
 *
 * Output wording follows Vault's so runbooks carry over. PGP-encrypted shares and their backup are
 * not supported (the server refuses them).
 */
import { sysData, type ApiClient } from '../client.js';
import { COMMAND_SECTION, CommandFailure, EXIT_OK, EXIT_REMOTE, baseFlags, clientFor, expectArgs, outputFormat, remote, usageFailure, type Command, type Invocation } from '../command.js';
import { formatValue, keyValueTable, type OutputFormat } from '../format.js';
import { printStructuredOr } from '../secret-output.js';
import { readSecretInput } from '../ui.js';
import type { Fields } from './seal-status.js';

const INIT = 'sys/rekey/init';
const UPDATE = 'sys/rekey/update';
const VERIFY = 'sys/rekey/verify';

function strings(v: unknown): string[] {
  return Array.isArray(v) ? v.map((x) => String(x)) : [];
}

export function rekeyStatusRows(status: Fields): [string, string][] {
  const rows: [string, string][] = [
    ['Nonce', formatValue(status['nonce'] ?? '')],
    ['Started', formatValue(status['started'] ?? false)],
    ['Rekey Progress', `${formatValue(status['progress'] ?? 0)}/${formatValue(status['required'] ?? 0)}`],
    ['New Shares', formatValue(status['n'] ?? 0)],
    ['New Threshold', formatValue(status['t'] ?? 0)],
    ['Verification Required', formatValue(status['verification_required'] ?? false)],
  ];
  return rows;
}

export function verifyStatusRows(status: Fields): [string, string][] {
  return [
    ['Started', formatValue(status['started'] ?? false)],
    ['New Shares', formatValue(status['n'] ?? 0)],
    ['New Threshold', formatValue(status['t'] ?? 0)],
    ['Verification Nonce', formatValue(status['nonce'] ?? '')],
    ['Verification Progress', `${formatValue(status['progress'] ?? 0)}/${formatValue(status['t'] ?? 0)}`],
  ];
}

function rekeyedText(shares: number, threshold: number, verify: boolean): string {
  if (!verify) {
    return [
      `Arca rekeyed with ${shares} key shares and a key threshold of ${threshold}. Please securely`,
      'distribute the key shares printed above. When the server is re-sealed, restarted, or',
      `stopped, you must supply at least ${threshold} of these keys to unseal it before it can`,
      'start servicing requests.',
    ].join('\n');
  }
  return [
    `Arca has created a new unseal key, split into ${shares} key shares and a key threshold`,
    `of ${threshold}. These will not be active until after verification is complete. Please`,
    'securely distribute the key shares printed above. When the server is re-sealed,',
    `restarted, or stopped, you must supply at least ${threshold} of these keys to unseal it`,
    'before it can start servicing requests.',
    '',
    'Again, these key shares are _not_ valid until verification is performed. Do not lose',
    'or discard your current key shares until after verification is complete or you will',
    'be unable to unseal the server. If you cancel the rekey process or seal the server',
    'before verification is complete the new shares will be discarded and the current',
    'shares will remain valid.',
    '',
    'The current verification status, including initial nonce, is shown below.',
  ].join('\n');
}

export const operatorRekeyCommand: Command = {
  synopsis: 'Generates new unseal keys',
  help: `Usage: arca operator rekey [options] [KEY]

  Generates a new set of unseal keys. This can optionally change the total
  number of key shares or the required threshold of those key shares to
  reconstruct the root key. This operation is zero downtime, but it requires
  the server to be unsealed and a quorum of existing unseal keys to be
  provided.

  An unseal key may be provided directly on the command line as an argument.
  If key is specified as "-", the command reads it from stdin. If a TTY is
  available, the command prompts for it.

  Initialize a rekey:

      $ arca operator rekey -init -key-shares=15 -key-threshold=9

  Initialize a rekey and activate the verification process:

      $ arca operator rekey -init -key-shares=15 -key-threshold=9 -verify

  Provide an existing unseal key to progress the rekey:

      $ arca operator rekey

  Provide one of the new keys to progress the verification:

      $ arca operator rekey -verify`,
  flags: () =>
    baseFlags('format')
      .define({ name: 'init', kind: 'bool', section: COMMAND_SECTION, usage: 'Initialize the rekeying operation. This can only be done if no rekeying operation is in progress.' })
      .define({ name: 'cancel', kind: 'bool', section: COMMAND_SECTION, usage: 'Reset the rekeying progress. This will discard any submitted unseal keys or configuration. With -verify, only the verification progress is reset.' })
      .define({ name: 'status', kind: 'bool', section: COMMAND_SECTION, usage: 'Print the status of the current attempt without providing an unseal key.' })
      .define({ name: 'key-shares', kind: 'int', section: COMMAND_SECTION, aliases: ['n'], defaultValue: 5, usage: 'Number of key shares to split the generated root key into. This is the number of "unseal keys" to generate.' })
      .define({ name: 'key-threshold', kind: 'int', section: COMMAND_SECTION, aliases: ['t'], defaultValue: 3, usage: 'Number of key shares required to reconstruct the root key. This must be less than or equal to -key-shares.' })
      .define({ name: 'nonce', kind: 'string', section: COMMAND_SECTION, usage: 'Nonce value provided at initialization. The same nonce value must be provided with each unseal key. Read from the current operation when omitted.' })
      .define({ name: 'verify', kind: 'bool', section: COMMAND_SECTION, usage: 'With -init: require the new keys to be verified before they take effect. Otherwise: work on the verification (give a new key, -status or -cancel).' })
      .define({ name: 'target', kind: 'string', section: COMMAND_SECTION, defaultValue: 'barrier', usage: 'Target for rekeying. Only "barrier" (the unseal keys): this server has no recovery keys.' })
      .define({ name: 'pgp-keys', kind: 'string', section: COMMAND_SECTION, usage: 'Not supported: PGP-encrypted key shares.' })
      .define({ name: 'backup', kind: 'bool', section: COMMAND_SECTION, usage: 'Not supported: a stored backup of PGP-encrypted key shares.' }),
  async run(inv) {
    const f = inv.flags;
    const modes = (['init', 'cancel', 'status'] as const).filter((m) => f.bool(m));
    if (modes.length > 1) throw usageFailure('Only one of -init, -cancel, -status may be given');
    if (f.string('target') !== 'barrier') throw usageFailure(`Unsupported -target ${JSON.stringify(f.string('target'))}: only "barrier" (unseal keys) can be rekeyed on this server`);
    if (f.string('pgp-keys') !== '' || f.bool('backup')) throw usageFailure('PGP-encrypted key shares (-pgp-keys, -backup) are not supported by this server');
    const mode = modes[0];
    if (mode !== undefined) expectArgs(inv, 0);
    else expectArgs(inv, 0, 1);
    const format = outputFormat(inv);
    const client = clientFor(inv);
    const verify = f.bool('verify');
    switch (mode) {
      case 'init': {
        const body = { secret_shares: f.int('key-shares'), secret_threshold: f.int('key-threshold'), require_verification: verify };
        const status = sysData(await remote('Error initializing rekey', () => client.call('PUT', INIT, { body })));
        return printStructuredOr(inv.ui, format, status, () => keyValueTable(rekeyStatusRows(status)));
      }
      case 'cancel':
        if (verify) {
          const status = sysData(await remote('Error canceling rekey verification', () => client.call('DELETE', VERIFY)));
          inv.ui.out('Success! Canceled rekey verification (if it was started); the verification has a new nonce:');
          return printStructuredOr(inv.ui, format, status, () => keyValueTable(verifyStatusRows(status)));
        }
        await remote('Error canceling rekey', () => client.call('DELETE', INIT));
        inv.ui.out('Success! Canceled rekeying (if it was started)');
        return EXIT_OK;
      case 'status': {
        if (verify) {
          const status = sysData(await remote('Error reading rekey verification status', () => client.call('GET', VERIFY)));
          return printStructuredOr(inv.ui, format, status, () => keyValueTable(verifyStatusRows(status)));
        }
        const status = sysData(await remote('Error reading rekey status', () => client.call('GET', INIT)));
        return printStructuredOr(inv.ui, format, status, () => keyValueTable(rekeyStatusRows(status)));
      }
      default:
        return verify ? provideNewKey(inv, client, format) : provideKey(inv, client, format);
    }
  },
};

async function readKey(inv: Invocation, prompt: string): Promise<string> {
  let key: string;
  try {
    key = await readSecretInput(inv.ui, inv.args[0], prompt);
  } catch (err) {
    throw usageFailure(`Error reading unseal key: ${(err as Error).message}`);
  }
  if (key === '') throw usageFailure('No unseal key was provided');
  return key;
}

async function provideKey(inv: Invocation, client: ApiClient, format: OutputFormat): Promise<number> {
  let nonce = inv.flags.string('nonce');
  let status: Fields | undefined;
  if (nonce === '') {
    status = sysData(await remote('Error reading rekey status', () => client.call('GET', INIT)));
    if (status['started'] !== true) throw new CommandFailure('No rekey is in progress: start one with "arca operator rekey -init"', EXIT_REMOTE);
    nonce = formatValue(status['nonce'] ?? '');
  }
  const key = await readKey(inv, 'Unseal Key (will be hidden): ');
  const res = sysData(await remote('Error posting unseal key', () => client.call('PUT', UPDATE, { body: { key, nonce } })));
  if (res['complete'] !== true) return printStructuredOr(inv.ui, format, res, () => keyValueTable(rekeyStatusRows(res)));

  const keys = strings(res['keys_base64']);
  const verificationRequired = res['verification_required'] === true;
  const shares = keys.length;
  // The new threshold: from the operation as last read, or from the server's verification view.
  let threshold = Number(status?.['t'] ?? 0);
  let verifyStatus: Fields | undefined;
  if (verificationRequired) {
    verifyStatus = sysData(await remote('Error reading rekey verification status', () => client.call('GET', VERIFY)));
    threshold = Number(verifyStatus['t'] ?? threshold);
  } else if (threshold === 0) {
    threshold = Number(sysData(await remote('Error reading seal status', () => client.call('GET', 'sys/seal-status')))['t'] ?? 0);
  }
  return printStructuredOr(inv.ui, format, res, () => {
    const lines = keys.map((k, i) => `Key ${i + 1}: ${k}`);
    lines.push('', `Operation nonce: ${formatValue(res['nonce'] ?? '')}`, '', rekeyedText(shares, threshold, verificationRequired));
    if (verifyStatus !== undefined) lines.push('', keyValueTable(verifyStatusRows(verifyStatus)));
    return lines.join('\n');
  });
}

async function provideNewKey(inv: Invocation, client: ApiClient, format: OutputFormat): Promise<number> {
  let nonce = inv.flags.string('nonce');
  if (nonce === '') {
    const status = sysData(await remote('Error reading rekey verification status', () => client.call('GET', VERIFY)));
    nonce = formatValue(status['nonce'] ?? '');
  }
  const key = await readKey(inv, 'New Unseal Key (will be hidden): ');
  const res = sysData(await remote('Error posting unseal key for verification', () => client.call('PUT', VERIFY, { body: { key, nonce } })));
  if (res['complete'] !== true) return printStructuredOr(inv.ui, format, res, () => keyValueTable(verifyStatusRows(res)));
  return printStructuredOr(inv.ui, format, res, () => 'Success! Rekey verification was successful. The rekey operation is complete and the new keys are now active.');
}
