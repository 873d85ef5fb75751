/**
 * `arca operator generate-root`: mint a new root token from a quorum of unseal keys.
 *
 *   -generate-otp        print a fresh OTP of the length the server expects
 *   -init [-otp=OTP]     start an attempt (the server makes an OTP when none is given)
 *   [KEY | -]            contribute one unseal key (nonce read from the attempt or -nonce)
 *   -status / -cancel    inspect or abandon the attempt
 *   -decode=ENC -otp=OTP turn the encoded token into the root token, locally
 */
import { sysData, type ApiClient } from '../client.js';
import { COMMAND_SECTION, CommandFailure, EXIT_OK, EXIT_REMOTE, baseFlags, clientFor, expectArgs, outputFormat, remote, usageFailure, type Command, type Invocation } from '../command.js';
import { formatValue, keyValueTable, type OutputFormat } from '../format.js';
import { decodeRootToken, generateLegacyOtp, generateOtp } from '../root-token.js';
import { printStructuredOr } from '../secret-output.js';
import { readSecretInput } from '../ui.js';
import type { Fields } from './seal-status.js';

const ATTEMPT = 'sys/generate-root/attempt';
const UPDATE = 'sys/generate-root/update';
const EXCLUSIVE = ['init', 'generate-otp', 'decode', 'status', 'cancel'] as const;

function present(v: unknown): boolean {
  return v !== undefined && v !== null && v !== '';
}

export function generateRootRows(status: Fields): [string, string][] {
  const rows: [string, string][] = [
    ['Nonce', formatValue(status['nonce'] ?? '')],
    ['Started', formatValue(status['started'] ?? false)],
    ['Progress', `${formatValue(status['progress'] ?? 0)}/${formatValue(status['required'] ?? 0)}`],
    ['Complete', formatValue(status['complete'] ?? false)],
  ];
  if (present(status['pgp_fingerprint'])) rows.push(['PGP Fingerprint', formatValue(status['pgp_fingerprint'])]);
  if (present(status['encoded_token'])) rows.push(['Encoded Token', formatValue(status['encoded_token'])]);
  else if (present(status['encoded_root_token'])) rows.push(['Encoded Root Token', formatValue(status['encoded_root_token'])]);
  if (present(status['otp'])) {
    rows.push(['OTP', formatValue(status['otp'])], ['OTP Length', formatValue(status['otp_length'] ?? String(status['otp']).length)]);
  }
  return rows;
}

function printStatus(inv: Invocation, format: OutputFormat, status: Fields): number {
  return printStructuredOr(inv.ui, format, status, () => keyValueTable(generateRootRows(status)));
}

async function readStatus(client: ApiClient): Promise<Fields> {
  return sysData(await remote('Error getting root generation status', () => client.call('GET', ATTEMPT)));
}

export const operatorGenerateRootCommand: Command = {
  synopsis: 'Generates a new root token',
  help: `Usage: arca operator generate-root [options] [KEY]

  Generates a new root token by combining a quorum of share holders. One of
  the following must be provided to start the root token generation:

    - A base62 one-time-password (OTP) provided via the "-otp" flag. Use
      "-generate-otp" to generate one. The resulting token is XORed with this
      value when it is returned; use "-decode" to recover it.

    - Nothing: the server then generates the OTP and shows it once.

  An unseal key may be provided directly on the command line as an argument.
  If key is specified as "-", the command reads it from stdin. If a TTY is
  available, the command prompts for it.

  Generate an OTP code for the final token:

      $ arca operator generate-root -generate-otp

  Start a root token generation:

      $ arca operator generate-root -init -otp="..."

  Enter an unseal key to progress root token generation:

      $ arca operator generate-root

  Decode the encoded token with the OTP:

      $ arca operator generate-root -decode="..." -otp="..."`,
  flags: () =>
    baseFlags('format')
      .define({ name: 'init', kind: 'bool', section: COMMAND_SECTION, usage: 'Start a root token generation. This can only be done if there is not currently one in progress.' })
      .define({ name: 'cancel', kind: 'bool', section: COMMAND_SECTION, usage: 'Reset the root token generation progress. This will discard any submitted unseal keys or configuration.' })
      .define({ name: 'status', kind: 'bool', section: COMMAND_SECTION, usage: 'Print the status of the current attempt without providing an unseal key.' })
      .define({ name: 'generate-otp', kind: 'bool', section: COMMAND_SECTION, usage: 'Generate and print a high-entropy one-time-password (OTP) suitable for use with the "-init" flag.' })
      .define({ name: 'decode', kind: 'string', section: COMMAND_SECTION, usage: 'The value to decode; setting this triggers a decode operation. If the value is "-" then read the encoded token from stdin.' })
      .define({ name: 'otp', kind: 'string', section: COMMAND_SECTION, usage: 'OTP code to use with "-decode" or "-init".' })
      .define({ name: 'nonce', kind: 'string', section: COMMAND_SECTION, usage: 'Nonce value provided at initialization. The same nonce value must be provided with each unseal key. Read from the current attempt when omitted.' }),
  async run(inv) {
    const f = inv.flags;
    const modes = EXCLUSIVE.filter((m) => f.isSet(m) && (m === 'decode' || f.bool(m)));
    if (modes.length > 1) throw usageFailure(`Only one of ${EXCLUSIVE.map((m) => `-${m}`).join(', ')} may be given`);
    const mode = modes[0];
    if (mode !== undefined) expectArgs(inv, 0);
    else expectArgs(inv, 0, 1);
    const format = outputFormat(inv);

    if (mode === 'decode') return decode(inv);
    return serverMode(inv, mode, format);
  },
};

