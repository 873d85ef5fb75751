/**
 * sys/ endpoints for leases: sys/leases/{lookup,renew,revoke,revoke-prefix,revoke-force,tidy}
 * and the legacy sys/renew, sys/revoke, sys/revoke-prefix, sys/revoke-force.
 */
import { BadRequestError } from '../errors.js';
import { definePath, type PathDef } from '../framework/index.js';
import type { Response } from '../logical/request.js';
import type { Core } from '../core/core.js';
import { renderLease } from '../expiration/lease-entry.js';

const LEASE_ID = { type: 'string', description: 'The lease to act on.' } as const;
const INCREMENT = { type: 'duration', description: 'Requested extension of the lease, in seconds or a duration.' } as const;
const SYNC = { type: 'bool', description: 'Wait for the revocation to finish (always the case here).', default: true } as const;

export function leasePaths(core: Core): PathDef[] {
  const exp = () => core.expiration;

  const renew = async (leaseId: string, increment: number): Promise<Response> => {
    if (leaseId === '') throw new BadRequestError('lease_id must be specified');
    const { entry, warnings } = await exp().renew(leaseId, increment);
    return {
      secret: { leaseId: entry.leaseId, ttl: entry.ttl, renewable: entry.renewable },
      ...(warnings.length > 0 ? { warnings } : {}),
    };
  };
  const revoke = async (leaseId: string): Promise<undefined> => {
    if (leaseId === '') throw new BadRequestError('lease_id must be specified');
    await exp().revoke(leaseId);
    return undefined;
  };
  const prefixOp = (force: boolean) => async (prefix: string): Promise<undefined> => {
    await exp().revokePrefix(prefix, { force });
    return undefined;
  };

  const renewFields = { lease_id: LEASE_ID, url_lease_id: LEASE_ID, increment: INCREMENT };
  const revokeFields = { lease_id: LEASE_ID, url_lease_id: LEASE_ID, sync: SYNC };
  const prefixFields = { prefix: { type: 'string', description: 'Lease id prefix.' }, sync: SYNC } as const;

  const paths: PathDef[] = [
    definePath({
      pattern: 'leases/lookup',
      fields: { lease_id: LEASE_ID },
      operations: {
        update: async (_req, f) => {
          const id = f.get('lease_id');
          if (id === '') throw new BadRequestError('missing param lease_id');
          const entry = await exp().lookup(id);
          if (entry === undefined) throw new BadRequestError('invalid lease');
          return { data: renderLease(entry, core.clock.now()) };
        },
      },
      synopsis: 'Look up a lease.',
      description: 'Returns the issue time, expiry, TTL and renewability of a lease.',
    }),
    definePath({
      pattern: 'leases/lookup/(?<prefix>.*)',
      fields: { prefix: { type: 'string', description: 'Lease id prefix to list under.' } },
      operations: {
        list: async (_req, f) => {
          let prefix = f.get('prefix');
          if (prefix !== '' && !prefix.endsWith('/')) prefix += '/';
          const keys = await exp().list(prefix);
          return keys.length === 0 ? undefined : { data: { keys } };
        },
      },
      synopsis: 'List leases under a prefix.',
      description: 'Lists lease ids (and deeper prefixes) one level below the prefix.',
    }),
  ];

  for (const base of ['leases/renew', 'renew']) {
    paths.push(
      definePath({
        pattern: `${base}(?:/(?<url_lease_id>.+))?`,
        fields: renewFields,
        operations: { update: async (_req, f) => renew(f.get('lease_id') || f.get('url_lease_id'), f.get('increment')) },
        synopsis: 'Renew a lease.',
        description: 'Extends a lease by the increment, within its maximum TTL.',
      }),
    );
  }
  for (const base of ['leases/revoke', 'revoke']) {
    paths.push(
      definePath({
        pattern: `${base}(?:/(?<url_lease_id>.+))?`,
        fields: revokeFields,
        operations: { update: async (_req, f) => revoke(f.get('lease_id') || f.get('url_lease_id')) },
        synopsis: 'Revoke a lease.',
        description: 'Revokes a lease through the backend that issued it.',
      }),
    );
  }
  for (const [base, force] of [
    ['leases/revoke-prefix', false],
    ['revoke-prefix', false],
    ['leases/revoke-force', true],
    ['revoke-force', true],
  ] as const) {
    paths.push(
      definePath({
        pattern: `${base}/(?<prefix>.+)`,
        fields: prefixFields,
        operations: { update: async (_req, f) => prefixOp(force)(f.get('prefix')) },
        synopsis: force ? 'Forget every lease under a prefix, ignoring backend errors.' : 'Revoke every lease under a prefix.',
        description: force
          ? 'Deletes the leases even when their backend cannot revoke them; the credentials may outlive them.'
          : 'Revokes every lease whose id starts with the prefix.',
      }),
    );
  }
  paths.push(
    definePath({
      pattern: 'leases/tidy',
      fields: {},
      operations: {
        update: async () => {
          await exp().tidy();
          return { warnings: ['Tidy operation successfully started. Any information from the operation will be printed to Vault\'s server logs.'], statusCode: 202 };
        },
      },
      synopsis: 'Clean up lease bookkeeping.',
      description: 'Revokes leases whose token is gone and drops dangling index entries.',
    }),
  );
  return paths;
}

