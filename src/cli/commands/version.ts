/** `arca version`: the CLI's own version, as "Arca v<version>" (Vault prints "Vault v..."). */
import { expectArgs, type Command } from '../command.js';
import { FlagSet } from '../flags.js';
import { VERSION } from '../../version.js';

export function versionText(): string {
  return `Arca v${VERSION}`;
}

export const versionCommand: Command = {
  synopsis: 'Prints the Arca CLI version',
  help: `Usage: arca version

  Prints the version of this Arca CLI. This does not print the target server
  version; use "arca status" for that.

      $ arca version`,
  flags: () => new FlagSet(),
  async run(inv) {
    expectArgs(inv, 0);
    inv.ui.out(versionText());
    return 0;
  },
};
