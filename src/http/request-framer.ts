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
  /** `from`: where the token starts in the current chunk, -1 when it began in an earlier one. */
  | { kind: 'method'; length: number; from: number; held: Buffer[] }
  /** `pieces`: the head's bytes from earlier chunks (copies); `from`: its start in the current one. */
  | { kind: 'head'; method: string; pieces: Buffer[]; from: number; size: number; lineLength: number }
  | { kind: 'body'; remaining: number }
  | { kind: 'chunk-size'; line: number[] }
  | { kind: 'chunk-data'; remaining: number }
  | { kind: 'chunk-end' }
  | { kind: 'trailer'; lineLength: number; total: number }
  | { kind: 'passthrough' };

/** What the head of one request says about the body that follows. */
type BodyFraming = { kind: 'none' } | { kind: 'length'; length: number } | { kind: 'chunked' } | { kind: 'unknown' };

/** Shortest header name the framing depends on ("content-length"; "transfer-encoding" is longer). */
const MIN_FRAMING_NAME = 14;

/** `text`: the head after the method token, as latin1. */
function bodyFraming(method: string, text: string): BodyFraming {
  if (method === 'CONNECT') return { kind: 'unknown' };
  // Line by line over one string, without splitting: this runs for every request.
  let contentLength: string | undefined;
  let transferEncoding: string | undefined;
  let pos = text.indexOf('\n') + 1; // the request line is not a header
  while (pos > 0 && pos < text.length) {
    const lf = text.indexOf('\n', pos);
    const next = lf === -1 ? text.length : lf + 1;
    const end = lf === -1 ? text.length : text.charCodeAt(lf - 1) === CR && lf - 1 >= pos ? lf - 1 : lf;
    if (end === pos) break;
    // Obsolete line folding: node rejects it; stop following rather than guess.
    const first = text.charCodeAt(pos);
    if (first === SP || first === 0x09) return { kind: 'unknown' };
    const colon = text.indexOf(':', pos);
    if (colon <= pos || colon >= end) return { kind: 'unknown' };
    if (colon - pos >= MIN_FRAMING_NAME) {
      const name = text.slice(pos, colon).trim().toLowerCase();
      if (name === 'content-length') {
        const value = text.slice(colon + 1, end).trim();
        if (contentLength !== undefined && contentLength !== value) return { kind: 'unknown' };
        contentLength = value;
      } else if (name === 'transfer-encoding') {
        const value = text.slice(colon + 1, end).trim();
        transferEncoding = transferEncoding === undefined ? value : `${transferEncoding}, ${value}`;
      }
    }
    pos = next;
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

/** Whether bytes [from, to) of chunk hold anything but CR (a head line with content). */
function hasContent(chunk: Buffer, from: number, to: number): boolean {
  for (let j = from; j < to; j++) if (chunk[j] !== CR) return true;
  return false;
}

/**
 * Rewrites method tokens in one connection's byte stream. One instance per connection.
 * Bytes it does not change are passed on as views of the input (no copy) where possible:
 * a chunk holding whole requests with ordinary methods comes out as the chunk itself.
 */
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
      if (end > runStart) out.push(runStart === 0 && end === chunk.length ? chunk : chunk.subarray(runStart, end));
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
          this.state = { kind: 'method', length: 0, from: i, held: [] };
          break;
        }
        case 'method': {
          const c = chunk[i]!;
          if (c === SP && s.length > 0) {
            const token = s.from >= 0 ? chunk.toString('latin1', s.from, i) : Buffer.concat([...s.held, chunk.subarray(0, i)]).toString('latin1');
            const mapped = mapMethodToken(token);
            i++;
            if (mapped !== token || s.from < 0) {
              // The token (and any part of it held back from earlier chunks) is replaced.
              flushRun(Math.max(s.from, 0));
              out.push(Buffer.from(`${mapped} `, 'latin1'));
              runStart = i;
            }
            this.state = { kind: 'head', method: token, pieces: [], from: i, size: 0, lineLength: 1 };
          } else if (isTokenChar(c) && s.length < MAX_METHOD_LENGTH) {
            s.length++;
            i++;
          } else {
            // Not a request line: hand node the original bytes and stop following.
            if (s.from < 0) {
              out.push(...s.held);
              runStart = 0;
            }
            this.state = { kind: 'passthrough' };
          }
          break;
        }
        case 'head': {
          // Line by line: the head ends at an LF closing a line with nothing but CRs in it.
          const lf = chunk.indexOf(LF, i);
          const end = lf === -1 ? chunk.length : lf;
          const take = Math.min(end - i + (lf === -1 ? 0 : 1), MAX_HEAD_BYTES - s.size);
          const from = i;
          if (take <= 0) {
            this.state = { kind: 'passthrough' };
            break;
          }
          i += take;
          s.size += take;
          const lineEnd = lf === -1 ? i : Math.min(i, lf);
          if (hasContent(chunk, from, lineEnd)) s.lineLength++;
          if (lf !== -1 && i === lf + 1) {
            if (s.lineLength === 0) {
              const text =
                s.pieces.length === 0 ? chunk.toString('latin1', s.from, i) : Buffer.concat([...s.pieces, chunk.subarray(0, i)]).toString('latin1');
              this.afterHead(s.method, text);
            } else {
              s.lineLength = 0;
            }
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
    const s = this.state;
    if (s.kind === 'method') {
      // Bytes of an undecided method token are held back (copied: the chunk is not ours) until it ends.
      const from = Math.max(s.from, 0);
      flushRun(from);
      s.held.push(Buffer.from(chunk.subarray(from)));
      s.from = -1;
    } else {
      flushRun(chunk.length);
      // A head still open keeps its bytes beyond this chunk: copy them out of it.
      if (s.kind === 'head') {
        s.pieces.push(Buffer.from(chunk.subarray(s.from)));
        s.from = 0;
      }
    }
    if (out.length === 1) return out[0]!.length === chunk.length ? chunk : out[0]!;
    return Buffer.concat(out);
  }

  private afterHead(method: string, head: string): void {
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
