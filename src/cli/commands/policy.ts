/**
 * `arca policy write|read|list|delete|fmt` and the `policies` alias: ACL policies through
 * sys/policies/acl, with Vault's messages. Vault's policy commands report every failure,
 * local ones included (an unreadable file, a policy that does not parse), with exit code 2.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PolicyParseError } from '../../policy/index.js';
import { asSecret, sysData, toApiError } from '../client.js';
import { homeDirectory } from '../client-config.js';
import { CommandFailure, EXIT_OK, EXIT_REMOTE, baseFlags, clientFor, expectArgs, outputFormat, remote, type Command, type Invocation } from '../command.js';
import { formatStructured, formatValue } from '../format.js';
import { PolicyFormatError, formatPolicyText } from '../policy-format.js';

/** Policy names are case-insensitive; Vault's CLI lower-cases them. */
function policyName(raw: string): string {
  return raw.trim().toLowerCase();
}

/** "~/x" as the user's home, as Vault expands it. */
function expandHome(inv: Invocation, path: string): string {
  return path === '~' || path.startsWith('~/') ? join(homeDirectory(inv.env), path.slice(1)) : path;
}

function failure(message: string): CommandFailure {
  return new CommandFailure(message, EXIT_REMOTE);
}

export const policyWriteCommand: Command = {
  synopsis: 'Uploads a named policy from a file',
  help: `Usage: arca policy write [options] NAME PATH

  Uploads a policy with name NAME from the contents of a local file PATH or
  stdin. If PATH is "-", the policy is read from stdin. Otherwise, it is
  loaded from the file at the given path on the local disk.

  Upload a policy named "my-policy" from "/tmp/policy.hcl" on the local disk:

      $ arca policy write my-policy /tmp/policy.hcl

  Upload a policy from stdin:

      $ cat my-policy.hcl | arca policy write my-policy -`,
  flags: () => baseFlags(),
  async run(inv) {
    expectArgs(inv, 2);
    const name = policyName(inv.args[0]!);
    const source = inv.args[1]!.trim();
    let rules: string;
    if (source === '-') {
      try {
        rules = await inv.ui.readStdin();
      } catch (err) {
        throw failure(`Error reading policy: ${(err as Error).message}`);
      }
    } else {
      try {
        rules = await readFile(expandHome(inv, source), 'utf8');
      } catch (err) {
        throw failure(`Error opening policy file: ${(err as Error).message}`);
      }
    }
    const client = clientFor(inv);
    await remote('Error uploading policy', () => client.call('PUT', `sys/policies/acl/${name}`, { body: { policy: rules } }));
    inv.ui.out(`Success! Uploaded policy: ${name}`);
    return EXIT_OK;
  },
};

export const policyReadCommand: Command = {
  synopsis: 'Prints the contents of a policy',
  help: `Usage: arca policy read [options] [NAME]

  Prints the contents and metadata of the policy named NAME. If the policy
  does not exist, an error is returned.

  Read the policy named "my-policy":

      $ arca policy read my-policy`,
  flags: () => baseFlags('format'),
  async run(inv) {
    expectArgs(inv, 1);
    const format = outputFormat(inv);
    const name = policyName(inv.args[0]!);
    const client = clientFor(inv);
    const res = await remote(`Error reading policy named ${name}`, () => client.send('GET', `sys/policies/acl/${name}`));
    let rules = '';
    // A 404 is "no such policy", as the Go client's GetPolicy reports it.
    if (res.status !== 404) {
      if (res.status < 200 || res.status >= 300) throw failure(`Error reading policy named ${name}: ${toApiError(res).message}`);
      const data = sysData(res);
      rules = typeof data['policy'] === 'string' ? data['policy'] : typeof data['rules'] === 'string' ? data['rules'] : '';
    }
    if (rules === '') throw failure(`No policy named: ${name}`);
    if (format !== 'table') {
      inv.ui.out(formatStructured(format, { policy: rules }));
      return EXIT_OK;
    }
    inv.ui.out(rules.trim());
    return EXIT_OK;
  },
};

async function listPolicies(inv: Invocation): Promise<number> {
  expectArgs(inv, 0);
  const format = outputFormat(inv);
  const client = clientFor(inv);
  const res = await remote('Error listing policies', () => client.call('LIST', 'sys/policies/acl'));
  const keys = asSecret(res.body)?.data?.['keys'];
  const names = Array.isArray(keys) ? keys.map((k) => formatValue(k)) : [];
  if (format !== 'table') {
    inv.ui.out(formatStructured(format, names));
    return EXIT_OK;
  }
  for (const name of names) inv.ui.out(name);
  return EXIT_OK;
}

export const policyListCommand: Command = {
  synopsis: 'Lists the installed policies',
  help: `Usage: arca policy list [options]

  Lists the names of the policies that are installed on the server.

  List the available policies:

      $ arca policy list`,
  flags: () => baseFlags('format'),
  run: listPolicies,
};

/** Vault's older spelling: `policies` lists, `policies NAME` reads. */
export const policiesCommand: Command = {
  synopsis: 'Lists the installed policies (alias of "policy list")',
  help: `Usage: arca policies [options] [NAME]

  Lists the installed policies, or prints the policy NAME. This is the older
  spelling of "arca policy list" and "arca policy read".`,
  flags: () => baseFlags('format'),
  run: (inv) => (inv.args.length > 0 ? policyReadCommand.run(inv) : listPolicies(inv)),
};

export const policyDeleteCommand: Command = {
  synopsis: 'Deletes a policy by name',
  help: `Usage: arca policy delete [options] NAME

  Deletes the policy named NAME in the server. Once the policy is deleted, all
  tokens associated with the policy are affected immediately.

  Delete the policy named "my-policy":

      $ arca policy delete my-policy

  Note that it is not possible to delete the "default" or "root" policies.
  These are built-in policies.`,
  flags: () => baseFlags(),
  async run(inv) {
    expectArgs(inv, 1);
    const name = policyName(inv.args[0]!);
    const client = clientFor(inv);
    await remote(`Error deleting ${name}`, () => client.call('DELETE', `sys/policies/acl/${name}`));
    inv.ui.out(`Success! Deleted policy: ${name}`);
    return EXIT_OK;
  },
};

export const policyFmtCommand: Command = {
  synopsis: 'Formats a policy on disk',
  help: `Usage: arca policy fmt [options] PATH

  Formats a local policy file to the policy specification. This command will
  overwrite the file at the given PATH with the properly-formatted policy file
  contents. A file that is not a valid policy is left untouched and the parse
  error is printed.

  Format the local file "my-policy.hcl" as a policy file:

      $ arca policy fmt my-policy.hcl`,
  flags: () => baseFlags(),
  async run(inv) {
    expectArgs(inv, 1);
    const path = expandHome(inv, inv.args[0]!.trim());
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (err) {
      throw failure(`Error opening policy file: ${(err as Error).message}`);
    }
    let formatted: string;
    try {
      formatted = formatPolicyText(text);
    } catch (err) {
      if (err instanceof PolicyParseError) throw failure(err.message);
      if (err instanceof PolicyFormatError) throw failure(`Error printing result: ${err.message}`);
      throw err;
    }
    try {
      await writeFile(path, formatted, 'utf8');
    } catch (err) {
      throw failure(`Error writing result: ${(err as Error).message}`);
    }
    inv.ui.out(`Success! Formatted policy: ${path}`);
    return EXIT_OK;
  },
};
