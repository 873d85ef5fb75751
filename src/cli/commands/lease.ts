/**
 * `arca lease lookup|renew|revoke`: the expiration manager's API (sys/leases/...), with Vault's
 * flags, messages and output.
 */
import { COMMAND_SECTION, EXIT_OK, baseFlags, clientFor, expectArgs, outputField, outputFormat, remote, usageFailure, type Command } from '../command.js';
import { printSecret } from '../secret-output.js';
import { withDefs } from './token.js';

export const leaseLookupCommand: Command = {
  synopsis: 'Lookup the lease of a secret',
  help: `Usage: arca lease lookup ID

  Lookup the lease information of a secret.

  Every secret in Arca has a lease associated with it. Users can look up
  information on the lease by referencing the lease ID.

  Lookup lease of a secret:

      $ arca lease lookup database/creds/readonly/2f6a614c...`,
  flags: () => baseFlags('format+field'),
  async run(inv) {
    expectArgs(inv, 1);
    const client = clientFor(inv);
    const secret = await remote('error looking up lease id', () => client.write('sys/leases/lookup', { lease_id: inv.args[0]!.trim() }));
    if (secret === undefined) throw usageFailure('no lease information returned');
    return printSecret(inv.ui, outputFormat(inv), secret, outputField(inv));
  },
};

export const leaseRenewCommand: Command = {
  synopsis: 'Renew the lease of a secret',
  help: `Usage: arca lease renew [options] ID

  Renews the lease on a secret, extending the time that it can be used before
  it is revoked by Arca.

  Every secret in Arca has a lease associated with it. If the owner of the
  secret wants to use it longer than the lease, then it must be renewed.
  Renewing the lease does not change the contents of the secret. The ID is the
  full path lease ID.

  Renew a secret:

      $ arca lease renew database/creds/readonly/2f6a614c...

  Lease renewal will fail if the secret is not renewable, the secret has already
  been revoked, or if the secret has already reached its maximum TTL.`,
  flags: () =>
    withDefs(baseFlags('format+field'), [
      {
        name: 'increment',
        kind: 'duration',
        section: COMMAND_SECTION,
        usage: 'Request a specific increment in seconds. Arca is not required to honor this request.',
      },
    ]),
  async run(inv) {
    expectArgs(inv, 1);
    const increment = inv.flags.durationSeconds('increment') ?? 0;
    const client = clientFor(inv);
    const secret = await remote('Error renewing', () => client.write('sys/leases/renew', { lease_id: inv.args[0]!.trim(), increment }));
    if (secret === undefined) return EXIT_OK;
    return printSecret(inv.ui, outputFormat(inv), secret, outputField(inv));
  },
};

export const leaseRevokeCommand: Command = {
  synopsis: 'Revoke a lease and associated secret',
  help: `Usage: arca lease revoke [options] ID

  Revokes secrets by their lease ID. This command can revoke a single secret
  or multiple secrets based on a path-matched prefix.

  Revoke a single lease:

      $ arca lease revoke database/creds/readonly/2f6a614c...

  Revoke all leases for a role:

      $ arca lease revoke -prefix aws/creds/deploy

  Force delete leases from Arca even if secret engine revocation fails:

      $ arca lease revoke -force -prefix consul/creds`,
  flags: () =>
    withDefs(baseFlags(), [
      {
        name: 'force',
        kind: 'bool',
        aliases: ['f'],
        section: COMMAND_SECTION,
        usage:
          'Delete the lease from Arca even if the secret engine revocation fails. This is meant for recovery situations where the secret in the target secret engine was manually removed. If this flag is specified, -prefix is also required.',
      },
      {
        name: 'prefix',
        kind: 'bool',
        section: COMMAND_SECTION,
        usage: 'Treat the ID as a prefix instead of an exact lease ID. This can revoke multiple leases simultaneously.',
      },
      {
        name: 'sync',
        kind: 'bool',
        section: COMMAND_SECTION,
        usage: 'Make the operation synchronous instead of queuing the revocations to be done in the background.',
      },
    ]),
  async run(inv) {
    expectArgs(inv, 1);
    const force = inv.flags.bool('force');
    const prefix = inv.flags.bool('prefix');
    const sync = inv.flags.bool('sync');
    if (force && !prefix) throw usageFailure('Specifying -force requires also specifying -prefix');
    const id = inv.args[0]!.trim().replace(/^\/+/, '');
    const client = clientFor(inv);
    if (force) {
      await remote(`Error force revoking leases with prefix ${id}`, () => client.write(`sys/leases/revoke-force/${id}`, {}));
      inv.ui.out(`Success! Force revoked any leases with prefix: ${id}`);
      return EXIT_OK;
    }
    if (prefix) {
      await remote(`Error revoking leases with prefix ${id}`, () => client.write(`sys/leases/revoke-prefix/${id}`, { sync }));
      inv.ui.out(sync ? `Success! Revoked any leases with prefix: ${id}` : 'All revocation operations queued successfully!');
      return EXIT_OK;
    }
    await remote(`Error revoking lease ${id}`, () => client.write('sys/leases/revoke', { lease_id: id, sync }));
    inv.ui.out(sync ? `Success! Revoked lease: ${id}` : 'All revocation operations queued successfully!');
    return EXIT_OK;
  },
};
