/**
 * The cluster channel over real sockets on 127.0.0.1: mutual TLS with certificates from the
 * replication CA, per-request admission (revocation is immediate), and the refusals — no client
 * certificate, a certificate of another CA, plain TCP, a revoked or unknown secondary, a server
 * that is not the expected cluster — each logged and never reaching the handler.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as net from 'node:net';
import * as tls from 'node:tls';
import { systemClock } from '../../src/clock.js';
import { createLogger } from '../../src/util/logger.js';
import { ReplicationCa, type IssuedCert } from '../../src/replication/ca.js';
import { ClusterClient, ClusterListener, type Admission, type ClusterServeMaterial } from '../../src/replication/cluster-tls.js';
import { ALPN_PROTOCOL } from '../../src/replication/frame-rpc.js';
import { RpcError, type PeerIdentity, type RpcHandler, type RpcMethod } from '../../src/replication/transport.js';

const CLUSTER = 'c0ffee00-0000-4000-8000-000000000001';

class Lines {
  text = '';
  write(s: string): void {
    this.text += s;
  }
}

interface Call {
  readonly peer: PeerIdentity;
  readonly method: RpcMethod;
  readonly body: unknown;
}

let ca: ReplicationCa;
let otherCa: ReplicationCa;
let server: IssuedCert;
let clientA: IssuedCert;
let logs: Lines;
let listener: ClusterListener;
const calls: Call[] = [];
/** id -> serial admitted; absent = unknown; revoked ids are removed. */
const admitted = new Map<string, string>();
let slowHandler: Promise<unknown> | undefined;

const handler: RpcHandler = {
  async handle(peer, method, body) {
    calls.push({ peer, method, body });
    if (slowHandler !== undefined) return slowHandler;
    if (method === 'kv.fetch') throw new RpcError('bad-request', 'keys must be strings');
    return { echoed: body, from: peer.secondaryId };
  },
};

function material(server_: IssuedCert = server, caPem = ca.cert.certPem): ClusterServeMaterial {
  return {
    clusterId: CLUSTER,
    caPem,
    server: server_,
    handler,
    admit(id, serial): Admission {
      const want = admitted.get(id);
      if (want === undefined) return { ok: false, reason: `secondary "${id}" is not known or has been revoked` };
      if (want !== serial) return { ok: false, reason: `certificate of secondary "${id}" has been superseded` };
      return { ok: true, peer: { secondaryId: id } };
    },
  };
}

function client(cert: { certPem: string; keyPem: string }, opts: { caPem?: string; clusterId?: string; timeoutMs?: number } = {}): ClusterClient {
  return new ClusterClient({
    address: listener.address,
    caPem: opts.caPem ?? ca.cert.certPem,
    client: cert,
    clusterId: opts.clusterId ?? CLUSTER,
    clock: systemClock,
    timeoutMs: opts.timeoutMs ?? 3000,
  });
}

