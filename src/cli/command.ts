/**
 * What a command is, what it receives, and the small helpers every command shares: the global
 * HTTP and output flags, argument-count checks, and the mapping of failures to Vault's exit
 * codes (0 success, 1 local/usage error, 2 remote error: the server said no or was unreachable).
 */
import { ApiClient, ApiError, TransportError } from './client.js';
import { ClientConfigError, envSetting, resolveClientSettings, type Env } from './client-config.js';
import { FlagSet, type FlagDef, type ParsedFlags } from './flags.js';
import { isOutputFormat, type OutputFormat } from './format.js';
import type { Ui } from './ui.js';

export const EXIT_OK = 0;
export const EXIT_LOCAL = 1;
export const EXIT_REMOTE = 2;

export interface Invocation {
  /** Full command name, e.g. "kv metadata get". */
  readonly name: string;
  readonly flags: ParsedFlags;
  readonly args: readonly string[];
  readonly ui: Ui;
  readonly env: Env;
}

export interface Command {
  /** One line for the command list. */
  readonly synopsis: string;
  /** Usage line and description; the flag list is appended from flags(). */
  readonly help: string;
  flags(): FlagSet;
  run(inv: Invocation): Promise<number>;
}

/** A failure already phrased for the user, with the exit code it maps to. */
export class CommandFailure extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}

/** A local mistake (arguments, input files, validation): exit 1. */
export function usageFailure(message: string): CommandFailure {
  return new CommandFailure(message, EXIT_LOCAL);
}

/**
 * Run a step that talks to the server; failures become "<prefix>: <Vault's error text>" with
 * exit code 2, as Vault prints them (e.g. "Error writing data to secret/foo: Error making
 * API request. ...").
 */
export async function remote<T>(prefix: string, step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (err) {
    if (err instanceof ApiError || err instanceof TransportError) throw new CommandFailure(`${prefix}: ${err.message}`, EXIT_REMOTE);
    throw err;
  }
}

const HTTP_SECTION = 'HTTP Options';
const OUTPUT_SECTION = 'Output Options';
export const COMMAND_SECTION = 'Command Options';

const HTTP_FLAGS: readonly FlagDef[] = [
  {
    name: 'address',
    kind: 'string',
    section: HTTP_SECTION,
    usage:
      'Address of the Arca server. The default is https://127.0.0.1:8200. This can also be specified via the ARCA_ADDR or VAULT_ADDR environment variable.',
  },
  {
    name: 'ca-cert',
    kind: 'string',
    section: HTTP_SECTION,
    usage:
      'Path on the local disk to a single PEM-encoded CA certificate to verify the server\'s SSL certificate. This takes precedence over ARCA_CACERT and VAULT_CACERT.',
  },
  {
    name: 'tls-server-name',
    kind: 'string',
    section: HTTP_SECTION,
    usage: 'Name to use as the SNI host when connecting via TLS. This can also be specified via ARCA_TLS_SERVER_NAME or VAULT_TLS_SERVER_NAME.',
  },
  {
    name: 'tls-skip-verify',
    kind: 'bool',
    section: HTTP_SECTION,
    usage:
      'Disable verification of TLS certificates. Using this option is highly discouraged as it decreases the security of data transmissions to and from the server. This can also be specified via ARCA_SKIP_VERIFY or VAULT_SKIP_VERIFY.',
  },
  {
    name: 'wrap-ttl',
    kind: 'duration',
    section: HTTP_SECTION,
    usage:
      'Wraps the response in a cubbyhole token with the requested TTL. The response is available via the "arca unwrap" command. The TTL is specified as a numeric string with suffix like "30s" or "5m". This can also be specified via ARCA_WRAP_TTL or VAULT_WRAP_TTL.',
  },
];

/** A flag set carrying the global HTTP flags, plus the output flags when asked. */
export function baseFlags(output: 'none' | 'format' | 'format+field' = 'none'): FlagSet {
  const fs = new FlagSet();
  for (const def of HTTP_FLAGS) fs.define(def);
  if (output !== 'none') {
    fs.define({
      name: 'format',
      kind: 'string',
      section: OUTPUT_SECTION,
      usage: 'Print the output in the given format. Valid formats are "table", "json", or "yaml". This can also be specified via the ARCA_FORMAT or VAULT_FORMAT environment variable.',
    });
  }
  if (output === 'format+field') {
    fs.define({
      name: 'field',
      kind: 'string',
      section: OUTPUT_SECTION,
      usage:
        'Print only the field with the given name. Specifying this option will take precedence over other formatting directives. The result will not have a trailing newline making it ideal for piping to other processes.',
    });
  }
  return fs;
}

/** The client for this invocation; configuration problems exit 2 as in Vault. */
export function clientFor(inv: Invocation): ApiClient {
  const f = inv.flags;
  try {
    return new ApiClient(
      resolveClientSettings(
        {
          address: f.isSet('address') ? f.string('address') : undefined,
          caCert: f.isSet('ca-cert') ? f.string('ca-cert') : undefined,
          tlsSkipVerify: f.isSet('tls-skip-verify') ? f.bool('tls-skip-verify') : undefined,
          tlsServerName: f.isSet('tls-server-name') ? f.string('tls-server-name') : undefined,
          wrapTTL: f.isSet('wrap-ttl') ? f.durationSeconds('wrap-ttl') : undefined,
        },
        inv.env,
      ),
    );
  } catch (err) {
    if (err instanceof ClientConfigError) throw new CommandFailure(`Error initializing client: ${err.message}`, EXIT_REMOTE);
    throw err;
  }
}

/** -format, else ARCA_FORMAT / VAULT_FORMAT, else table. */
export function outputFormat(inv: Invocation): OutputFormat {
  const raw = (inv.flags.isSet('format') ? inv.flags.string('format') : (envSetting(inv.env, 'FORMAT') ?? 'table')).toLowerCase();
  if (!isOutputFormat(raw)) throw usageFailure(`Invalid output format: ${raw}`);
  return raw;
}

/** -field, or '' when the command has no such flag or it was not given. */
export function outputField(inv: Invocation): string {
  return inv.flags.isSet('field') ? inv.flags.string('field') : '';
}

/** Enforce Vault's argument-count messages ("Not enough arguments (expected 1, got 0)"). */
export function expectArgs(inv: Invocation, min: number, max: number = min): void {
  const n = inv.args.length;
  // Open-ended commands (read PATH [K=V...]) say "expected 1", as Vault's do.
  const expected = min === max || max === Infinity ? `${min}` : `${min}-${max}`;
  if (n < min) throw usageFailure(`Not enough arguments (expected ${expected}, got ${n})`);
  if (n > max) throw usageFailure(`Too many arguments (expected ${expected}, got ${n})`);
}

/** Vault's sanitizePath: trim blanks and leading slashes. */
export function sanitizePath(path: string): string {
  return path.trim().replace(/^\/+/, '');
}

export function ensureTrailingSlash(path: string): string {
  return path === '' || path.endsWith('/') ? path : `${path}/`;
}
