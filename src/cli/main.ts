/**
 * The CLI entry point: `run(argv)` returns the process exit code (bin/arca sets it).
 * Dispatch matches the longest command name the arguments start with, handles -h/-help and
 * -v/-version the way Vault's CLI does, parses the command's flags and maps failures to
 * Vault's exit codes: 0 success, 1 local or usage error, 2 remote error, 127 no such command.
 */
import { CommandFailure, EXIT_LOCAL, type Command } from './command.js';
import type { Env } from './client-config.js';
import { runServerCommand } from './commands/server.js';
import { versionText } from './commands/version.js';
import { FlagError } from './flags.js';
import { columns, wrapText } from './format.js';
import { COMMANDS, COMMON_COMMANDS, GROUPS, SERVER_SYNOPSIS } from './registry.js';
import { processUi, type Ui } from './ui.js';

export const EXIT_NO_COMMAND = 127;

const HELP_FLAGS = new Set(['-h', '-help', '--help']);
const VERSION_FLAGS = new Set(['-v', '-version', '--version']);
const MAX_COMMAND_WORDS = 3;

export interface CliDeps {
  readonly ui: Ui;
  readonly env: Env;
}

export async function run(argv: string[]): Promise<number> {
  return runWith(argv, { ui: processUi(), env: process.env });
}

/** The CLI with its terminal and environment injected (tests drive it in-process). */
export async function runWith(argv: readonly string[], deps: CliDeps): Promise<number> {
  try {
    return await dispatch(argv, deps);
  } catch (err) {
    if (err instanceof CommandFailure) {
      deps.ui.err(err.message);
      return err.exitCode;
    }
    if (err instanceof FlagError) {
      deps.ui.err(err.message);
      return EXIT_LOCAL;
    }
    deps.ui.err(`Error: ${err instanceof Error ? err.message : String(err)}`);
    return EXIT_LOCAL;
  }
}

function wantsHelp(args: readonly string[]): boolean {
  for (const a of args) {
    if (a === '--') return false;
    if (HELP_FLAGS.has(a)) return true;
  }
  return false;
}

/** The longest registered command or group name that argv starts with. */
function match(argv: readonly string[]): { name: string; rest: readonly string[] } | undefined {
  for (let n = Math.min(MAX_COMMAND_WORDS, argv.length); n > 0; n--) {
    const name = argv.slice(0, n).join(' ');
    if (COMMANDS.has(name) || GROUPS.has(name)) return { name, rest: argv.slice(n) };
  }
  return undefined;
}

async function dispatch(argv: readonly string[], deps: CliDeps): Promise<number> {
  const { ui } = deps;
  const first = argv[0];
  if (first === undefined) {
    ui.err(topHelp());
    return EXIT_NO_COMMAND;
  }
  if (VERSION_FLAGS.has(first)) {
    ui.out(versionText());
    return 0;
  }
  if (HELP_FLAGS.has(first)) {
    ui.out(topHelp());
    return 0;
  }
  if (first === 'server') return runServerCommand(argv.slice(1), ui);

  const found = match(argv);
  if (found === undefined) {
    ui.err(topHelp());
    return EXIT_NO_COMMAND;
  }
  const command = COMMANDS.get(found.name);
  if (command === undefined) {
    // A group: it only lists its subcommands. Vault exits 1 when none was chosen.
    const help = groupHelp(found.name);
    if (wantsHelp(found.rest)) {
      ui.out(help);
      return 0;
    }
    ui.err(help);
    return EXIT_LOCAL;
  }
  if (wantsHelp(found.rest)) {
    ui.out(commandHelp(command));
    return 0;
  }
  const flags = command.flags().parse(found.rest);
  return command.run({ name: found.name, flags, args: flags.args, ui, env: deps.env });
}

export function commandHelp(command: Command): string {
  const flags = command.flags().help();
  return flags === '' ? command.help : `${command.help}\n\n${flags}`;
}

function listing(entries: readonly (readonly [string, string])[]): string {
  return columns(entries.map(([name, synopsis]) => [`    ${name}`, synopsis]));
}

export function topHelp(): string {
  const top = new Map<string, string>();
  for (const [name, cmd] of COMMANDS) if (!name.includes(' ')) top.set(name, cmd.synopsis);
  for (const [name, group] of GROUPS) if (!name.includes(' ')) top.set(name, group.synopsis);
  top.set('server', SERVER_SYNOPSIS);
  const common = COMMON_COMMANDS.map((n) => [n, top.get(n) ?? ''] as const);
  const other = [...top.keys()]
    .filter((n) => !COMMON_COMMANDS.includes(n))
    .sort()
    .map((n) => [n, top.get(n)!] as const);
  return ['Usage: arca <command> [args]', '', 'Common commands:', listing(common), '', 'Other commands:', listing(other)].join('\n');
}

export function groupHelp(group: string): string {
  const info = GROUPS.get(group);
  const prefix = `${group} `;
  const subs = new Map<string, string>();
  for (const [name, cmd] of COMMANDS) {
    if (!name.startsWith(prefix)) continue;
    const rest = name.slice(prefix.length);
    const word = rest.split(' ')[0]!;
    if (rest === word) subs.set(word, cmd.synopsis);
    else if (!subs.has(word)) subs.set(word, GROUPS.get(prefix + word)?.synopsis ?? '');
  }
  const entries = [...subs.entries()].sort(([a], [b]) => a.localeCompare(b));
  const description = wrapText(info?.description ?? '', 76).map((l) => `  ${l}`);
  return [`Usage: arca ${group} <subcommand> [options] [args]`, '', ...description, '', 'Subcommands:', listing(entries)].join('\n');
}
