/**
 * Turns HCL text into tokens. Newlines are not tokens: like HCL1, items need no separator,
 * and values can never be bare identifiers, so the grammar stays unambiguous without them.
 * Every loop advances `pos`, so lexing is linear in the input length.
 */
import { HclSyntaxError, LineIndex, describeChar } from './hcl-ast.js';

export type Punct = '=' | ':' | '{' | '}' | '[' | ']' | ',';

interface At {
  readonly line: number;
  readonly column: number;
}

export type Token =
  | (At & { readonly type: 'ident'; readonly text: string })
  | (At & { readonly type: 'string'; readonly value: string; readonly heredoc: boolean })
  | (At & { readonly type: 'number'; readonly value: number; readonly raw: string })
  | (At & { readonly type: 'punct'; readonly text: Punct })
  | (At & { readonly type: 'eof' });

const PUNCT = new Set<string>(['=', ':', '{', '}', '[', ']', ',']);
const IDENT_START = /[\p{L}_]/u;
const IDENT_PART = /[\p{L}\p{N}_.\-]/u;
const IDENT_RUN = /[\p{L}\p{N}_.\-]+/uy;
const HEREDOC_MARKER = /[A-Za-z_][A-Za-z0-9_\-]*/y;
const HEX = /^[0-9a-fA-F]+$/;
/** Characters a quoted string copies verbatim: everything but quote, backslash, newline and `$`. */
const PLAIN_RUN = /[^"\\\n$]+/y;
const DECIMAL = /-?([0-9]+)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;
const HEXNUM = /-?0[xX][0-9a-fA-F]+/y;

export function tokenize(text: string): Token[] {
  return new Lexer(text).run();
}

class Lexer {
  private pos = 0;
  private readonly lines: LineIndex;
  private readonly tokens: Token[] = [];

  constructor(private readonly text: string) {
    this.lines = new LineIndex(text);
  }

  run(): Token[] {
    const text = this.text;
    while (this.pos < text.length) {
      const ch = text[this.pos]!;
      if (ch === ' ' || ch === '\t' || ch === '\r' || ch === '\n' || ch === '\uFEFF') {
        this.pos++;
      } else if (ch === '#' || (ch === '/' && text[this.pos + 1] === '/')) {
        this.skipLineComment();
      } else if (ch === '/' && text[this.pos + 1] === '*') {
        this.skipBlockComment();
      } else if (ch === '"') {
        this.lexString();
      } else if (ch === '<' && text[this.pos + 1] === '<') {
        this.lexHeredoc();
      } else if (ch === '-' || (ch >= '0' && ch <= '9')) {
        this.lexNumber();
      } else if (PUNCT.has(ch)) {
        const at = this.lines.at(this.pos);
        this.tokens.push({ type: 'punct', text: ch as Punct, ...at });
        this.pos++;
      } else if (IDENT_START.test(ch)) {
        this.lexIdent();
      } else {
        const cp = String.fromCodePoint(text.codePointAt(this.pos)!);
        throw this.error(`unexpected character ${describeChar(cp)}`, this.pos);
      }
    }
    this.tokens.push({ type: 'eof', ...this.lines.at(this.pos) });
    return this.tokens;
  }

  private error(reason: string, offset: number): HclSyntaxError {
    const at = this.lines.at(offset);
    return new HclSyntaxError(reason, at.line, at.column);
  }

  private skipLineComment(): void {
    const nl = this.text.indexOf('\n', this.pos);
    this.pos = nl === -1 ? this.text.length : nl + 1;
  }

  private skipBlockComment(): void {
    const end = this.text.indexOf('*/', this.pos + 2);
    if (end === -1) throw this.error('comment not terminated', this.pos);
    this.pos = end + 2;
  }

  private lexIdent(): void {
    const start = this.pos;
    IDENT_RUN.lastIndex = start;
    // The caller saw an identifier start, so the run is at least one character long.
    this.pos = start + IDENT_RUN.exec(this.text)![0].length;
    this.tokens.push({ type: 'ident', text: this.text.slice(start, this.pos), ...this.lines.at(start) });
  }

  private lexNumber(): void {
    const start = this.pos;
    HEXNUM.lastIndex = start;
    DECIMAL.lastIndex = start;
    const hex = HEXNUM.exec(this.text);
    const match = hex ?? DECIMAL.exec(this.text);
    if (match === null) {
      throw this.error(`unexpected character ${describeChar(this.text[start]!)}`, start);
    }
    const raw = match[0];
    const end = start + raw.length;
    const next = this.text[end];
    if (next !== undefined && (IDENT_PART.test(next) || next === '"')) {
      throw this.error('invalid number literal (quote it if it is a string)', start);
    }
    let value: number;
    if (hex !== null) {
      const negative = raw.startsWith('-');
      value = parseInt(raw.slice(negative ? 3 : 2), 16) * (negative ? -1 : 1);
    } else {
      value = Number(raw);
    }
    if (hex === null && match[1]!.length > 1 && match[1]!.startsWith('0')) {
      // HCL1 would read these as octal; refusing is safer than guessing.
      throw this.error('invalid number literal: leading zeros are not allowed', start);
    }
    if (!Number.isFinite(value)) throw this.error('number out of range', start);
    this.tokens.push({ type: 'number', value, raw, ...this.lines.at(start) });
    this.pos = end;
  }

  private lexString(): void {
    const start = this.pos;
    const text = this.text;
    let out = '';
    let i = start + 1;
    for (;;) {
      if (i >= text.length) throw this.error('string literal not terminated', start);
      const ch = text[i]!;
      if (ch === '"') break;
      if (ch === '\n') throw this.error('string literal not terminated before end of line', start);
      if (ch === '\\') {
        const [decoded, next] = this.escape(i);
        out += decoded;
        i = next;
      } else if (ch === '$' && text[i + 1] === '{') {
        const end = this.skipInterpolation(i + 2, start);
        out += text.slice(i, end);
        i = end;
      } else {
        PLAIN_RUN.lastIndex = i;
        const run = PLAIN_RUN.exec(text);
        const len = run === null ? 1 : run[0].length;
        out += text.slice(i, i + len);
        i += len;
      }
    }
    this.tokens.push({ type: 'string', value: out, heredoc: false, ...this.lines.at(start) });
    this.pos = i + 1;
  }

  /** Decodes the escape at `i` (the backslash); returns the text and the offset after it. */
  private escape(i: number): [string, number] {
    const c = this.text[i + 1];
    switch (c) {
      case 'n':
        return ['\n', i + 2];
      case 't':
        return ['\t', i + 2];
      case 'r':
        return ['\r', i + 2];
      case '"':
        return ['"', i + 2];
      case '\\':
        return ['\\', i + 2];
      case 'u':
      case 'U': {
        const len = c === 'u' ? 4 : 8;
        const hex = this.text.slice(i + 2, i + 2 + len);
        const cp = hex.length === len && HEX.test(hex) ? parseInt(hex, 16) : -1;
        if (cp < 0 || cp > 0x10ffff) throw this.error(`invalid \\${c} escape: expected ${len} hex digits`, i);
        return [String.fromCodePoint(cp), i + 2 + len];
      }
      default:
        throw this.error(`invalid escape sequence ${c === undefined ? 'at end of input' : c < ' ' ? describeChar(c) : describeChar('\\' + c)}`, i);
    }
  }

  /**
   * Skips a `${ ... }` interpolation starting after its opening brace; returns the offset
   * after the matching `}`. Quoted strings inside are skipped whole, so `"${f("}")}"` works.
   */
  private skipInterpolation(from: number, stringStart: number): number {
    const text = this.text;
    let depth = 1;
    let i = from;
    while (depth > 0) {
      if (i >= text.length || text[i] === '\n') throw this.error('interpolation not terminated', stringStart);
      const ch = text[i]!;
      if (ch === '{') depth++;
      else if (ch === '}') depth--;
      else if (ch === '"') {
        i++;
        while (i < text.length && text[i] !== '"' && text[i] !== '\n') i += text[i] === '\\' ? 2 : 1;
        if (text[i] !== '"') throw this.error('interpolation not terminated', stringStart);
      }
      i++;
    }
    return i;
  }

  private lexHeredoc(): void {
    const start = this.pos;
    const text = this.text;
    let i = start + 2;
    const indented = text[i] === '-';
    if (indented) i++;
    HEREDOC_MARKER.lastIndex = i;
    const m = HEREDOC_MARKER.exec(text);
    if (m === null) throw this.error('heredoc must start with <<MARKER or <<-MARKER', start);
    const marker = m[0];
    i += marker.length;
    while (text[i] === ' ' || text[i] === '\t') i++;
    if (text[i] === '\r') i++;
    if (text[i] !== '\n') throw this.error('heredoc marker must be followed by a newline', start);
    i++;
    const lines: string[] = [];
    for (;;) {
      if (i >= text.length) throw this.error(`heredoc not terminated (expected a line "${marker}")`, start);
      const nl = text.indexOf('\n', i);
      const lineEnd = nl === -1 ? text.length : nl;
      const line = text.slice(i, lineEnd).replace(/\r$/, '');
      i = nl === -1 ? text.length : nl + 1;
      const closing = indented ? line.trim() === marker : line.trimEnd() === marker;
      if (closing) break;
      lines.push(line);
    }
    const body = indented ? dedent(lines) : lines;
    const value = body.length === 0 ? '' : body.join('\n') + '\n';
    this.tokens.push({ type: 'string', value, heredoc: true, ...this.lines.at(start) });
    this.pos = i;
  }
}

/** Removes the indentation common to all non-blank lines, as `<<-` promises. */
function dedent(lines: readonly string[]): string[] {
  let common = Infinity;
  for (const line of lines) {
    if (line.trim() === '') continue;
    const indent = /^[ \t]*/.exec(line)![0].length;
    if (indent < common) common = indent;
  }
  if (common === Infinity) return lines.map(() => '');
  return lines.map((line) => (line.trim() === '' ? '' : line.slice(common)));
}
