/**
 * The replication CA's certificates as Node's X.509 parser sees them, the activation token
 * encoding, and the paths-filter predicate.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { isValidSecondaryId, ReplicationCa, secondaryIdFromSan, serverUri } from '../../src/replication/ca.js';
import { decodeActivationToken, encodeActivationToken } from '../../src/replication/activation-token.js';
import { filterPredicate, parsePathsFilter } from '../../src/replication/paths-filter.js';
import { BadRequestError } from '../../src/errors.js';
import type { MountEntry } from '../../src/router/mount-entry.js';

const CLUSTER = '7d1c1c1e-0000-4000-8000-00000000abcd';

describe('replication CA', () => {
  it('issues server and client certificates chained to the CA, identities in SAN URIs', async () => {
    const now = Date.now();
    const ca = await ReplicationCa.create(CLUSTER, now);
    const caCert = new X509Certificate(ca.cert.certPem);
    assert.equal(caCert.ca, true);
    const server = new X509Certificate((await ca.issueServerCert(now, ['10.1.2.3', 'vault.example'])).certPem);
    assert.ok(server.checkIssued(caCert) && server.verify(caCert.publicKey));
    assert.match(server.subjectAltName ?? '', new RegExp(`URI:${serverUri(CLUSTER)}`));
    assert.match(server.subjectAltName ?? '', /IP Address:10\.1\.2\.3/);
    assert.match(server.subjectAltName ?? '', /DNS:vault\.example/);
    const issued = await ca.issueClientCert(now, 'us-east-1');
    const client = new X509Certificate(issued.certPem);
    assert.ok(client.checkIssued(caCert) && client.verify(caCert.publicKey));
    assert.equal(client.ca, false);
    assert.equal(secondaryIdFromSan(client.subjectAltName, CLUSTER), 'us-east-1');
    assert.equal(secondaryIdFromSan(client.subjectAltName, 'another-cluster'), undefined, 'an id is only read for its own cluster');
    assert.equal(secondaryIdFromSan(server.subjectAltName, CLUSTER), undefined, 'a server certificate names no secondary');
    assert.equal(client.serialNumber.toLowerCase(), issued.serial, 'serials compare as Node reports them');
    // Reloaded from storage, the CA keeps signing under the same certificate.
    const again = await ReplicationCa.load(CLUSTER, ca.cert);
    assert.ok(new X509Certificate((await again.issueClientCert(now, 'x')).certPem).verify(caCert.publicKey));
    const other = await ReplicationCa.create(CLUSTER, now);
    assert.equal(client.verify(new X509Certificate(other.cert.certPem).publicKey), false);
  });

  it('accepts only safe secondary ids', () => {
    for (const ok of ['a', 'us-east', 'dc1.eu_west-2']) assert.ok(isValidSecondaryId(ok), ok);
    for (const bad of ['', '-x', 'a/b', 'a b', 'x'.repeat(129), 'é']) assert.ok(!isValidSecondaryId(bad), bad);
  });
});

describe('activation token', () => {
  it('round-trips and rejects anything else with a 400', () => {
    const t = encodeActivationToken('https://p:8200', 's.abc');
    assert.deepEqual(decodeActivationToken(t), { addr: 'https://p:8200', token: 's.abc' });
    for (const bad of ['', '%%%', Buffer.from('[1,2]').toString('base64url'), Buffer.from('{"addr":"x"}').toString('base64url')]) {
      assert.throws(() => decodeActivationToken(bad), BadRequestError, bad);
    }
  });
});

describe('paths filter', () => {
  const mount = (path: string, uuid: string): MountEntry => ({ path, uuid } as MountEntry);
  const secret = [mount('secret/', 'u1'), mount('team/kv/', 'u2')];
  const auth = [mount('userpass/', 'a1')];

  it('normalises and validates', () => {
    assert.deepEqual(parsePathsFilter('', ['secret', '/team/', 'secret/']), { mode: 'allow', paths: ['secret/', 'team/'] });
    assert.throws(() => parsePathsFilter('both', []), /invalid mode "both"/);
    assert.throws(() => parsePathsFilter('deny', ['']), /empty path/);
  });

  it('deny keeps the named mounts\' data back, allow sends only theirs; the rest always goes', () => {
    const deny = filterPredicate(parsePathsFilter('deny', ['secret/', 'auth/userpass/']), secret, auth);
    assert.equal(deny('logical/u1/data/x'), false);
    assert.equal(deny('logical/u2/data/x'), true);
    assert.equal(deny('auth/a1/user/bob'), false);
    assert.equal(deny('core/mounts'), true);
    assert.equal(deny('sys/policy/p'), true);
    const allow = filterPredicate(parsePathsFilter('allow', ['team/']), secret, auth);
    assert.equal(allow('logical/u2/data/x'), true, 'a prefix names the mounts below it');
    assert.equal(allow('logical/u1/data/x'), false);
    assert.equal(allow('auth/a1/user/bob'), false);
    assert.equal(allow('core/keyring'), true);
  });
});
