/**
 * sys/replication/*: Vault's performance replication endpoints (paths, fields, response shapes).
 * Handlers validate input and call the activation service (src/replication/activation.ts); the
 * mode checks and every state change live there. Status endpoints are unauthenticated (see
 * sys-backend.ts); secondary-token and reindex need sudo (root-paths.ts).
 */
import { BadRequestError, NotFoundError } from '../errors.js';
import { definePath, genericName, type PathDef } from '../framework/index.js';
import type { Response } from '../logical/request.js';
import type { Core } from '../core/core.js';
import { activationFor, DEFAULT_TOKEN_TTL } from '../replication/activation.js';
import { parsePathsFilter } from '../replication/paths-filter.js';
import type { ReplicationStatus } from '../replication/status.js';

const PERF = 'replication/performance';

/** The performance status object, with what only the activation layer knows filled in. */
export function performanceStatus(core: Core): ReplicationStatus {
  const status = core.replication.status();
  if (status.mode === 'primary' && status.primary_cluster_addr === '') {
    return { ...status, primary_cluster_addr: activationFor(core).effectiveClusterAddr() };
  }
  return status;
}

const tokenFields = {
  token: { type: 'string', description: 'The secondary activation token fetched from the primary.', sensitive: true },
  primary_api_addr: { type: 'string', description: "The primary's API address, overriding the one in the token." },
  ca_file: { type: 'string', description: "PEM file of CAs to verify the primary's API with (default: system roots)." },
  ca_path: { type: 'string', description: "Directory of PEM CA files to verify the primary's API with." },
} as const;

const done = (warnings?: string[]): Response | undefined => (warnings === undefined ? undefined : { warnings });

