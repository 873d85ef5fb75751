/**
 * The barrier's sealing thread (seal-thread.ts): encrypts barrier entries with the key term the
 * barrier installed, so a write-heavy event loop does not spend its time in AES-GCM.
 *
 * Protocol (seal-thread.ts encodes it):
 *   { t: 'key', term, key }  install a term's key (a transferred copy, zeroed when forgotten)
 *   { t: 'seal', id, buf, bytes }  buf's first `bytes` hold items [u32 term][u32 aad bytes][aad][u32 plaintext bytes][plaintext];
 *                            answer { t: 'sealed', id, buf } with [u32 entry bytes][entry] per item, in order,
 *                            or { t: 'failed', id, message }
 *   { t: 'forget' }          zero every key and end the thread
 */
import { parentPort } from 'node:worker_threads';
import { sealEntry } from './entry.js';

export type ToSealThread =
  | { readonly t: 'key'; readonly term: number; readonly key: Uint8Array }
  | { readonly t: 'seal'; readonly id: number; readonly buf: ArrayBuffer; readonly bytes: number }
  | { readonly t: 'forget' };

export type FromSealThread =
  | { readonly t: 'sealed'; readonly id: number; readonly buf: ArrayBuffer }
  | { readonly t: 'failed'; readonly id: number; readonly message: string };

function main(): void {
  const port = parentPort;
  if (port === null) throw new Error('seal-thread-worker must run in a worker thread');
  const keys = new Map<number, Buffer>();
  const forget = (): void => {
    for (const key of keys.values()) key.fill(0);
    keys.clear();
  };

  port.on('message', (msg: ToSealThread) => {
    if (msg.t === 'key') {
      keys.get(msg.term)?.fill(0);
      keys.set(msg.term, Buffer.from(msg.key.buffer, msg.key.byteOffset, msg.key.byteLength));
      return;
    }
    if (msg.t === 'forget') {
      forget();
      port.close();
      return;
    }
    let reply: FromSealThread;
    let transfer: ArrayBuffer[] = [];
    try {
      const out = sealItems(Buffer.from(msg.buf, 0, msg.bytes), keys);
      reply = { t: 'sealed', id: msg.id, buf: out };
      transfer = [out];
    } catch (err) {
      reply = { t: 'failed', id: msg.id, message: err instanceof Error ? err.message : String(err) };
    }
    // The plaintext is not needed any more.
    new Uint8Array(msg.buf).fill(0);
    port.postMessage(reply, transfer);
  });
}

function sealItems(b: Buffer, keys: ReadonlyMap<number, Buffer>): ArrayBuffer {
  const entries: Buffer[] = [];
  let bytes = 0;
  let at = 0;
  while (at < b.length) {
    const term = b.readUInt32BE(at);
    const aadBytes = b.readUInt32BE(at + 4);
    const aad = b.toString('utf8', at + 8, at + 8 + aadBytes);
    at += 8 + aadBytes;
    const plainBytes = b.readUInt32BE(at);
    const plaintext = b.subarray(at + 4, at + 4 + plainBytes);
    at += 4 + plainBytes;
    const key = keys.get(term);
    if (key === undefined) throw new Error(`no key installed for term ${term}`);
    const entry = sealEntry(term, key, aad, plaintext);
    entries.push(entry);
    bytes += 4 + entry.length;
  }
  const out = Buffer.allocUnsafeSlow(bytes);
  let o = 0;
  for (const entry of entries) {
    out.writeUInt32BE(entry.length, o);
    o += 4 + entry.copy(out, o + 4);
  }
  return out.buffer as ArrayBuffer;
}

main();
