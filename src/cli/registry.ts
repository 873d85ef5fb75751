/**
 * The command tree: every command by its full name ("kv metadata get"), and the groups that
 * only list their subcommands. The dispatcher matches the longest name the arguments start
 * with, as Vault's CLI does.
 */
import type { Command } from './command.js';
import { authDisableCommand, authEnableCommand, authListCommand, authTuneCommand } from './commands/auth.js';
import { loginCommand } from './commands/login.js';
import { policiesCommand, policyDeleteCommand, policyFmtCommand, policyListCommand, policyReadCommand, policyWriteCommand } from './commands/policy.js';
import { tokenCapabilitiesCommand, tokenLookupCommand, tokenRenewCommand, tokenRevokeCommand } from './commands/token.js';
import { tokenCreateCommand } from './commands/token-create.js';
import { unwrapCommand } from './commands/unwrap.js';
import { leaseLookupCommand, leaseRenewCommand, leaseRevokeCommand } from './commands/lease.js';
import { operatorGenerateRootCommand } from './commands/generate-root.js';
import { operatorRekeyCommand } from './commands/rekey.js';
import { kvDeleteCommand, kvDestroyCommand, kvGetCommand, kvListCommand, kvPatchCommand, kvPutCommand, kvUndeleteCommand } from './commands/kv.js';
import { kvMetadataDeleteCommand, kvMetadataGetCommand, kvMetadataPutCommand } from './commands/kv-metadata.js';
import { deleteCommand, listCommand, readCommand, writeCommand } from './commands/logical.js';
import {
  operatorInitCommand,
  operatorKeyStatusCommand,
  operatorRotateCommand,
  operatorSealCommand,
  operatorStepDownCommand,
  operatorUnsealCommand,
} from './commands/operator.js';
import { pathHelpCommand } from './commands/path-help.js';
import { replicationStatusCommand } from './commands/replication.js';
import { secretsDisableCommand, secretsEnableCommand, secretsListCommand, secretsMoveCommand, secretsTuneCommand } from './commands/secrets.js';
import { statusCommand } from './commands/status.js';
import { versionCommand } from './commands/version.js';

export const COMMANDS: ReadonlyMap<string, Command> = new Map<string, Command>([
  ['read', readCommand],
  ['write', writeCommand],
  ['delete', deleteCommand],
  ['list', listCommand],
  ['status', statusCommand],
  ['version', versionCommand],
  ['path-help', pathHelpCommand],
  ['operator init', operatorInitCommand],
  ['operator unseal', operatorUnsealCommand],
  ['operator seal', operatorSealCommand],
  ['operator step-down', operatorStepDownCommand],
  ['operator rotate', operatorRotateCommand],
  ['operator key-status', operatorKeyStatusCommand],
  ['operator generate-root', operatorGenerateRootCommand],
  ['operator rekey', operatorRekeyCommand],
  ['kv get', kvGetCommand],
  ['kv put', kvPutCommand],
  ['kv patch', kvPatchCommand],
  ['kv delete', kvDeleteCommand],
  ['kv undelete', kvUndeleteCommand],
  ['kv destroy', kvDestroyCommand],
  ['kv list', kvListCommand],
  ['kv metadata get', kvMetadataGetCommand],
  ['kv metadata put', kvMetadataPutCommand],
  ['kv metadata delete', kvMetadataDeleteCommand],
  ['secrets enable', secretsEnableCommand],
  ['secrets disable', secretsDisableCommand],
  ['secrets list', secretsListCommand],
  ['secrets tune', secretsTuneCommand],
  ['secrets move', secretsMoveCommand],
  ['login', loginCommand],
  ['unwrap', unwrapCommand],
  ['lease lookup', leaseLookupCommand],
  ['lease renew', leaseRenewCommand],
  ['lease revoke', leaseRevokeCommand],
  ['token create', tokenCreateCommand],
  ['token lookup', tokenLookupCommand],
  ['token renew', tokenRenewCommand],
  ['token revoke', tokenRevokeCommand],
  ['token capabilities', tokenCapabilitiesCommand],
  ['policy write', policyWriteCommand],
  ['policy read', policyReadCommand],
  ['policy list', policyListCommand],
  ['policy delete', policyDeleteCommand],
  ['policy fmt', policyFmtCommand],
  ['policies', policiesCommand],
  ['auth enable', authEnableCommand],
  ['auth disable', authDisableCommand],
  ['auth list', authListCommand],
  ['auth tune', authTuneCommand],
  ['replication status', replicationStatusCommand],
]);

export interface Group {
  readonly synopsis: string;
  readonly description: string;
}

export const GROUPS: ReadonlyMap<string, Group> = new Map<string, Group>([
  [
    'operator',
    {
      synopsis: 'Perform operator-specific tasks',
      description: 'This command groups subcommands for operators interacting with the server. Most users will not need to interact with these commands.',
    },
  ],
  [
    'kv',
    {
      synopsis: 'Interact with the KV secrets engine',
      description:
        'This command has subcommands for interacting with the key/value secrets engine, version 1 and version 2. Paths are rewritten for KV version 2 ("secret/foo" becomes "secret/data/foo").',
    },
  ],
  [
    'kv metadata',
    {
      synopsis: 'Interact with the KV metadata and versions',
      description: 'This command has subcommands for interacting with the metadata and versions of secrets in KV version 2.',
    },
  ],
  [
    'lease',
    {
      synopsis: 'Interact with leases',
      description: 'This command groups subcommands for interacting with leases. Users can lookup, renew, and revoke leases.',
    },
  ],
  ['secrets', { synopsis: 'Interact with secrets engines', description: 'This command groups subcommands for interacting with secrets engines.' }],
  [
    'replication',
    {
      synopsis: 'Interact with performance replication',
      description: 'This command groups subcommands for performance replication. Activation and management go through "arca write sys/replication/...", as with Vault.',
    },
  ],
  [
    'token',
    {
      synopsis: 'Interact with tokens',
      description: 'This command groups subcommands for interacting with tokens. Users can create, lookup, renew, and revoke tokens, and ask which capabilities a token has on a path.',
    },
  ],
  [
    'policy',
    {
      synopsis: 'Interact with policies',
      description: 'This command groups subcommands for interacting with policies. Users can write, read, and list policies, and format policy files.',
    },
  ],
  [
    'auth',
    {
      synopsis: 'Interact with auth methods',
      description: 'This command groups subcommands for interacting with auth methods. Users can list, enable, disable, and tune auth methods. To authenticate, use "arca login".',
    },
  ],
]);

/** "server" is dispatched to the server module, outside this table; listed for help. */
export const SERVER_SYNOPSIS = 'Start an Arca server';

/** Commands listed first in the top-level help, as Vault lists its common ones. */
export const COMMON_COMMANDS: readonly string[] = ['read', 'write', 'delete', 'list', 'login', 'status', 'unwrap'];
