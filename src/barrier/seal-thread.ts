/**
 * Sealing barrier entries in a worker thread (seal-thread-worker.ts), for write-heavy load.
 *
 * AES-GCM through node:crypto costs 15-20 µs of event-loop time per entry (most of it setting up
 * the cipher), and a KV v2 write seals two entries: measured under 64 writing clients, sealing
 * was the largest single cost of a write on the event loop. This moves it to another core. The
 * items of one event-loop turn travel as one transferred buffer each way; the thread answers
 * with the entries in order.
 *
 * The barrier uses it only while many of its writes are in flight (AesGcmBarrier), where the
 * round trip (tens of µs) hides behind the wait for the disk; a lone write seals inline.
 * Keys: the thread holds a copy of the active term's key, installed before the first item that
 * names it; `forget` (the barrier sealed) makes the thread zero every key and end. If the thread
 * fails, its callers get the error and the barrier goes back to sealing inline.
 */
import { timingSafeEqual } from 'node:crypto';
import { Worker } from 'node:worker_threads';
import type { FromSealThread, ToSealThread } from './seal-thread-worker.js';

/**
 * Requests sent at once, without waiting for the end of the event-loop turn. Under load one turn
 * serves dozens of requests; sent only at its end they reached the thread as one wave, and came
 * back as one while the event loop had run dry. Sent 8 at a time, the thread works while the
 * event loop does.
 */
const SEND_AT_REQUESTS = 8;

interface Request {
  readonly count: number;
  readonly resolve: (entries: Buffer[]) => void;
  readonly reject: (err: Error) => void;
}

/** One thread and the turns it has not answered yet. */
interface Thread {
  readonly worker: Worker;
  readonly waiting: Map<number, Request[]>;
}

/** The requests since the last message, their items written one after another into `buf`. */
interface Turn {
  readonly requests: Request[];
  buf: Buffer;
  used: number;
}

/**
 * A turn's items go straight into one buffer, which is transferred to the thread as it is:
 * no Buffer per item (under load those outlived two scavenges often enough to be ~13 % of
 * what a KV write left in the old generation) and no copy into a message buffer.
 */
const TURN_BUFFER_BYTES = 16 * 1024;

export class SealThread {
  private current: Thread | undefined;
  private installed: { term: number; key: Buffer } | undefined;
  private turn: Turn | undefined;
  private nextId = 0;
  private failed = false;
  private sendScheduled = false;

  /** False once the thread failed: seal inline from then on. */
  get usable(): boolean {
    return !this.failed;
  }

  /** Seal each plaintext under (term, key) with its storage key as AAD; entries come back in order. */
  seal(term: number, key: Buffer, items: readonly { readonly key: string; readonly plaintext: Buffer }[]): Promise<Buffer[]> {
    const { worker } = this.thread();
    if (this.installed?.term !== term || !timingSafeEqual(this.installed.key, key)) {
      const copy = new Uint8Array(key.length);
      copy.set(key);
      worker.postMessage({ t: 'key', term, key: copy } satisfies ToSealThread, [copy.buffer]);
      this.installed = { term, key };
    }
    let turn = this.turn;
    if (turn === undefined) {
      turn = { requests: [], buf: Buffer.allocUnsafeSlow(TURN_BUFFER_BYTES), used: 0 };
      this.turn = turn;
      if (!this.sendScheduled) {
        this.sendScheduled = true;
        setImmediate(this.sendTurn);
      }
    }
    for (const item of items) {
      // At most 3 bytes of UTF-8 per UTF-16 unit of the key.
      const most = 12 + item.key.length * 3 + item.plaintext.length;
      if (turn.used + most > turn.buf.length) {
        const bigger = Buffer.allocUnsafeSlow(Math.max(2 * turn.buf.length, turn.used + most));
        turn.buf.copy(bigger, 0, 0, turn.used);
        turn.buf.fill(0);
        turn.buf = bigger;
      }
      const { buf } = turn;
      const at = turn.used;
      buf.writeUInt32BE(term, at);
      const aadBytes = buf.write(item.key, at + 8, 'utf8');
      buf.writeUInt32BE(aadBytes, at + 4);
      buf.writeUInt32BE(item.plaintext.length, at + 8 + aadBytes);
      buf.set(item.plaintext, at + 12 + aadBytes);
      turn.used = at + 12 + aadBytes + item.plaintext.length;
    }
    const requests = turn.requests;
    const sealed = new Promise<Buffer[]>((resolve, reject) => requests.push({ count: items.length, resolve, reject }));
    if (requests.length >= SEND_AT_REQUESTS) this.send();
    return sealed;
  }

  /** The barrier sealed: the thread zeroes its keys and ends; a later seal starts a new one. */
  forget(): void {
    const thread = this.current;
    this.installed = undefined;
    if (thread === undefined) return;
    this.send();
    this.current = undefined;
    thread.worker.postMessage({ t: 'forget' } satisfies ToSealThread);
  }

  private readonly sendTurn = (): void => {
    this.sendScheduled = false;
    this.send();
  };

  /** Everything asked since the last message, as one message. */
  private send(): void {
    const turn = this.turn;
    this.turn = undefined;
    const thread = this.current;
    if (turn === undefined || turn.requests.length === 0) return;
    if (thread === undefined) {
      turn.buf.fill(0);
      for (const r of turn.requests) r.reject(new Error('barrier: the sealing thread is gone'));
      return;
    }
    const id = this.nextId;
    this.nextId = (this.nextId + 1) >>> 0;
    if (thread.waiting.size === 0) thread.worker.ref();
    thread.waiting.set(id, turn.requests);
    // allocUnsafeSlow: the buffer owns its whole ArrayBuffer, which moves to the thread (it zeroes it).
    const arena = turn.buf.buffer as ArrayBuffer;
    thread.worker.postMessage({ t: 'seal', id, buf: arena, bytes: turn.used } satisfies ToSealThread, [arena]);
  }

  private thread(): Thread {
    if (this.current !== undefined) return this.current;
    const worker = new Worker(new URL('./seal-thread-worker.js', import.meta.url));
    const thread: Thread = { worker, waiting: new Map() };
    const { waiting } = thread;
    worker.unref();
    worker.on('message', (msg: FromSealThread) => {
      const requests = waiting.get(msg.id);
      waiting.delete(msg.id);
      if (waiting.size === 0) worker.unref();
      if (requests === undefined) return;
      if (msg.t === 'failed') {
        for (const r of requests) r.reject(new Error(`barrier: the sealing thread failed: ${msg.message}`));
        return;
      }
      const b = Buffer.from(msg.buf);
      let at = 0;
      for (const r of requests) {
        const entries: Buffer[] = [];
        for (let i = 0; i < r.count; i++) {
          const length = b.readUInt32BE(at);
          entries.push(b.subarray(at + 4, at + 4 + length));
          at += 4 + length;
        }
        r.resolve(entries);
      }
    });
    const fail = (err: Error): void => {
      if (this.current === thread) {
        this.current = undefined;
        this.installed = undefined;
        this.failed = true;
      }
      const all = [...waiting.values()];
      waiting.clear();
      for (const requests of all) for (const r of requests) r.reject(err);
    };
    worker.on('error', (err) => fail(new Error(`barrier: the sealing thread failed: ${err.message}`)));
    worker.on('exit', () => fail(new Error('barrier: the sealing thread ended')));
    this.current = thread;
    return thread;
  }
}
