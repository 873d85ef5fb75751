/**
 * A secondary's side of the cluster channel: redeeming an activation token into a verified
 * payload and an mTLS link, the storage writes of an activation (the primary's seal, keyring and
 * the channel box), and the link rebuilt from storage after a restart.
 *
 * The channel credentials are stored as the primary's own barrier ciphertext at
 * `core/replication/channel/<secondary id>`: readable exactly when this node is unsealed with
 * the primary's keys, never kept in plaintext.
 */
import type { Core } from '../core/core.js';
import { BadRequestError } from '../errors.js';
import { BARRIER_CANARY, BARRIER_KEYRING, REPLICATION_CA, REPLICATION_CHANNEL_PREFIX, REPLICATION_PEERS_PREFIX, SEAL_CONFIG, SEAL_ROOT_KEY } from '../storage/keys.js';
import type { BatchOp, Physical } from '../storage/physical.js';
import { decodeActivationToken, loadApiCa, redeemActivationToken, type ActivationPayload } from './activation-token.js';
import { parseCertificate, secondaryUri } from './ca.js';
import { ClusterClient } from './cluster-tls.js';
import { RpcError, type ActivateResponse, type PrimaryLink } from './transport.js';

/** A secondary's channel credentials, as the primary encrypted them. */
export interface ChannelRecord {
  readonly caCert: string;
  readonly clientCert: string;
  readonly clientKey: string;
}

export interface TokenInput {
  readonly token: string;
  readonly primaryApiAddr: string;
  readonly caFile: string;
  readonly caPath: string;
}

export function channelKey(secondaryId: string): string {
  return `${REPLICATION_CHANNEL_PREFIX}${secondaryId}`;
}

/** "https://host:port" or "host:port" -> "host:port" (IPv6 hosts bracketed). */
export function hostPort(addr: string): string {
  const a = addr.trim();
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(a)) return a;
  const u = new URL(a);
  const port = u.port !== '' ? u.port : u.protocol === 'https:' ? '443' : '80';
  return `${u.hostname}:${port}`;
}

/** The host part of an address, without brackets (for certificate SANs). */
export function hostOnly(addr: string): string {
  return hostPort(addr).replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
}

export function validateClusterAddr(addr: string): void {
  let hp: string;
  try {
    hp = hostPort(addr);
  } catch {
    hp = '';
  }
  if (!/^(\[[0-9a-fA-F:.]+\]|[^:/\s[\]]+):\d{1,5}$/.test(hp)) {
    throw new BadRequestError(`invalid primary_cluster_addr "${addr}": expected an address such as "https://10.0.0.1:8201"`);
  }
}

/** Token -> payload (checked at the primary's API) -> a link to its cluster port. Changes nothing. */
export async function redeem(core: Core, input: TokenInput): Promise<{ payload: ActivationPayload; link: ClusterClient }> {
  const decoded = decodeActivationToken(input.token);
  const apiAddr = input.primaryApiAddr !== '' ? input.primaryApiAddr : decoded.addr;
  if (apiAddr === '') throw new BadRequestError('the activation token names no primary API address; set primary_api_addr');
  const payload = await redeemActivationToken(apiAddr, decoded.token, await loadApiCa(input.caFile, input.caPath));
  const caCert = parseCertificate(payload.ca_cert);
  const clientCert = parseCertificate(payload.client_cert);
  if (caCert === undefined || clientCert === undefined || !clientCert.checkIssued(caCert) || !(clientCert.subjectAltName ?? '').includes(secondaryUri(payload.cluster_id, payload.secondary_id))) {
    throw new BadRequestError('invalid secondary activation token: its certificates do not match');
  }
  if (payload.channel_key !== channelKey(payload.secondary_id)) throw new BadRequestError('invalid secondary activation token: malformed channel credentials');
  validateClusterAddr(payload.primary_cluster_addr);
  const link = new ClusterClient({
    address: hostPort(payload.primary_cluster_addr),
    caPem: payload.ca_cert,
    client: { certPem: payload.client_cert, keyPem: payload.client_key },
    clusterId: payload.cluster_id,
    clock: core.clock,
  });
  return { payload, link };
}

async function listed(inner: Physical, prefix: string): Promise<string[]> {
  return (await inner.list(prefix)).map((name) => prefix + name);
}

/** Ops removing every channel key this node holds (other primaries' credentials, or a former primary's CA). */
export async function staleChannelOps(inner: Physical, withPrimaryMaterial: boolean): Promise<BatchOp[]> {
  const keys = await listed(inner, REPLICATION_CHANNEL_PREFIX);
  if (withPrimaryMaterial) keys.push(...(await listed(inner, REPLICATION_PEERS_PREFIX)), REPLICATION_CA);
  return keys.map((key) => ({ type: 'delete' as const, key }));
}

/** The writes of an activation, after the wipe: the primary's seal and keyring, and the channel box. */
export function adoptionOps(adopted: ActivateResponse, payload: ActivationPayload): BatchOp[] {
  return [
    { type: 'put', key: SEAL_CONFIG, value: Buffer.from(adopted.sealConfig, 'utf8') },
    { type: 'put', key: SEAL_ROOT_KEY, value: Buffer.from(adopted.sealRootKey, 'base64') },
    { type: 'put', key: BARRIER_KEYRING, value: Buffer.from(adopted.keyring, 'base64') },
    { type: 'put', key: BARRIER_CANARY, value: Buffer.from(adopted.canary, 'base64') },
    channelBoxOp(payload),
  ];
}

export function channelBoxOp(payload: ActivationPayload): BatchOp {
  return { type: 'put', key: payload.channel_key, value: Buffer.from(payload.channel_box, 'base64') };
}

/** After unseal on a secondary: the link from the stored channel credentials. */
export async function linkFromStorage(core: Core): Promise<PrimaryLink> {
  const s = core.replication.persisted;
  const raw = s.secondaryId === '' ? undefined : await core.barrier.get(channelKey(s.secondaryId));
  if (raw === undefined || s.primaryClusterAddr === '') return deadLink('this secondary has no channel credentials; run update-primary with a new activation token');
  const rec = JSON.parse(raw.toString('utf8')) as ChannelRecord;
  return new ClusterClient({
    address: hostPort(s.primaryClusterAddr),
    caPem: rec.caCert,
    client: { certPem: rec.clientCert, keyPem: rec.clientKey },
    clusterId: s.clusterId,
    clock: core.clock,
  });
}

/** A link that refuses every call: the client keeps retrying with backoff, and status shows it. */
function deadLink(reason: string): PrimaryLink {
  return {
    call: () => Promise.reject(new RpcError('unavailable', reason)),
    close: () => undefined,
  };
}