async function serverMode(inv: Invocation, mode: 'init' | 'generate-otp' | 'status' | 'cancel' | undefined, format: OutputFormat): Promise<number> {
  const f = inv.flags;
  const client = clientFor(inv);
  switch (mode) {
    case 'generate-otp': {
      const length = Number((await readStatus(client))['otp_length'] ?? 0);
      inv.ui.out(length > 0 ? generateOtp(length) : generateLegacyOtp());
      return EXIT_OK;
    }
    case 'init': {
      const body = f.isSet('otp') && f.string('otp') !== '' ? { otp: f.string('otp') } : {};
      const status = sysData(await remote('Error initializing root generation', () => client.call('PUT', ATTEMPT, { body })));
      if (format === 'table' && present(status['otp'])) {
        inv.ui.out(
          'A One-Time-Password has been generated for you and is shown in the OTP field.\n' +
            'You will need this value to decode the resulting root token, so keep it safe.',
        );
      }
      return printStatus(inv, format, status);
    }
    case 'status':
      return printStatus(inv, format, await readStatus(client));
    case 'cancel':
      await remote('Error canceling root token generation', () => client.call('DELETE', ATTEMPT));
      inv.ui.out('Success! Root token generation canceled (if it was started)');
      return EXIT_OK;
    case undefined:
      return provideKey(inv, client, format);
  }
}

async function decode(inv: Invocation): Promise<number> {
  const otp = inv.flags.string('otp');
  if (otp === '') throw usageFailure('Missing -otp: the OTP used to start the attempt is needed to decode the token');
  let encoded = inv.flags.string('decode');
  if (encoded === '-') encoded = await readSecretInput(inv.ui, '-', '');
  if (encoded === '') throw usageFailure('Missing encoded token: use -decode=<string> to supply it');
  try {
    inv.ui.out(decodeRootToken(encoded, otp));
  } catch (err) {
    throw usageFailure(`Error decoding root token: ${(err as Error).message}`);
  }
  return EXIT_OK;
}

async function provideKey(inv: Invocation, client: ApiClient, format: OutputFormat): Promise<number> {
  let nonce = inv.flags.string('nonce');
  if (nonce === '') {
    const status = await readStatus(client);
    if (status['started'] !== true) {
      throw new CommandFailure('No root generation in progress: start one with "arca operator generate-root -init"', EXIT_REMOTE);
    }
    nonce = formatValue(status['nonce'] ?? '');
  }
  let key: string;
  try {
    key = await readSecretInput(inv.ui, inv.args[0], 'Unseal Key (will be hidden): ');
  } catch (err) {
    throw usageFailure(`Error reading unseal key: ${(err as Error).message}`);
  }
  if (key === '') throw usageFailure('No unseal key was provided');
  const status = sysData(await remote('Error posting unseal key', () => client.call('PUT', UPDATE, { body: { key, nonce } })));
  return printStatus(inv, format, status);
}
