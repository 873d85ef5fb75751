/**
 * Reads JSON configuration into the same tree as HCL, keeping positions (JSON.parse loses
 * them) and duplicate keys (Vault's JSON reader keeps repeated keys as repeated items).
 * Objects become attribute items; hcl-query's block expansion gives them block meaning.
 */
import {
  HclSyntaxError,
  LineIndex,
  MAX_NESTING,
  describeChar,
  type HclBody,
  type HclItem,
  type HclValue,
} from './hcl-ast.js';

const NUMBER = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;
const LITERALS = ['true', 'false', 'null'] as const;

/** Parses a JSON document whose top level is an object. */
export function parseJSONBody(text: string): HclBody {
  const reader = new JsonReader(text);
  reader.skipSpace();
  const top = reader.value(0);
  reader.skipSpace();
  if (!reader.atEnd()) throw reader.error('unexpected content after the top-level value');
  if (top.kind !== 'object') {
    throw new HclSyntaxError('the top level of a JSON configuration must be an object', top.line, top.column);
  }
  return top.body;
}

class JsonReader {
  private pos = 0;
  private readonly lines: LineIndex;

  constructor(private readonly text: string) {
    this.lines = new LineIndex(text);
  }

  atEnd(): boolean {
    return this.pos >= this.text.length;
  }

  error(reason: string, offset = this.pos): HclSyntaxError {
    const at = this.lines.at(offset);
    return new HclSyntaxError(reason, at.line, at.column);
  }

  skipSpace(): void {
    while (this.pos < this.text.length) {
      const ch = this.text[this.pos];
      if (ch !== ' ' && ch !== '\t' && ch !== '\n' && ch !== '\r' && ch !== '\uFEFF') return;
      this.pos++;
    }
  }

  value(depth: number): HclValue {
    const start = this.pos;
    const at = this.lines.at(start);
    const ch = this.text[start];
    if (ch === undefined) throw this.error('expected a value, found end of input');
    if (ch === '{' || ch === '[') {
      if (depth >= MAX_NESTING) throw this.error(`nesting deeper than ${MAX_NESTING} levels`);
      return ch === '{'
        ? { kind: 'object', body: this.object(depth + 1), ...at }
        : { kind: 'list', items: this.array(depth + 1), ...at };
    }
    if (ch === '"') return { kind: 'string', value: this.string(), heredoc: false, ...at };
    if (ch === '-' || (ch >= '0' && ch <= '9')) {
      NUMBER.lastIndex = start;
      const m = NUMBER.exec(this.text);
      if (m === null) throw this.error('invalid number');
      const value = Number(m[0]);
      if (!Number.isFinite(value)) throw this.error('number out of range');
      this.pos += m[0].length;
      return { kind: 'number', value, raw: m[0], ...at };
    }
    for (const lit of LITERALS) {
      if (this.text.startsWith(lit, start)) {
        this.pos += lit.length;
        if (lit === 'null') return { kind: 'null', ...at };
        return { kind: 'bool', value: lit === 'true', ...at };
      }
    }
    throw this.error(`expected a value, found ${describeChar(ch)}`);
  }

  private object(depth: number): HclBody {
    this.pos++;
    const items: HclItem[] = [];
    this.skipSpace();
    if (this.text[this.pos] === '}') {
      this.pos++;
      return { items };
    }
    for (;;) {
      this.skipSpace();
      if (this.text[this.pos] !== '"') throw this.error(`expected a quoted key, found ${this.found()}`);
      const at = this.lines.at(this.pos);
      const key = this.string();
      this.skipSpace();
      if (this.text[this.pos] !== ':') throw this.error(`expected ':' after key ${JSON.stringify(key)}, found ${this.found()}`);
      this.pos++;
      this.skipSpace();
      items.push({ key, labels: [], value: this.value(depth), form: 'attribute', ...at });
      this.skipSpace();
      const sep = this.text[this.pos];
      this.pos++;
      if (sep === '}') return { items };
      if (sep !== ',') throw this.error(`expected ',' or '}' in object, found ${this.found(this.pos - 1)}`, this.pos - 1);
    }
  }

  private array(depth: number): HclValue[] {
    this.pos++;
    const items: HclValue[] = [];
    this.skipSpace();
    if (this.text[this.pos] === ']') {
      this.pos++;
      return items;
    }
    for (;;) {
      this.skipSpace();
      items.push(this.value(depth));
      this.skipSpace();
      const sep = this.text[this.pos];
      this.pos++;
      if (sep === ']') return items;
      if (sep !== ',') throw this.error(`expected ',' or ']' in array, found ${this.found(this.pos - 1)}`, this.pos - 1);
    }
  }

  private found(offset = this.pos): string {
    const ch = this.text[offset];
    return ch === undefined ? 'end of input' : describeChar(ch);
  }

  /** Reads a string starting at its opening quote. */
  private string(): string {
    const start = this.pos;
    let i = start + 1;
    let out = '';
    for (;;) {
      const ch = this.text[i];
      if (ch === undefined) throw this.error('string not terminated', start);
      if (ch === '"') break;
      if (ch < ' ') throw this.error('control character in string', i);
      if (ch !== '\\') {
        out += ch;
        i++;
        continue;
      }
      const esc = this.text[i + 1];
      const simple = esc === undefined ? undefined : SIMPLE_ESCAPES[esc];
      if (simple !== undefined) {
        out += simple;
        i += 2;
      } else if (esc === 'u') {
        const hex = this.text.slice(i + 2, i + 6);
        if (!/^[0-9a-fA-F]{4}$/.test(hex)) throw this.error('invalid \\u escape: expected 4 hex digits', i);
        out += String.fromCharCode(parseInt(hex, 16));
        i += 6;
      } else {
        throw this.error('invalid escape sequence in string', i);
      }
    }
    this.pos = i + 1;
    return out;
  }
}

const SIMPLE_ESCAPES: Readonly<Record<string, string>> = {
  '"': '"',
  '\\': '\\',
  '/': '/',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
};
