/**
 * sys/ endpoints of the seal lifecycle: init, unseal, seal, seal-status, health, leader,
 * ha-status, key-status, rotate, generate-root, rekey, step-down. Field names and status codes follow
 * Vault. The HA answers (leader, ha-status, standby health) come from src/ha/.
 */
import { BadRequestError } from '../errors.js';
import { definePath, type PathDef } from '../framework/index.js';
import type { Response } from '../logical/request.js';
import type { Core } from '../core/core.js';
import { DEFAULT_MAX_OPERATIONS, MIN_MAX_OPERATIONS } from '../core/barrier-rotation.js';
import { VERSION } from '../version.js';
import { haStatusResponse, leaderBody } from '../ha/status.js';

/** Unseal keys and generate-root shares arrive as hex or base64, as Vault accepts them. */
export function decodeKeyShare(input: string): Buffer {
  const s = input.trim();
  if (s !== '' && /^[0-9a-fA-F]+$/.test(s) && s.length % 2 === 0) return Buffer.from(s, 'hex');
  if (s !== '' && /^[A-Za-z0-9+/]+={0,2}$/.test(s)) {
    const b = Buffer.from(s, 'base64');
    if (b.length > 0) return b;
  }
  throw new BadRequestError("'key' must be a valid hex or base64 string");
}

/** The `key` of a share-taking endpoint (generate-root, rekey), decoded; Vault's message when absent. */
function shareFrom(f: { get(name: 'key'): string }): Buffer {
  const key = f.get('key');
  if (key === '') throw new BadRequestError("'key' must be specified in request body as JSON");
  return decodeKeyShare(key);
}

async function sealStatus(core: Core): Promise<Record<string, unknown>> {
  const s = await core.seal.status();
  const cluster = core.clusterInfo;
  const out: Record<string, unknown> = {
    type: 'shamir',
    initialized: s.initialized,
    sealed: s.sealed,
    t: s.t,
    n: s.n,
    progress: s.progress,
    nonce: s.nonce,
    version: VERSION,
    build_date: '',
    migration: false,
    recovery_seal: false,
    storage_type: core.storageType,
  };
  if (!s.sealed && cluster !== undefined) {
    out['cluster_name'] = cluster.name;
    out['cluster_id'] = cluster.id;
  }
  return out;
}

function intParam(v: unknown, name: string, fallback: number): number {
  if (v === undefined || v === '') return fallback;
  const n = typeof v === 'number' ? v : Number(String(v));
  if (!Number.isInteger(n) || n < 100 || n > 999) throw new BadRequestError(`invalid status code for ${name}: ${String(v)}`);
  return n;
}

function boolParam(v: unknown): boolean {
  if (v === undefined) return false;
  const s = String(v).toLowerCase();
  // Vault treats a bare "?standbyok" as true.
  return s === '' || s === 'true' || s === '1' || s === 't';
}

export async function healthResponse(core: Core, q: Record<string, unknown>): Promise<Response> {
  const s = await core.seal.status();
  let status: number;
  if (!s.initialized) status = intParam(q['uninitcode'], 'uninitcode', 501);
  else if (s.sealed) status = intParam(q['sealedcode'], 'sealedcode', 503);
  else status = intParam(q['activecode'], 'activecode', 200);
  // An unsealed HA node that is not (yet) active is a standby; one serving reads is a performance standby.
  const view = s.initialized && !s.sealed ? core.ha?.view() : undefined;
  const standby = view !== undefined && view.role !== 'active';
  const perfStandby = standby && view.performanceStandby === true;
  const standbyOk = boolParam(q['standbyok']);
  const standbyCode = intParam(q['standbycode'], 'standbycode', 429);
  const perfStandbyOk = boolParam(q['perfstandbyok']);
  const perfStandbyCode = intParam(q['performancestandbycode'], 'performancestandbycode', 473);
  intParam(q['drsecondarycode'], 'drsecondarycode', 472);
  // As Vault: standbyok does not apply to a performance standby; perfstandbyok does.
  if (perfStandby) {
    if (!perfStandbyOk) status = perfStandbyCode;
  } else if (standby && !standbyOk) status = standbyCode;
  const body: Record<string, unknown> = {
    initialized: s.initialized,
    sealed: s.sealed,
    standby,
    performance_standby: perfStandby,
    replication_performance_mode: core.replication.persisted.mode,
    replication_dr_mode: 'disabled',
    server_time_utc: Math.floor(core.clock.now() / 1000),
    version: VERSION,
    enterprise: false,
    echo_duration_ms: 0,
    clock_skew_ms: 0,
    replication_primary_canary_age_ms: 0,
  };
  const cluster = core.clusterInfo;
  if (s.initialized && !s.sealed && cluster !== undefined) {
    body['cluster_name'] = cluster.name;
    body['cluster_id'] = cluster.id;
  }
  return { raw: { status, body } };
}

