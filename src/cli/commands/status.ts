/**
 * `arca status`: seal and HA status. Its exit code is the seal state, as Vault's:
 * 0 unsealed, 2 sealed, 1 error (including an unreachable server).
 */
import { sysData, type ApiClient } from '../client.js';
import { CommandFailure, EXIT_LOCAL, EXIT_OK, baseFlags, clientFor, expectArgs, outputFormat, remote, type Command } from '../command.js';
import { printSealStatus, readLeader, type Fields } from './seal-status.js';

const EXIT_SEALED = 2;

export const statusCommand: Command = {
  synopsis: 'Print seal and HA status',
  help: `Usage: arca status [options]

  Prints the current state of the server including whether it is sealed and if
  HA mode is enabled. This command prints regardless of whether it is sealed.

  The exit code reflects the seal status:

      - 0 - unsealed
      - 1 - error
      - 2 - sealed`,
  flags: () => baseFlags('format'),
  async run(inv) {
    expectArgs(inv, 0);
    const format = outputFormat(inv);
    let client: ApiClient;
    let seal: Fields;
    try {
      client = clientFor(inv);
      seal = sysData(await remote('Error checking seal status', () => client.call('GET', 'sys/seal-status')));
    } catch (err) {
      // status reports every failure as 1 so that 2 can mean "sealed".
      if (err instanceof CommandFailure) throw new CommandFailure(err.message, EXIT_LOCAL);
      throw err;
    }
    const leader = seal['sealed'] === true ? undefined : await readLeader(client);
    printSealStatus(inv.ui, format, seal, leader);
    return seal['sealed'] === true ? EXIT_SEALED : EXIT_OK;
  },
};
