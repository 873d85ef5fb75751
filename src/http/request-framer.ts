/**
 * Node's HTTP parser (llhttp) only accepts a fixed list of methods and answers anything else,
 * including Vault's `LIST` verb, with a bare 400 before our code runs. Vault clients (hvac,
 * node-vault) send `LIST`, and Vault answers unknown methods with 405, so the shell rewrites the
 * method token of every request on the connection before node parses it:
 *
 *   LIST                          -> LIST_METHOD_ALIAS   (a real method nobody uses with Arca)
 *   LIST_METHOD_ALIAS itself,
 *   any other token node rejects  -> UNKNOWN_METHOD_ALIAS (answered 405 like every unknown method)
 *   everything else               -> unchanged
 *
 * To find where each request starts, the framer follows HTTP/1.1 message framing (request line,
 * headers, then a Content-Length or chunked body). It only ever changes the method token; all
 * other bytes pass through untouched. When the stream stops looking like HTTP it switches to
 * pass-through for the rest of the connection: node's parser then rejects the bytes and closes
 * the connection, so no later request is ever misread.
 */
import { METHODS } from 'node:http';

/** The method node sees in place of LIST. */
export const LIST_METHOD_ALIAS = 'SOURCE';
/** The method node sees in place of any method it cannot parse (always answered 405). */
export const UNKNOWN_METHOD_ALIAS = 'UNBIND';

const KNOWN_METHODS: ReadonlySet<string> = new Set(METHODS);
const MAX_METHOD_LENGTH = 32;
/** Node rejects heads over 16 KiB by default; beyond this the framer stops following. */
const MAX_HEAD_BYTES = 64 * 1024;
const MAX_CHUNK_LINE_BYTES = 1024;
const MAX_TRAILER_BYTES = 16 * 1024;

const CR = 0x0d;
const LF = 0x0a;
const SP = 0x20;

/** RFC 9110 token characters. */
function isTokenChar(c: number): boolean {
  if (c >= 0x30 && c <= 0x39) return true; // 0-9
  if (c >= 0x41 && c <= 0x5a) return true; // A-Z
  if (c >= 0x61 && c <= 0x7a) return true; // a-z
  return "!#$%&'*+-.^_`|~".includes(String.fromCharCode(c));
}

/** The method node will see for a method token the client sent. */
export function mapMethodToken(token: string): string {
  if (token === 'LIST') return LIST_METHOD_ALIAS;
  if (token === LIST_METHOD_ALIAS || !KNOWN_METHODS.has(token)) return UNKNOWN_METHOD_ALIAS;
  return token;
}

type State =
  | { kind: 'start' }
  | { kind: 'method'; token: number[] }
  | { kind: 'head'; method: string; bytes: number[]; lineLength: number }
  | { kind: 'body'; remaining: number }
  | { kind: 'chunk-size'; line: number[] }
  | { kind: 'chunk-data'; remaining: number }
  | { kind: 'chunk-end' }
  | { kind: 'trailer'; lineLength: number; total: number }
  | { kind: 'passthrough' };

/** What the head of one request says about the body that follows. */
type BodyFraming = { kind: 'none' } | { kind: 'length'; length: number } | { kind: 'chunked' } | { kind: 'unknown' };

function bodyFraming(method: string, head: Buffer): BodyFraming {
  if (method === 'CONNECT') return { kind: 'unknown' };
  const lines = head.toString('latin1').split('\n');
  let contentLength: string | undefined;
  let transferEncoding: string | undefined;
  for (let i = 1; i < lines.length; i++) {
    const line = (lines[i] ?? '').replace(/\r$/, '');
    if (line === '') break;
    // Obsolete line folding: node rejects it; stop following rather than guess.
    if (line.startsWith(' ') || line.startsWith('\t')) return { kind: 'unknown' };
    const colon = line.indexOf(':');
    if (colon <= 0) return { kind: 'unknown' };
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (name === 'content-length') {
      if (contentLength !== undefined && contentLength !== value) return { kind: 'unknown' };
      contentLength = value;
    } else if (name === 'transfer-encoding') {
      transferEncoding = transferEncoding === undefined ? value : `${transferEncoding}, ${value}`;
    }
  }
  if (transferEncoding !== undefined) {
    if (contentLength !== undefined) return { kind: 'unknown' };
    const codings = transferEncoding.split(',').map((s) => s.trim().toLowerCase());
    return codings[codings.length - 1] === 'chunked' ? { kind: 'chunked' } : { kind: 'unknown' };
  }
  if (contentLength !== undefined) {
    if (!/^[0-9]{1,15}$/.test(contentLength)) return { kind: 'unknown' };
    const length = Number(contentLength);
    return length === 0 ? { kind: 'none' } : { kind: 'length', length };
  }
  return { kind: 'none' };
}

