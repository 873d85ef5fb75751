/**
 * The `listener "tcp" { ... }` stanza. Strict: every key must be one we implement, so a
 * typo (`adress`) or a Vault feature Arca lacks (proxy protocol, cipher suite lists, client
 * certificates passed in a header) stops
 * the server instead of silently listening somewhere or somehow else.
 */
import { isIPv4, isIPv6 } from 'node:net';
import {
  asBool,
  asEnum,
  asInt,
  asNonNegativeInt,
  asNonEmptyString,
  decodeField,
  fail,
  type Decode,
  type FieldTable,
  type Scope,
  type SourcedFields,
} from './config-decode.js';
import type { HclBlock } from './hcl.js';
import type { ForwardedForPolicy } from '../http/forwarded-for.js';
import { CidrError, parseCidrList } from '../util/cidr.js';
import {
  DEFAULT_LISTENER_ADDRESS,
  DEFAULT_MAX_REQUEST_SIZE,
  DEFAULT_TLS_MIN_VERSION,
  type ListenerConfig,
  type TlsVersion,
} from './server-config-types.js';

interface ListenerFields {
  readonly address: string;
  readonly clusterAddress: string;
  readonly tlsDisable: boolean;
  readonly tlsCertFile: string;
  readonly tlsKeyFile: string;
  readonly tlsClientCaFile: string;
  readonly tlsMinVersion: TlsVersion;
  readonly tlsRequireAndVerifyClientCert: boolean;
  readonly maxRequestSize: number;
  readonly xffAuthorizedAddrs: readonly string[];
  readonly xffHopSkips: number;
  readonly xffRejectNotAuthorized: boolean;
  readonly xffRejectNotPresent: boolean;
}

/** CIDR blocks as a comma-separated string or a list of strings (Vault takes both). */
const asCidrList: Decode<readonly string[]> = (scope, item) => {
  const v = item.value;
  let parts: string[];
  if (v.kind === 'string') parts = v.value.split(',');
  else if (v.kind === 'list' && v.items.every((x) => x.kind === 'string')) parts = v.items.map((x) => (x as { value: string }).value);
  else fail(scope, item.line, `${JSON.stringify(item.key)} must be a comma-separated string or a list of CIDR blocks`);
  try {
    const cidrs = parseCidrList(parts);
    if (cidrs.length === 0) fail(scope, item.line, `${JSON.stringify(item.key)} must name at least one CIDR block`);
    return cidrs;
  } catch (err) {
    if (err instanceof CidrError) fail(scope, item.line, `${JSON.stringify(item.key)}: ${err.message}`);
    throw err;
  }
};

const LISTENER_FIELDS: FieldTable<ListenerFields> = {
  address: ['address', asNonEmptyString],
  clusterAddress: ['cluster_address', asNonEmptyString],
  tlsDisable: ['tls_disable', asBool],
  tlsCertFile: ['tls_cert_file', asNonEmptyString],
  tlsKeyFile: ['tls_key_file', asNonEmptyString],
  tlsClientCaFile: ['tls_client_ca_file', asNonEmptyString],
  tlsMinVersion: ['tls_min_version', asEnum<TlsVersion>(['tls10', 'tls11', 'tls12', 'tls13'])],
  tlsRequireAndVerifyClientCert: ['tls_require_and_verify_client_cert', asBool],
  maxRequestSize: ['max_request_size', asInt],
  xffAuthorizedAddrs: ['x_forwarded_for_authorized_addrs', asCidrList],
  xffHopSkips: ['x_forwarded_for_hop_skips', asNonNegativeInt],
  xffRejectNotAuthorized: ['x_forwarded_for_reject_not_authorized', asBool],
  xffRejectNotPresent: ['x_forwarded_for_reject_not_present', asBool],
};

/** Real Vault listener features Arca does not implement: named as such rather than as typos. */
function isUnsupportedVaultKey(key: string): boolean {
  return (
    key.startsWith('proxy_protocol_') ||
    key.startsWith('x_forwarded_for_client_cert') ||
    key === 'tls_cipher_suites' ||
    key === 'tls_max_version'
  );
}

