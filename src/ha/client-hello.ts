/**
 * Which service a connection to the cluster port wants, read from the TLS ClientHello's server
 * name (SNI) before any TLS code sees the socket: HA peers ask for HA_SERVER_NAME, replication
 * secondaries dial an address (no SNI, or a host name). The bytes read are pushed back
 * (`unshift`), so whichever TLS server gets the socket next sees the whole handshake; Node's
 * TLSSocket starts by consuming what the plain socket has buffered.
 */
import type { Socket } from 'node:net';

/** The server name HA peers send; `.invalid` is reserved, so no real host can collide. */
export const HA_SERVER_NAME = 'arca-ha.invalid';

/** A ClientHello fits one TLS record (at most 16 KiB); anything bigger is not ours to route. */
const MAX_RECORD = 16_384 + 5;
const PEEK_TIMEOUT_MS = 10_000;

/**
 * Wait for the first TLS record and return its SNI (undefined: none, or not TLS at all). The
 * socket is left paused with everything it sent still unread.
 */
export function peekServerName(socket: Socket, timeoutMs = PEEK_TIMEOUT_MS): Promise<string | undefined> {
  return new Promise((resolve) => {
    let buffered = Buffer.alloc(0);
    let done = false;
    const finish = (name: string | undefined): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('end', onEnd);
      socket.pause();
      if (buffered.length > 0 && !socket.destroyed) socket.unshift(buffered);
      resolve(name);
    };
    const onData = (chunk: Buffer): void => {
      buffered = Buffer.concat([buffered, chunk]);
      const parsed = serverNameOf(buffered);
      if (parsed !== 'incomplete') finish(parsed);
      else if (buffered.length >= MAX_RECORD) finish(undefined);
    };
    const onEnd = (): void => finish(undefined);
    // A silent client holds nothing but its own socket; the TLS server's handshake timeout takes over.
    const timer = setTimeout(() => finish(undefined), timeoutMs);
    socket.on('data', onData);
    socket.once('end', onEnd);
  });
}

/** The SNI host name in a buffer starting with a TLS handshake record, or 'incomplete'. */
export function serverNameOf(buf: Buffer): string | undefined | 'incomplete' {
  if (buf.length === 0) return 'incomplete';
  if (buf[0] !== 0x16) return undefined; // not a TLS handshake record
  if (buf.length < 5) return 'incomplete';
  const recordLength = buf.readUInt16BE(3);
  if (recordLength > MAX_RECORD - 5) return undefined;
  if (buf.length < 5 + recordLength) return 'incomplete';
  try {
    return sniOfClientHello(buf.subarray(5, 5 + recordLength));
  } catch {
    return undefined; // truncated or malformed: not ours
  }
}

/** Throws RangeError when a length points past the end (the caller treats that as "no name"). */
function sniOfClientHello(hs: Buffer): string | undefined {
  const at = (p: number, n: number): number => {
    if (p + n > hs.length) throw new RangeError('truncated ClientHello');
    return p;
  };
  if (hs[at(0, 4)] !== 0x01) return undefined; // not a ClientHello
  let p = 4 + 2 + 32; // handshake header, client version, random
  p += 1 + hs[at(p, 1)]!; // session id
  p += 2 + hs.readUInt16BE(at(p, 2)); // cipher suites
  p += 1 + hs[at(p, 1)]!; // compression methods
  if (p === hs.length) return undefined; // no extensions
  const end = p + 2 + hs.readUInt16BE(at(p, 2));
  p += 2;
  while (p + 4 <= Math.min(end, hs.length)) {
    const type = hs.readUInt16BE(p);
    const length = hs.readUInt16BE(p + 2);
    const body = at(p + 4, length);
    if (type === 0x0000) {
      // server_name: list length, then entries of (type, length, name); type 0 is a host name.
      let q = body + 2;
      const listEnd = body + 2 + hs.readUInt16BE(at(body, 2));
      while (q + 3 <= listEnd) {
        const nameType = hs[at(q, 3)]!;
        const nameLength = hs.readUInt16BE(q + 1);
        const name = at(q + 3, nameLength);
        if (nameType === 0) return hs.subarray(name, name + nameLength).toString('ascii');
        q = name + nameLength;
      }
      return undefined;
    }
    p = body + length;
  }
  return undefined;
}
