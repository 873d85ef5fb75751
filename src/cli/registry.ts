/**
 * The command tree: every command by its full name ("kv metadata get"), and the groups that
 * only list their subcommands. The dispatcher matches the longest name the arguments start
 * with, as Vault's CLI does.
 */
import type { Command } from './command.js';
import { operatorGenerateRootCommand } from './commands/generate-root.js';
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
  ['secrets', { synopsis: 'Interact with secrets engines', description: 'This command groups subcommands for interacting with secrets engines.' }],
]);

/** "server" is dispatched to the server module, outside this table; listed for help. */
export const SERVER_SYNOPSIS = 'Start an Arca server';

/** Commands listed first in the top-level help, as Vault lists its common ones. */
export const COMMON_COMMANDS: readonly string[] = ['read', 'write', 'delete', 'list', 'status'];