/** Rewrites method tokens in one connection's byte stream. One instance per connection. */
export class RequestFramer {
  private state: State = { kind: 'start' };

  /** Whether the framer gave up following the stream (diagnostics and tests). */
  get passthrough(): boolean {
    return this.state.kind === 'passthrough';
  }

  /** Transform the next chunk of the stream; the output may be shorter or longer than the input. */
  transform(chunk: Buffer): Buffer {
    const out: Buffer[] = [];
    let runStart = 0; // start of the current verbatim run in `chunk`
    let i = 0;
    const flushRun = (end: number): void => {
      if (end > runStart) out.push(chunk.subarray(runStart, end));
    };
    while (i < chunk.length) {
      const s = this.state;
      switch (s.kind) {
        case 'passthrough':
          i = chunk.length;
          break;
        case 'start': {
          const c = chunk[i]!;
          // Empty lines before a request line are allowed and passed on.
          if (c === CR || c === LF) {
            i++;
            break;
          }
          flushRun(i);
          this.state = { kind: 'method', token: [] };
          runStart = i;
          break;
        }
        case 'method': {
          const c = chunk[i]!;
          if (c === SP && s.token.length > 0) {
            const token = Buffer.from(s.token).toString('latin1');
            out.push(Buffer.from(`${mapMethodToken(token)} `, 'latin1'));
            i++;
            runStart = i;
            this.state = { kind: 'head', method: token, bytes: [], lineLength: 1 };
          } else if (isTokenChar(c) && s.token.length < MAX_METHOD_LENGTH) {
            s.token.push(c);
            i++;
            runStart = i;
          } else {
            // Not a request line: hand node the original bytes and stop following.
            out.push(Buffer.from(s.token));
            runStart = i;
            this.state = { kind: 'passthrough' };
          }
          break;
        }
        case 'head': {
          const c = chunk[i]!;
          i++;
          if (s.bytes.length >= MAX_HEAD_BYTES) {
            this.state = { kind: 'passthrough' };
            break;
          }
          s.bytes.push(c);
          if (c === LF) {
            if (s.lineLength === 0) {
              this.afterHead(s.method, Buffer.from(s.bytes));
            } else {
              s.lineLength = 0;
            }
          } else if (c !== CR) {
            s.lineLength++;
          }
          break;
        }
        case 'body': {
          const take = Math.min(s.remaining, chunk.length - i);
          i += take;
          s.remaining -= take;
          if (s.remaining === 0) this.state = { kind: 'start' };
          break;
        }
        case 'chunk-size': {
          const c = chunk[i]!;
          i++;
          if (c !== LF) {
            if (s.line.length >= MAX_CHUNK_LINE_BYTES) this.state = { kind: 'passthrough' };
            else s.line.push(c);
            break;
          }
          const line = Buffer.from(s.line).toString('latin1').replace(/\r$/, '');
          const sizeText = (line.split(';')[0] ?? '').trim();
          if (!/^[0-9a-fA-F]{1,12}$/.test(sizeText)) {
            this.state = { kind: 'passthrough' };
            break;
          }
          const size = parseInt(sizeText, 16);
          this.state = size === 0 ? { kind: 'trailer', lineLength: 0, total: 0 } : { kind: 'chunk-data', remaining: size };
          break;
        }
        case 'chunk-data': {
          const take = Math.min(s.remaining, chunk.length - i);
          i += take;
          s.remaining -= take;
          if (s.remaining === 0) this.state = { kind: 'chunk-end' };
          break;
        }
        case 'chunk-end': {
          const c = chunk[i]!;
          i++;
          if (c === LF) this.state = { kind: 'chunk-size', line: [] };
          else if (c !== CR) this.state = { kind: 'passthrough' };
          break;
        }
        case 'trailer': {
          const c = chunk[i]!;
          i++;
          s.total++;
          if (s.total > MAX_TRAILER_BYTES) {
            this.state = { kind: 'passthrough' };
          } else if (c === LF) {
            if (s.lineLength === 0) this.state = { kind: 'start' };
            else s.lineLength = 0;
          } else if (c !== CR) {
            s.lineLength++;
          }
          break;
        }
      }
    }
    // Bytes of an undecided method token are held back until the token ends.
    if (this.state.kind !== 'method') flushRun(chunk.length);
    return out.length === 1 ? out[0]! : Buffer.concat(out);
  }

  private afterHead(method: string, head: Buffer): void {
    const framing = bodyFraming(method, head);
    switch (framing.kind) {
      case 'none':
        this.state = { kind: 'start' };
        break;
      case 'length':
        this.state = { kind: 'body', remaining: framing.length };
        break;
      case 'chunked':
        this.state = { kind: 'chunk-size', line: [] };
        break;
      case 'unknown':
        this.state = { kind: 'passthrough' };
        break;
    }
  }
}
