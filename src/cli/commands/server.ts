/**
 * `arca server`: runs the server. Its implementation (src/cli/server-command.ts) is owned by
 * the server's module; it parses its own flags, so arguments are passed through untouched.
 * It is imported lazily so every other command starts without loading the whole server.
 */
import type { Ui } from '../ui.js';

interface ServerModule {
  runServer(args: string[]): Promise<number>;
}

// A variable specifier keeps the compiler from requiring the module to exist at build time.
const SERVER_MODULE = '../server-command.js';

export async function runServerCommand(args: string[], ui: Ui): Promise<number> {
  let mod: ServerModule;
  try {
    mod = (await import(SERVER_MODULE)) as ServerModule;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ERR_MODULE_NOT_FOUND' && String((err as Error).message).includes('server-command')) {
      ui.err('The server command is not available in this build (server-command module missing).');
      return 1;
    }
    throw err;
  }
  return mod.runServer(args);
}
