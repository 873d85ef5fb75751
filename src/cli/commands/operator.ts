/**
 * `arca operator ...`: init, unseal, seal, step-down, rotate and key-status. (generate-root has
 * its own module.) Output wording follows Vault's so runbooks and scripts carry over.
 */
import { sysData, type ApiClient } from '../client.js';
import {
  COMMAND_SECTION,
  CommandFailure,
  EXIT_LOCAL,
  EXIT_OK,
  EXIT_REMOTE,
  baseFlags,
  clientFor,
  expectArgs,
  outputFormat,
  remote,
  usageFailure,
  type Command,
  type Invocation,
} from '../command.js';
import { columns, formatValue, rfc822, type OutputFormat } from '../format.js';
import { printStructuredOr } from '../secret-output.js';
import { readSecretInput } from '../ui.js';
import { printSealStatus, readLeader, type Fields } from './seal-status.js';

function strings(v: unknown): string[] {
  return Array.isArray(v) ? v.map((x) => String(x)) : [];
}

function initText(shares: number, threshold: number): string {
  return [
    `Arca initialized with ${shares} key shares and a key threshold of ${threshold}. Please`,
    'securely distribute the key shares printed above. When the server is re-sealed,',
    `restarted, or stopped, you must supply at least ${threshold} of these keys to unseal it`,
    'before it can start servicing requests.',
    '',
    `Arca does not store the generated root key. Without at least ${threshold} keys to`,
    'reconstruct the root key, the server will remain permanently sealed!',
  ].join('\n');
}

export const operatorInitCommand: Command = {
  synopsis: 'Initializes a server',
  help: `Usage: arca operator init [options]

  Initializes a server. Initialization is the process by which the storage
  backend is prepared to receive data. During initialization a root key is
  generated and split into unseal key shares with Shamir's secret sharing.
  This command cannot be run against an already-initialized server.

  Start initialization with the default options:

      $ arca operator init

  Initialize with one key share (for tests and demos):

      $ arca operator init -key-shares=1 -key-threshold=1`,
  flags: () =>
    baseFlags('format')
      .define({
        name: 'key-shares',
        kind: 'int',
        section: COMMAND_SECTION,
        aliases: ['n'],
        defaultValue: 5,
        usage: 'Number of key shares to split the generated root key into. This is the number of "unseal keys" to generate.',
      })
      .define({
        name: 'key-threshold',
        kind: 'int',
        section: COMMAND_SECTION,
        aliases: ['t'],
        defaultValue: 3,
        usage: 'Number of key shares required to reconstruct the root key. This must be less than or equal to -key-shares.',
      })
      .define({
        name: 'status',
        kind: 'bool',
        section: COMMAND_SECTION,
        usage: 'Print the current initialization status. An exit code of 0 means the server is already initialized. An exit code of 1 means an error occurred. An exit code of 2 means the server is not initialized.',
      }),
  async run(inv) {
    expectArgs(inv, 0);
    const format = outputFormat(inv);
    const client = clientFor(inv);
    if (inv.flags.bool('status')) return initStatus(inv.ui.out.bind(inv.ui), client);
    const shares = inv.flags.int('key-shares');
    const threshold = inv.flags.int('key-threshold');
    const res = sysData(
      await remote('Error initializing', () => client.call('PUT', 'sys/init', { body: { secret_shares: shares, secret_threshold: threshold } })),
    );
    const keysB64 = strings(res['keys_base64']);
    const keysHex = strings(res['keys']);
    const rootToken = formatValue(res['root_token'] ?? '');
    const structured = {
      unseal_keys_b64: keysB64,
      unseal_keys_hex: keysHex,
      unseal_shares: shares,
      unseal_threshold: threshold,
      recovery_keys_b64: strings(res['recovery_keys_base64']),
      recovery_keys_hex: strings(res['recovery_keys']),
      recovery_keys_shares: 0,
      recovery_keys_threshold: 0,
      root_token: rootToken,
    };
    return printStructuredOr(inv.ui, format, structured, () => {
      const lines = keysB64.map((k, i) => `Unseal Key ${i + 1}: ${k}`);
      return [...lines, '', `Initial Root Token: ${rootToken}`, '', initText(shares, threshold)].join('\n');
    });
  },
};

async function initStatus(out: (s: string) => void, client: ApiClient): Promise<number> {
  let initialized: boolean;
  try {
    initialized = sysData(await remote('Error checking initialization status', () => client.call('GET', 'sys/init')))['initialized'] === true;
  } catch (err) {
    if (err instanceof CommandFailure) throw new CommandFailure(err.message, EXIT_LOCAL);
    throw err;
  }
  out(initialized ? 'Vault is initialized' : 'Vault is not initialized');
  return initialized ? EXIT_OK : EXIT_REMOTE;
}

/** Print seal status after an unseal step, with HA rows once the server is unsealed. */
async function printUnsealResult(client: ApiClient, inv: Invocation, format: OutputFormat, seal: Fields): Promise<number> {
  const leader = seal['sealed'] === true ? undefined : await readLeader(client);
  printSealStatus(inv.ui, format, seal, leader);
  return EXIT_OK;
}