async function rejects(p: Promise<unknown>, code: string): Promise<RpcError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof RpcError, `expected RpcError, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    return err;
  }
  assert.fail('expected a rejection');
}

/** Wait (bounded) for a log line: refusals are logged from socket callbacks. */
async function logged(re: RegExp): Promise<void> {
  for (let i = 0; i < 100 && !re.test(logs.text); i++) await new Promise((r) => setTimeout(r, 20));
  assert.match(logs.text, re);
}

before(async () => {
  const now = Date.now();
  ca = await ReplicationCa.create(CLUSTER, now);
  otherCa = await ReplicationCa.create(CLUSTER, now);
  server = await ca.issueServerCert(now);
  clientA = await ca.issueClientCert(now, 'us-east');
  admitted.set('us-east', clientA.serial);
  logs = new Lines();
  listener = await ClusterListener.listen('127.0.0.1:0', createLogger({ out: logs, level: 'debug' }));
  listener.serve(material());
});

after(async () => {
  await listener.close();
});

describe('cluster channel (mTLS, arca-repl/1 frames)', () => {
  it('carries an RPC from an admitted secondary to the handler and back', async () => {
    const c = client(clientA);
    try {
      const r = (await c.call('merkle.subpages', { page: 7 })) as unknown as { echoed: unknown; from: string };
      assert.deepEqual(r, { echoed: { page: 7 }, from: 'us-east' });
      assert.equal(calls.at(-1)?.method, 'merkle.subpages');
      assert.deepEqual(calls.at(-1)?.peer, { secondaryId: 'us-east' });
      // The handler's typed error crosses the channel with its code.
      const err = await rejects(c.call('kv.fetch', { keys: [] }), 'bad-request');
      assert.equal(err.message, 'keys must be strings');
    } finally {
      c.close();
    }
  });

  it('refuses a client without a certificate', async () => {
    const before = calls.length;
    const c = new ClusterClient({ address: listener.address, caPem: ca.cert.certPem, client: { certPem: '', keyPem: '' }, clusterId: CLUSTER, clock: systemClock, timeoutMs: 3000 });
    try {
      await rejects(c.call('merkle.root', {}), 'unavailable');
    } finally {
      c.close();
    }
    await logged(/TLS handshake refused.*no client certificate presented/);
    assert.equal(calls.length, before);
  });

  it('refuses a client certificate from another CA', async () => {
    const before = calls.length;
    const foreign = await otherCa.issueClientCert(Date.now(), 'us-east');
    const c = client(foreign);
    try {
      await rejects(c.call('merkle.root', {}), 'unavailable');
    } finally {
      c.close();
    }
    await logged(/TLS handshake refused.*remote=127\.0\.0\.1:\d+.*reason="?client certificate not signed by this cluster's replication CA/);
    assert.equal(calls.length, before);
  });

  it('refuses plain TCP', async () => {
    const before = calls.length;
    const closed = await new Promise<string>((resolve) => {
      const [host, port] = [listener.address.split(':')[0]!, Number(listener.address.split(':')[1])];
      const s = net.connect(port, host, () => s.write('POST /arca/rpc/v1/merkle.root HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}'));
      let got = '';
      s.on('data', (d: Buffer) => (got += d.toString('latin1')));
      s.on('error', () => undefined);
      s.on('close', () => resolve(got));
    });
    assert.doesNotMatch(closed, /HTTP\/1\.1 200/);
    await logged(/TLS handshake refused.*not a TLS connection/);
    assert.equal(calls.length, before);
  });

  it('checks admission on every request: revocation refuses the next call on the same session', async () => {
    const c = client(clientA);
    try {
      await c.call('merkle.root', {});
      const before = calls.length;
      admitted.delete('us-east');
      const err = await rejects(c.call('merkle.root', {}), 'forbidden');
      assert.match(err.message, /not known or has been revoked/);
      assert.equal(calls.length, before, 'a revoked secondary never reaches the handler');
      await logged(/rpc refused.*secondary_id=us-east.*revoked/);
    } finally {
      admitted.set('us-east', clientA.serial);
      c.close();
    }
  });

  it('refuses a superseded certificate of a known id, and an unknown id', async () => {
    const reissued = await ca.issueClientCert(Date.now(), 'us-east');
    const stranger = await ca.issueClientCert(Date.now(), 'eu-west');
    const c1 = client(clientA);
    const c2 = client(stranger);
    admitted.set('us-east', reissued.serial);
    try {
      await rejects(c1.call('merkle.root', {}), 'forbidden');
      await rejects(c2.call('merkle.root', {}), 'forbidden');
      const c3 = client(reissued);
      await c3.call('merkle.root', {});
      c3.close();
    } finally {
      admitted.set('us-east', clientA.serial);
      c1.close();
      c2.close();
    }
  });

  it('dropSecondary ends that secondary\'s sessions at once (a long poll in flight fails)', async () => {
    const c = client(clientA, { timeoutMs: 10_000 });
    let release!: (v: unknown) => void;
    slowHandler = new Promise((r) => (release = r));
    try {
      const pending = c.call('wal.fetch', { after: 0, max: 10, waitMs: 30_000, epoch: '' });
      while (calls.at(-1)?.method !== 'wal.fetch') await new Promise((r) => setTimeout(r, 10));
      const t0 = Date.now();
      listener.dropSecondary('us-east');
      await rejects(pending, 'unavailable');
      assert.ok(Date.now() - t0 < 2000);
    } finally {
      slowHandler = undefined;
      release({});
      c.close();
    }
  });

  it('times a silent primary out, then reconnects on the next call', async () => {
    const c = client(clientA, { timeoutMs: 300 });
    let release!: (v: unknown) => void;
    slowHandler = new Promise((r) => (release = r));
    try {
      await rejects(c.call('merkle.root', {}), 'unavailable');
      slowHandler = undefined;
      release({});
      const r = (await c.call('merkle.subpages', { page: 1 })) as unknown as { from: string };
      assert.equal(r.from, 'us-east');
    } finally {
      slowHandler = undefined;
      c.close();
    }
  });

  it('refuses connections while not serving, and recovers when serving again', async () => {
    const c = client(clientA);
    try {
      await c.call('merkle.root', {});
      listener.serve(undefined);
      // The first call may still meet the session being torn down; the next one dials anew and is refused.
      await rejects(c.call('merkle.root', {}), 'unavailable');
      await rejects(c.call('merkle.root', {}), 'unavailable');
      await logged(/connection refused: this cluster is not serving as a replication primary/);
      listener.serve(material());
      const r = (await c.call('merkle.subpages', { page: 2 })) as unknown as { from: string };
      assert.equal(r.from, 'us-east');
    } finally {
      c.close();
    }
  });

  it('the client refuses a server of another cluster or another CA', async () => {
    // Same CA, but the client expects a different cluster id than the server certificate names.
    const c1 = client(clientA, { clusterId: 'another-cluster' });
    try {
      const err = await rejects(c1.call('merkle.root', {}), 'unavailable');
      assert.match(err.message, /does not belong to cluster another-cluster/);
    } finally {
      c1.close();
    }
    // A client that trusts another CA does not accept this server's certificate.
    const c2 = client(clientA, { caPem: otherCa.cert.certPem });
    try {
      await rejects(c2.call('merkle.root', {}), 'unavailable');
    } finally {
      c2.close();
    }
  });

  it('a TLS client that skips the handshake\'s client certificate gets nothing from the RPC path', async () => {
    const [host, port] = [listener.address.split(':')[0]!, Number(listener.address.split(':')[1])];
    const outcome = await new Promise<string>((resolve) => {
      const s = tls.connect({ host, port, ca: ca.cert.certPem, ALPNProtocols: [ALPN_PROTOCOL], checkServerIdentity: () => undefined });
      s.on('secureConnect', () => s.write('garbage'));
      s.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
      s.on('close', () => resolve('closed'));
    });
    assert.notEqual(outcome, '');
  });
});