export function decodeListener(block: HclBlock, file: string): ListenerConfig {
  const type = block.labels[0] ?? '';
  const scope: Scope = { file, where: `listener ${JSON.stringify(type)}` };
  if (type !== 'tcp') fail(scope, block.line, 'unsupported listener type (Arca supports only "tcp")');

  const f: SourcedFields<ListenerFields> = {};
  for (const item of block.body.items) {
    if (decodeField(LISTENER_FIELDS, scope, item, f)) continue;
    if (isUnsupportedVaultKey(item.key)) fail(scope, item.line, `${JSON.stringify(item.key)} is not supported by Arca`);
    fail(scope, item.line, `unknown key ${JSON.stringify(item.key)}`);
  }

  const address = f.address?.value ?? DEFAULT_LISTENER_ADDRESS;
  const hostPort = parseHostPort(address);
  if (hostPort === undefined) fail(scope, f.address?.line, `"address": invalid address (expected host:port such as "127.0.0.1:8200")`);

  let clusterAddress: string;
  if (f.clusterAddress !== undefined) {
    clusterAddress = f.clusterAddress.value;
    if (parseHostPort(clusterAddress) === undefined) {
      fail(scope, f.clusterAddress.line, `"cluster_address": invalid address (expected host:port such as "127.0.0.1:8201")`);
    }
  } else {
    // Vault's rule: one port above the API port. Port 0 (pick any) stays 0 for the cluster port too.
    if (hostPort.port === 65535) fail(scope, block.line, 'cannot derive cluster_address from port 65535; set cluster_address');
    clusterAddress = joinHostPort(hostPort.host, hostPort.port === 0 ? 0 : hostPort.port + 1);
  }

  // Vault: 0 (or unset) means the default; a negative value turns the limit off.
  const rawMax = f.maxRequestSize?.value ?? 0;
  const maxRequestSize = rawMax === 0 ? DEFAULT_MAX_REQUEST_SIZE : rawMax < 0 ? Infinity : rawMax;

  const xffKeys = [f.xffHopSkips, f.xffRejectNotAuthorized, f.xffRejectNotPresent];
  if (f.xffAuthorizedAddrs === undefined && xffKeys.some((k) => k !== undefined)) {
    fail(scope, xffKeys.find((k) => k !== undefined)?.line, 'x_forwarded_for_authorized_addrs is required to use the other x_forwarded_for_* keys');
  }
  const forwardedFor: ForwardedForPolicy | undefined =
    f.xffAuthorizedAddrs === undefined
      ? undefined
      : {
          authorizedAddrs: f.xffAuthorizedAddrs.value,
          hopSkips: f.xffHopSkips?.value ?? 0,
          rejectNotAuthorized: f.xffRejectNotAuthorized?.value ?? false,
          rejectNotPresent: f.xffRejectNotPresent?.value ?? false,
        };
  const common = { ...(forwardedFor !== undefined ? { forwardedFor } : {}), maxRequestSize };

  const tlsDisable = f.tlsDisable?.value ?? false;
  if (tlsDisable) {
    return { type: 'tcp', address, ...hostPort, clusterAddress, tls: { enabled: false }, ...common };
  }
  if (f.tlsCertFile === undefined || f.tlsKeyFile === undefined) {
    fail(scope, block.line, 'tls_cert_file and tls_key_file are required unless tls_disable = true');
  }
  return {
    type: 'tcp',
    address,
    ...hostPort,
    clusterAddress,
    tls: {
      enabled: true,
      certFile: f.tlsCertFile.value,
      keyFile: f.tlsKeyFile.value,
      clientCaFile: f.tlsClientCaFile?.value,
      minVersion: f.tlsMinVersion?.value ?? DEFAULT_TLS_MIN_VERSION,
      requireAndVerifyClientCert: f.tlsRequireAndVerifyClientCert?.value ?? false,
    },
    ...common,
  };
}

const HOSTNAME = /^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*$/;

/** "host:port", "[v6]:port" or ":port" (every interface); undefined when malformed. */
export function parseHostPort(address: string): { host: string; port: number } | undefined {
  let host: string;
  let portText: string;
  if (address.startsWith('[')) {
    const close = address.indexOf(']');
    if (close === -1 || address[close + 1] !== ':') return undefined;
    host = address.slice(1, close);
    portText = address.slice(close + 2);
    if (!isIPv6(host)) return undefined;
  } else {
    const colon = address.lastIndexOf(':');
    if (colon === -1) return undefined;
    host = address.slice(0, colon);
    portText = address.slice(colon + 1);
    // All-numeric names that are not valid IPv4 ("127.0.0.300") are typos, not hostnames.
    const hostname = HOSTNAME.test(host) && host.length <= 253 && !/^[0-9.]+$/.test(host);
    if (host !== '' && !isIPv4(host) && !hostname) return undefined;
  }
  if (!/^[0-9]{1,5}$/.test(portText)) return undefined;
  const port = Number(portText);
  if (port > 65535) return undefined;
  return { host, port };
}

export function joinHostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}