export const operatorUnsealCommand: Command = {
  synopsis: 'Unseals the server',
  help: `Usage: arca operator unseal [options] [KEY]

  Provide a portion of the root key to unseal a server. The server starts
  sealed and cannot serve requests until enough unseal keys were provided.

  The key can be given as an argument, but it would then be in your shell
  history. Without an argument the command prompts for it (hidden) when
  stdin is a terminal, and reads it from stdin otherwise; "-" reads stdin.

      $ arca operator unseal
      Unseal Key (will be hidden):

  Discard the unseal keys provided so far:

      $ arca operator unseal -reset`,
  flags: () =>
    baseFlags('format').define({
      name: 'reset',
      kind: 'bool',
      section: COMMAND_SECTION,
      usage: 'Discard any previously entered keys to the unseal process.',
    }),
  async run(inv) {
    expectArgs(inv, 0, 1);
    const format = outputFormat(inv);
    const client = clientFor(inv);
    if (inv.flags.bool('reset')) {
      if (inv.args.length > 0) throw usageFailure('Too many arguments (expected 0 with -reset)');
      const seal = sysData(await remote('Error resetting unseal process', () => client.call('PUT', 'sys/unseal', { body: { reset: true } })));
      return printUnsealResult(client, inv, format, seal);
    }
    let key: string;
    try {
      key = await readSecretInput(inv.ui, inv.args[0], 'Unseal Key (will be hidden): ');
    } catch (err) {
      throw usageFailure(`Error reading unseal key: ${(err as Error).message}`);
    }
    if (key === '') throw usageFailure('Error unsealing: no unseal key was provided');
    const seal = sysData(await remote('Error unsealing', () => client.call('PUT', 'sys/unseal', { body: { key } })));
    return printUnsealResult(client, inv, format, seal);
  },
};

export const operatorSealCommand: Command = {
  synopsis: 'Seals the server',
  help: `Usage: arca operator seal [options]

  Seals the server. Sealing discards the in-memory root key; the server then
  refuses every request until it is unsealed again with a quorum of unseal
  keys. In HA mode only the active node can be sealed.

      $ arca operator seal`,
  flags: () => baseFlags(),
  async run(inv) {
    expectArgs(inv, 0);
    const client = clientFor(inv);
    await remote('Error sealing', () => client.call('PUT', 'sys/seal'));
    inv.ui.out('Success! Vault is sealed.');
    return EXIT_OK;
  },
};

export const operatorStepDownCommand: Command = {
  synopsis: 'Forces the server to resign active duty',
  help: `Usage: arca operator step-down [options]

  Forces the server at the given address to step down from active duty in an
  HA cluster. Another standby takes over; the node may become active again.

      $ arca operator step-down`,
  flags: () => baseFlags(),
  async run(inv) {
    expectArgs(inv, 0);
    const client = clientFor(inv);
    await remote('Error stepping down', () => client.call('PUT', 'sys/step-down'));
    inv.ui.out(`Success! Stepped down: ${client.settings.address}`);
    return EXIT_OK;
  },
};

function keyStatusObject(status: Fields): Record<string, unknown> {
  const out: Record<string, unknown> = { term: status['term'] ?? 0, install_time: status['install_time'] ?? '' };
  if (status['encryptions'] !== undefined) out['encryptions'] = status['encryptions'];
  return out;
}

function keyStatusTable(status: Fields): string {
  const rows: string[][] = [
    ['Key Term', formatValue(status['term'] ?? 0)],
    ['Install Time', typeof status['install_time'] === 'string' ? rfc822(status['install_time']) : formatValue(status['install_time'])],
  ];
  if (status['encryptions'] !== undefined) rows.push(['Encryption Count', formatValue(status['encryptions'])]);
  return columns(rows);
}

async function readKeyStatus(client: ApiClient): Promise<Fields> {
  return sysData(await remote('Error reading key status', () => client.call('GET', 'sys/key-status')));
}

export const operatorKeyStatusCommand: Command = {
  synopsis: 'Provides information about the active encryption key',
  help: `Usage: arca operator key-status [options]

  Provides information about the active encryption key: its term and the time
  it was installed.

      $ arca operator key-status`,
  flags: () => baseFlags('format'),
  async run(inv) {
    expectArgs(inv, 0);
    const format = outputFormat(inv);
    const status = await readKeyStatus(clientFor(inv));
    return printStructuredOr(inv.ui, format, keyStatusObject(status), () => keyStatusTable(status));
  },
};

export const operatorRotateCommand: Command = {
  synopsis: 'Rotates the underlying encryption key',
  help: `Usage: arca operator rotate [options]

  Rotates the underlying encryption key which is used to secure data written to
  the storage backend. This installs a new key in the keyring; it is used for
  all new writes, and older keys stay available to decrypt existing data.

      $ arca operator rotate`,
  flags: () => baseFlags('format'),
  async run(inv) {
    expectArgs(inv, 0);
    const format = outputFormat(inv);
    const client = clientFor(inv);
    await remote('Error rotating key', () => client.call('PUT', 'sys/rotate'));
    const status = await readKeyStatus(client);
    return printStructuredOr(inv.ui, format, keyStatusObject(status), () => `Success! Rotated key\n\n${keyStatusTable(status)}`);
  },
};
