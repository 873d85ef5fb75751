/**
 * The replication CA of a primary cluster: an EC P-256 key and self-signed certificate created
 * by `primary/enable`, which signs the cluster listener's server certificate and one client
 * certificate per secondary. Node can verify X.509 but not create it, hence @peculiar/x509 (over
 * Node's WebCrypto). Key material leaves this module only as PEM strings, which the caller stores
 * through the barrier in local storage (never replicated: a secondary must not learn the CA key).
 *
 * Identities live in SAN URIs, so no name parsing is needed to read them back:
 *   server     urn:arca:replication:<clusterId>:server
 *   secondary  urn:arca:replication:<clusterId>:secondary:<id>
 */
// tsyringe (used inside @peculiar/x509) needs the Reflect metadata API before it loads.
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { createPrivateKey, randomBytes, webcrypto, X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';

x509.cryptoProvider.set(webcrypto as unknown as Crypto);

const EC_ALG = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const DAY_MS = 86_400_000;
/** CA and leaf validity. Revocation (by id and serial) is what ends a secondary's access, not expiry. */
const CA_VALIDITY_MS = 20 * 365 * DAY_MS;
const LEAF_VALIDITY_MS = 10 * 365 * DAY_MS;
/** Clusters' clocks differ; a certificate minted "now" must already be valid on a slower peer. */
const BACKDATE_MS = DAY_MS;

/** Secondary ids go into a URI and into storage keys: keep them to a safe alphabet. */
const SECONDARY_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

export function isValidSecondaryId(id: string): boolean {
  return SECONDARY_ID.test(id);
}

const URN = 'urn:arca:replication:';

export function serverUri(clusterId: string): string {
  return `${URN}${clusterId}:server`;
}

export function secondaryUri(clusterId: string, secondaryId: string): string {
  return `${URN}${clusterId}:secondary:${secondaryId}`;
}

/** A key and its certificate, PEM. */
export interface CertAndKey {
  readonly certPem: string;
  readonly keyPem: string;
}

/** A leaf certificate the CA issued. `serial` is lower-case hex, as Node reports it upper-case. */
export interface IssuedCert extends CertAndKey {
  readonly serial: string;
}

/** What a primary keeps under REPLICATION_CA (through the barrier, local). */
export interface StoredCa {
  readonly clusterId: string;
  readonly ca: CertAndKey;
  readonly server: IssuedCert;
}

function pemKey(pkcs8: ArrayBuffer): string {
  return createPrivateKey({ key: Buffer.from(pkcs8), format: 'der', type: 'pkcs8' }).export({ type: 'pkcs8', format: 'pem' }).toString();
}

function pkcs8Der(keyPem: string): Buffer {
  return createPrivateKey(keyPem).export({ type: 'pkcs8', format: 'der' });
}

/** Positive 128-bit serial: high bit clear (no DER sign byte), no leading zero nibble (one spelling in hex). */
function newSerial(): string {
  const b = randomBytes(16);
  b[0] = (b[0]! & 0x7f) | 0x40;
  return b.toString('hex');
}

async function newKeyPair(): Promise<CryptoKeyPair> {
  return (await webcrypto.subtle.generateKey(EC_ALG, true, ['sign', 'verify'])) as CryptoKeyPair;
}

export class ReplicationCa {
  private constructor(
    readonly clusterId: string,
    readonly cert: CertAndKey,
    private readonly caCert: x509.X509Certificate,
    private readonly signingKey: CryptoKey,
  ) {}

  /** A new CA for a primary; `now` comes from the injected clock. */
  static async create(clusterId: string, now: number): Promise<ReplicationCa> {
    const keys = await newKeyPair();
    const caCert = await x509.X509CertificateGenerator.createSelfSigned({
      serialNumber: newSerial(),
      name: `CN=arca replication CA ${clusterId}`,
      notBefore: new Date(now - BACKDATE_MS),
      notAfter: new Date(now + CA_VALIDITY_MS),
      signingAlgorithm: EC_ALG,
      keys,
      extensions: [
        new x509.BasicConstraintsExtension(true, 0, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
        await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      ],
    });
    const keyPem = pemKey(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey));
    return new ReplicationCa(clusterId, { certPem: caCert.toString('pem'), keyPem }, caCert, keys.privateKey);
  }

  /** The CA again from what `cert` stored. */
  static async load(clusterId: string, stored: CertAndKey): Promise<ReplicationCa> {
    const caCert = new x509.X509Certificate(stored.certPem);
    const signingKey = await webcrypto.subtle.importKey('pkcs8', pkcs8Der(stored.keyPem), { name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign']);
    return new ReplicationCa(clusterId, stored, caCert, signingKey);
  }

  /** The cluster listener's certificate; `hosts` (IPs or DNS names) are added for ordinary tooling. */
  issueServerCert(now: number, hosts: readonly string[] = []): Promise<IssuedCert> {
    const names: x509.JsonGeneralName[] = [{ type: 'url', value: serverUri(this.clusterId) }];
    for (const h of new Set(['127.0.0.1', 'localhost', ...hosts])) {
      if (h !== '') names.push(isIP(h) !== 0 ? { type: 'ip', value: h } : { type: 'dns', value: h });
    }
    return this.issue(now, `CN=arca cluster ${this.clusterId}`, names, x509.ExtendedKeyUsage.serverAuth);
  }

  /** A secondary's client certificate. */
  issueClientCert(now: number, secondaryId: string): Promise<IssuedCert> {
    if (!isValidSecondaryId(secondaryId)) throw new RangeError('invalid secondary id');
    return this.issue(now, `CN=${secondaryId}`, [{ type: 'url', value: secondaryUri(this.clusterId, secondaryId) }], x509.ExtendedKeyUsage.clientAuth);
  }

  private async issue(now: number, subject: string, names: x509.JsonGeneralName[], usage: string): Promise<IssuedCert> {
    const keys = await newKeyPair();
    const serial = newSerial();
    const cert = await x509.X509CertificateGenerator.create({
      serialNumber: serial,
      subject,
      issuer: this.caCert.subject,
      notBefore: new Date(now - BACKDATE_MS),
      notAfter: new Date(now + LEAF_VALIDITY_MS),
      signingAlgorithm: EC_ALG,
      publicKey: keys.publicKey,
      signingKey: this.signingKey,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
        new x509.ExtendedKeyUsageExtension([usage]),
        new x509.SubjectAlternativeNameExtension(names),
        await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
        await x509.AuthorityKeyIdentifierExtension.create(this.caCert.publicKey),
      ],
    });
    const keyPem = pemKey(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey));
    return { certPem: cert.toString('pem'), keyPem, serial: normalizeSerial(serial) };
  }
}

/** The SAN URIs of a certificate as Node's TLS layer reports it ("URI:a, DNS:b, ..."). */
export function sanUris(subjectaltname: string | undefined): string[] {
  if (subjectaltname === undefined) return [];
  return subjectaltname
    .split(/,\s*/)
    .filter((s) => s.startsWith('URI:'))
    .map((s) => s.slice(4));
}

/** The secondary id a peer certificate claims for `clusterId`, or undefined. */
export function secondaryIdFromSan(subjectaltname: string | undefined, clusterId: string): string | undefined {
  const prefix = `${URN}${clusterId}:secondary:`;
  for (const uri of sanUris(subjectaltname)) {
    if (uri.startsWith(prefix)) {
      const id = uri.slice(prefix.length);
      if (isValidSecondaryId(id)) return id;
    }
  }
  return undefined;
}

/** Node reports serials in upper-case hex, possibly with a leading zero; compare normalised. */
export function normalizeSerial(serial: string): string {
  return serial.toLowerCase().replace(/^0+/, '');
}

/** Facts about a PEM certificate an operator handed us (ca_file), or undefined if it is not one. */
export function parseCertificate(pem: string): X509Certificate | undefined {
  try {
    return new X509Certificate(pem);
  } catch {
    return undefined;
  }
}