export function replicationPaths(core: Core): PathDef[] {
  const act = () => activationFor(core);
  return [
    definePath({
      pattern: 'replication/status',
      fields: {},
      operations: { read: async () => ({ data: { dr: { mode: 'disabled' }, performance: { ...performanceStatus(core) } } }) },
      synopsis: 'Status of every replication kind.',
      description: 'Performance replication status under "performance"; disaster recovery replication is not offered ("dr" is always disabled).',
    }),
    definePath({
      pattern: `${PERF}/status`,
      fields: {},
      operations: { read: async () => ({ data: { ...performanceStatus(core) } }) },
      synopsis: 'Performance replication status.',
      description: 'Mode, state, WAL positions, Merkle root, and the secondaries (primary) or the primary (secondary) with lag.',
    }),
    definePath({
      pattern: `${PERF}/primary/enable`,
      fields: {
        primary_cluster_addr: { type: 'string', description: "The cluster address secondaries dial; default: cluster_addr, else this node's cluster port." },
      },
      operations: {
        update: async (_req, f) => {
          await act().enablePrimary(f.get('primary_cluster_addr').trim());
          return done(['This cluster is now a performance primary. Generate an activation token for each secondary with performance/primary/secondary-token.']);
        },
      },
      synopsis: 'Enable performance replication as a primary.',
      description: 'Creates the cluster id and the replication CA, starts the write-ahead log, and serves secondaries on the cluster port.',
    }),
    definePath({
      pattern: `${PERF}/primary/secondary-token`,
      fields: {
        id: { type: 'string', description: 'An opaque, unique identifier of the secondary, e.g. "us-east".' },
        ttl: { type: 'duration', description: 'TTL of the activation token.', default: DEFAULT_TOKEN_TTL },
        secondary_public_key: { type: 'string', description: 'Not supported: activation tokens are response-wrapped.' },
      },
      operations: {
        update: async (req, f) => {
          if (f.get('secondary_public_key') !== '') throw new BadRequestError('secondary_public_key is not supported: the activation token is response-wrapped');
          const wrapInfo = await act().secondaryToken(req, f.get('id').trim(), f.get('ttl'));
          return { wrapInfo };
        },
      },
      synopsis: 'Generate a secondary activation token.',
      description: 'Returns, as wrap_info, a single-use activation token for the secondary "id", valid for "ttl" (30m by default).',
    }),
    definePath({
      pattern: `${PERF}/primary/revoke-secondary`,
      fields: { id: { type: 'string', description: 'The identifier of the secondary.' } },
      operations: {
        update: async (_req, f) => {
          await act().revokeSecondary(f.get('id').trim());
          return undefined;
        },
      },
      synopsis: "Revoke a secondary's access.",
      description: 'The secondary is disconnected at once and refused from then on; a new activation token is needed to bring it back.',
    }),
    definePath({
      pattern: `${PERF}/primary/paths-filter/${genericName('id')}`,
      fields: {
        id: { type: 'string', description: 'The identifier of the secondary.' },
        mode: { type: 'string', description: 'allow or deny.', default: 'allow' },
        paths: { type: 'comma-string-slice', description: 'Mount paths to allow or deny, e.g. ["secret/", "auth/userpass/"].' },
      },
      operations: {
        read: async (_req, f) => {
          const filter = await act().readFilter(f.get('id'));
          if (filter === undefined) throw new NotFoundError();
          return { data: { mode: filter.mode, paths: [...filter.paths] } };
        },
        update: async (_req, f) => {
          await act().writeFilter(f.get('id'), parsePathsFilter(f.get('mode'), f.get('paths')));
          return undefined;
        },
        delete: async (_req, f) => {
          await act().writeFilter(f.get('id'), undefined);
          return undefined;
        },
      },
      synopsis: 'Paths filter of a secondary.',
      description: "Which mounts' data is replicated to the secondary: allow mode sends only the listed mounts, deny mode all but them.",
    }),
    definePath({
      pattern: `${PERF}/primary/demote`,
      fields: {},
      operations: {
        update: async () => {
          await act().demote();
          return done(['This cluster is demoted: it accepts no more replicated writes. Point it at the new primary with performance/secondary/update-primary.']);
        },
      },
      synopsis: 'Demote the primary.',
      description: 'The cluster keeps its data and cluster id, stops accepting replicated writes and stops serving secondaries.',
    }),
    definePath({
      pattern: `${PERF}/primary/disable`,
      fields: {},
      operations: {
        update: async () => {
          await act().disablePrimary();
          return undefined;
        },
      },
      synopsis: 'Disable performance replication on the primary.',
      description: 'Secondaries can no longer connect; the replication CA and the write-ahead log are deleted.',
    }),
    definePath({
      pattern: `${PERF}/secondary/enable`,
      fields: tokenFields,
      operations: {
        update: async (_req, f) => {
          await act().enableSecondary({ token: f.get('token'), primaryApiAddr: f.get('primary_api_addr').trim(), caFile: f.get('ca_file').trim(), caPath: f.get('ca_path').trim() });
          return done([
            "This cluster is now a performance secondary: its data was replaced by the primary's and it has been sealed. Unseal it with the primary's unseal keys; generate a root token for it with the primary's keys (operator generate-root).",
          ]);
        },
      },
      synopsis: 'Enable performance replication as a secondary.',
      description: "Redeems an activation token, wipes this cluster's data, adopts the primary's keyring and unseal keys, and follows the primary.",
    }),
    definePath({
      pattern: `${PERF}/secondary/promote`,
      fields: {
        primary_cluster_addr: { type: 'string', description: 'The cluster address secondaries dial after the promotion.' },
        force: { type: 'bool', description: 'Promote even while the current primary is still reachable.' },
      },
      operations: {
        update: async (_req, f) => {
          await act().promote({ primaryClusterAddr: f.get('primary_cluster_addr').trim(), force: f.get('force') });
          return done(['This cluster is now the performance primary. Issue new activation tokens to the other secondaries and run update-primary there.']);
        },
      },
      synopsis: 'Promote the secondary to primary.',
      description: 'The secondary becomes the primary of the replication set with a new replication CA.',
    }),
    definePath({
      pattern: `${PERF}/secondary/update-primary`,
      fields: tokenFields,
      operations: {
        update: async (_req, f) => {
          await act().updatePrimary({ token: f.get('token'), primaryApiAddr: f.get('primary_api_addr').trim(), caFile: f.get('ca_file').trim(), caPath: f.get('ca_path').trim() });
          return undefined;
        },
      },
      synopsis: "Change the secondary's primary.",
      description: 'Follows the primary named by a new activation token of the same replication set, without wiping data. An empty token stops following.',
    }),
    definePath({
      pattern: `${PERF}/secondary/disable`,
      fields: {},
      operations: {
        update: async () => {
          await act().disableSecondary();
          return undefined;
        },
      },
      synopsis: 'Disable performance replication on the secondary.',
      description: 'The cluster stops following its primary; its data stays.',
    }),
    definePath({
      pattern: 'replication/reindex',
      fields: {
        diff: { type: 'bool', description: 'Accepted for compatibility.' },
        force: { type: 'bool', description: 'Accepted for compatibility.' },
        skip_flush: { type: 'bool', description: 'Accepted for compatibility.' },
      },
      operations: {
        update: async () => {
          await core.replication.reindex();
          const s = core.replication.persisted;
          return { data: { merkle_root: core.replication.merkleRoot(), last_reindex_epoch: String(s.reindexEpoch) }, warnings: ['The Merkle index was rebuilt from storage.'] };
        },
      },
      synopsis: 'Rebuild the replication index.',
      description: 'Rebuilds the Merkle tree over the replicated keyspace from storage.',
    }),
    definePath({
      pattern: 'replication/merkle-check',
      fields: {},
      operations: {
        update: async () => {
          return { data: { merkle_corruption_report: await act().merkleCheck() } };
        },
      },
      synopsis: 'Check the replication index for corruption.',
      description: 'Compares the live Merkle tree with one rebuilt from storage.',
    }),
    definePath({
      pattern: 'replication/recover',
      fields: {},
      operations: {
        update: async () => {
          const m = core.replication;
          if (m.persisted.mode !== 'secondary') throw new BadRequestError(`this cluster is not a performance secondary (mode: ${m.persisted.mode})`);
          m.requestMerkleSync();
          return done(['A Merkle catch-up with the primary was requested.']);
        },
      },
      synopsis: 'Attempt recovery of replication.',
      description: 'On a secondary, restarts synchronisation with a Merkle catch-up.',
    }),
  ];
}