export function sealPaths(core: Core): PathDef[] {
  return [
    definePath({
      pattern: 'init',
      fields: {
        secret_shares: { type: 'int', description: 'Number of key shares to split the unseal key into.' },
        secret_threshold: { type: 'int', description: 'Number of key shares required to unseal.' },
        pgp_keys: { type: 'comma-string-slice', description: 'Not supported: PGP-encrypted shares.' },
        root_token_pgp_key: { type: 'string', description: 'Not supported: PGP-encrypted root token.' },
        stored_shares: { type: 'int', description: 'Must be 0 with the Shamir seal.' },
        recovery_shares: { type: 'int', description: 'Not used with the Shamir seal.' },
        recovery_threshold: { type: 'int', description: 'Not used with the Shamir seal.' },
      },
      operations: {
        read: async () => ({ raw: { status: 200, body: { initialized: (await core.seal.status()).initialized } } }),
        update: async (_req, f) => {
          if (f.get('pgp_keys').length > 0 || f.get('root_token_pgp_key') !== '') {
            throw new BadRequestError('PGP-encrypted keys are not supported by this server');
          }
          if (f.get('stored_shares') > 0) throw new BadRequestError('stored keys are not supported with the Shamir seal');
          const { shares, rootToken } = await core.initialize({
            secretShares: f.get('secret_shares'),
            secretThreshold: f.get('secret_threshold'),
          });
          return {
            raw: {
              status: 200,
              body: {
                keys: shares.map((s) => s.toString('hex')),
                keys_base64: shares.map((s) => s.toString('base64')),
                root_token: rootToken,
              },
            },
          };
        },
      },
      synopsis: 'Initialize a new server.',
      description: 'GET reports whether the server is initialised; PUT creates the unseal key shares and the initial root token.',
    }),
    definePath({
      pattern: 'seal-status',
      fields: {},
      operations: { read: async () => ({ raw: { status: 200, body: await sealStatus(core) } }) },
      synopsis: 'Seal status.',
      description: 'Whether the server is sealed, and the progress of the current unseal attempt.',
    }),
    definePath({
      pattern: 'unseal',
      fields: {
        key: { type: 'string', description: 'One unseal key share, hex or base64.', sensitive: true },
        reset: { type: 'bool', description: 'Discard the shares given so far.' },
        migrate: { type: 'bool', description: 'Seal migration (not supported).' },
      },
      operations: {
        update: async (_req, f) => {
          if (f.get('reset')) {
            await core.seal.resetUnseal();
          } else {
            const key = f.get('key');
            if (key === '') throw new BadRequestError("'key' must be specified in request body as JSON, or 'reset' set to true");
            const status = await core.seal.status();
            if (!status.initialized) throw new BadRequestError('Vault is not initialized');
            if (status.sealed) await core.submitUnsealKey(decodeKeyShare(key));
          }
          return { raw: { status: 200, body: await sealStatus(core) } };
        },
      },
      synopsis: 'Unseal the server with one key share.',
      description: 'Submit key shares one at a time until the threshold is reached.',
    }),
    definePath({
      pattern: 'health',
      fields: {
        standbyok: { type: 'string', description: '' },
        perfstandbyok: { type: 'string', description: '' },
        activecode: { type: 'string', description: '' },
        standbycode: { type: 'string', description: '' },
        drsecondarycode: { type: 'string', description: '' },
        performancestandbycode: { type: 'string', description: '' },
        sealedcode: { type: 'string', description: '' },
        uninitcode: { type: 'string', description: '' },
      },
      operations: { read: async (req) => healthResponse(core, req.data) },
      synopsis: 'Health of the node.',
      description: 'Status code and body describing initialisation, seal and standby state.',
    }),
    definePath({
      pattern: 'seal',
      fields: {},
      operations: {
        update: async () => {
          await core.sealNode();
          return undefined;
        },
      },
      synopsis: 'Seal the server.',
      description: 'Drops all key material from memory; the server must be unsealed again.',
    }),
    definePath({
      pattern: 'leader',
      fields: {},
      operations: { read: async () => ({ raw: { status: 200, body: leaderBody(core.ha?.view()) } }) },
      synopsis: 'The current leader.',
      description: 'High-availability status of this node.',
    }),
    definePath({
      pattern: 'ha-status',
      fields: {},
      operations: { read: async () => haStatusResponse(core) },
      synopsis: 'The nodes of this HA cluster.',
      description: 'The active node and the standbys whose heartbeat is current.',
    }),
    definePath({
      pattern: 'key-status',
      fields: {},
      operations: {
        read: async () => {
          const s = core.barrier.keyStatus();
          return { data: { term: s.term, install_time: s.installTime, encryptions: core.barrierRotation.encryptions() } };
        },
      },
      synopsis: 'Barrier key status.',
      description: 'The active key term, its install time and how many encryptions it did.',
    }),
    definePath({
      pattern: 'rotate',
      fields: {},
      operations: {
        update: async () => {
          await core.barrier.rotate();
          return undefined;
        },
      },
      synopsis: 'Rotate the barrier key.',
      description: 'Adds a new key term; new writes use it, existing data stays readable.',
    }),
    definePath({
      pattern: 'rotate/config',
      fields: {
        max_operations: { type: 'int', description: `Encryptions after which the key is rotated (${MIN_MAX_OPERATIONS} to ${DEFAULT_MAX_OPERATIONS}).` },
        interval: { type: 'duration', description: 'Age of the active key at which it is rotated (at least 24h; 0 = never by age).' },
        enabled: { type: 'bool', description: 'Whether automatic rotations happen (encryptions are counted either way).' },
      },
      operations: {
        read: async () => {
          const c = await core.barrierRotation.config();
          return { data: { max_operations: c.maxOperations, interval: goDuration(c.interval), enabled: c.enabled } };
        },
        update: async (_req, f) => {
          const maxOperations = f.getOk('max_operations');
          const interval = f.getOk('interval');
          const enabled = f.getOk('enabled');
          await core.barrierRotation.setConfig({
            ...(maxOperations !== undefined ? { maxOperations } : {}),
            ...(interval !== undefined ? { interval } : {}),
            ...(enabled !== undefined ? { enabled } : {}),
          });
          return undefined;
        },
      },
      synopsis: 'Automatic rotation of the barrier key.',
      description: 'The key is rotated after max_operations encryptions, or when the active term is interval old, unless enabled is false.',
    }),
    definePath({
      pattern: 'generate-root/attempt',
      fields: {
        otp: { type: 'string', description: 'A 26-character one-time pad; generated when absent.', sensitive: true },
        pgp_key: { type: 'string', description: 'Not supported.' },
      },
      operations: {
        read: async () => ({ raw: { status: 200, body: await core.generateRoot.status() } }),
        update: async (_req, f) => {
          if (f.get('pgp_key') !== '') throw new BadRequestError('PGP-encrypted root tokens are not supported by this server');
          const otp = f.get('otp');
          return { raw: { status: 200, body: await core.generateRoot.start(otp === '' ? undefined : otp) } };
        },
        delete: async () => {
          core.generateRoot.cancel();
          return undefined;
        },
      },
      synopsis: 'Root token generation.',
      description: 'Start, inspect or cancel a root token generation attempt.',
    }),
    definePath({
      pattern: 'generate-root/update',
      fields: {
        key: { type: 'string', description: 'One unseal key share.', sensitive: true },
        nonce: { type: 'string', description: 'The nonce of the attempt.' },
      },
      operations: {
        update: async (_req, f) => {
          return { raw: { status: 200, body: await core.generateRoot.update(shareFrom(f), f.get('nonce')) } };
        },
      },
      synopsis: 'Provide a key share to root token generation.',
      description: 'When the threshold is reached the response carries the encoded root token.',
    }),
    definePath({
      pattern: 'rekey/init',
      fields: {
        secret_shares: { type: 'int', description: 'Number of shares to split the new unseal key into.' },
        secret_threshold: { type: 'int', description: 'Number of the new shares required to unseal.' },
        require_verification: { type: 'bool', description: 'Put the new shares in force only once a threshold of them came back to sys/rekey/verify.' },
        pgp_keys: { type: 'comma-string-slice', description: 'Not supported: PGP-encrypted shares.' },
        backup: { type: 'bool', description: 'Not supported: a stored backup of PGP-encrypted shares.' },
        stored_shares: { type: 'int', description: 'Must be 0 with the Shamir seal.' },
      },
      operations: {
        read: async () => ({ raw: { status: 200, body: await core.rekey.status() } }),
        update: async (_req, f) => {
          if (f.get('pgp_keys').length > 0 || f.get('backup')) throw new BadRequestError('PGP-encrypted keys and their backup are not supported by this server');
          if (f.get('stored_shares') > 0) throw new BadRequestError('stored keys are not supported with the Shamir seal');
          const status = await core.rekey.start({
            secretShares: f.get('secret_shares'),
            secretThreshold: f.get('secret_threshold'),
            requireVerification: f.get('require_verification'),
          });
          return { raw: { status: 200, body: status } };
        },
        delete: async () => {
          core.rekey.cancel();
          return undefined;
        },
      },
      synopsis: 'Rekey the unseal key.',
      description: 'Start, inspect or cancel an operation that replaces the unseal key shares.',
    }),
    definePath({
      pattern: 'rekey/update',
      fields: {
        key: { type: 'string', description: 'One current unseal key share, hex or base64.', sensitive: true },
        nonce: { type: 'string', description: 'The nonce of the rekey operation.' },
      },
      operations: {
        update: async (_req, f) => {
          return { raw: { status: 200, body: await core.rekey.update(shareFrom(f), f.get('nonce')) } };
        },
      },
      synopsis: 'Provide a current key share to the rekey.',
      description: 'When the threshold is reached the response carries the new key shares.',
    }),
    definePath({
      pattern: 'rekey/verify',
      fields: {
        key: { type: 'string', description: 'One of the new unseal key shares, hex or base64.', sensitive: true },
        nonce: { type: 'string', description: 'The nonce of the verification.' },
      },
      operations: {
        read: async () => ({ raw: { status: 200, body: await core.rekey.verifyStatus() } }),
        update: async (_req, f) => {
          return { raw: { status: 200, body: await core.rekey.verify(shareFrom(f), f.get('nonce')) } };
        },
        delete: async () => ({ raw: { status: 200, body: await core.rekey.restartVerification() } }),
      },
      synopsis: 'Verify the new key shares of a rekey.',
      description: 'With require_verification, the new shares take effect once a threshold of them is given here.',
    }),
    definePath({
      pattern: 'step-down',
      fields: {},
      operations: {
        update: async () => {
          core.ha?.stepDown();
          return undefined;
        },
      },
      synopsis: 'Step down from active duty.',
      description: 'The active node gives up the HA lock after this request and stays standby for a while; without HA there is nothing to hand over.',
    }),
  ];
}

/** Seconds as Go prints a time.Duration ("4320h0m0s", "1m30s", "0s"), as Vault answers. */
function goDuration(seconds: number): string {
  if (seconds === 0) return '0s';
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  if (h > 0) return `${h}h${m}m${s}s`;
  if (m > 0) return `${m}m${s}s`;
  return `${s}s`;
}
