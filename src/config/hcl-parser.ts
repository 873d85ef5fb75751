/**
 * Recursive-descent parser for HCL as Vault's configuration and policy files use it (HCL1,
 * plus the `k: v` object syntax HCL2-style files use). Bodies are lists of items; meaning
 * (which keys are blocks, which repeat) belongs to the reader of the tree.
 */
import {
  HclSyntaxError,
  MAX_NESTING,
  type HclBody,
  type HclItem,
  type HclList,
  type HclObject,
  type HclValue,
} from './hcl-ast.js';
import { tokenize, type Punct, type Token } from './hcl-lexer.js';

/** Parses HCL text into a body; throws HclSyntaxError with the position of the problem. */
export function parseHCL(text: string): HclBody {
  return new Parser(tokenize(text)).document();
}

class Parser {
  private index = 0;

  constructor(private readonly tokens: readonly Token[]) {}

  document(): HclBody {
    const body = this.body(0);
    const tok = this.peek();
    if (tok.type !== 'eof') throw this.unexpected(tok, 'a key');
    return body;
  }

  private peek(): Token {
    // The lexer always ends the array with an eof token, and we never advance past it.
    return this.tokens[this.index]!;
  }

  private advance(): Token {
    const tok = this.peek();
    if (tok.type !== 'eof') this.index++;
    return tok;
  }

  private isPunct(tok: Token, p: Punct): boolean {
    return tok.type === 'punct' && tok.text === p;
  }

  /** Items until `}` or end of input (the caller consumes the terminator). Commas between items are optional. */
  private body(depth: number): HclBody {
    const items: HclItem[] = [];
    for (;;) {
      let tok = this.peek();
      while (this.isPunct(tok, ',')) {
        this.advance();
        tok = this.peek();
      }
      if (tok.type === 'eof' || this.isPunct(tok, '}')) return { items };
      items.push(this.item(depth));
    }
  }

  private item(depth: number): HclItem {
    const keyTok = this.advance();
    let key: string;
    if (keyTok.type === 'ident') key = keyTok.text;
    else if (keyTok.type === 'string' && !keyTok.heredoc) key = keyTok.value;
    else throw this.unexpected(keyTok, 'a key');
    const at = { line: keyTok.line, column: keyTok.column };

    let tok = this.peek();
    if (this.isPunct(tok, '=') || this.isPunct(tok, ':')) {
      this.advance();
      return { key, labels: [], value: this.value(depth), form: 'attribute', ...at };
    }
    const labels: string[] = [];
    // The first label on a later line than the key: where a missing '{' most likely was.
    let lineBreak: Token | undefined;
    for (;;) {
      if (tok.type === 'ident') labels.push(tok.text);
      else if (tok.type === 'string' && !tok.heredoc) labels.push(tok.value);
      else break;
      if (lineBreak === undefined && tok.line !== keyTok.line) lineBreak = tok;
      this.advance();
      tok = this.peek();
    }
    if (!this.isPunct(tok, '{')) {
      const reason =
        labels.length === 0
          ? `expected '=' or '{' after key ${JSON.stringify(key)}`
          : `expected '{' to open block ${JSON.stringify(key)} (or '=' directly after the key to assign it)`;
      const where = lineBreak ?? tok;
      throw new HclSyntaxError(reason, where.line, where.column);
    }
    return { key, labels, value: this.object(depth), form: 'block', ...at };
  }

  private value(depth: number): HclValue {
    const tok = this.peek();
    switch (tok.type) {
      case 'string':
        this.advance();
        return { kind: 'string', value: tok.value, heredoc: tok.heredoc, line: tok.line, column: tok.column };
      case 'number':
        this.advance();
        return { kind: 'number', value: tok.value, raw: tok.raw, line: tok.line, column: tok.column };
      case 'ident':
        if (tok.text === 'true' || tok.text === 'false') {
          this.advance();
          return { kind: 'bool', value: tok.text === 'true', line: tok.line, column: tok.column };
        }
        throw new HclSyntaxError(
          `unexpected identifier ${JSON.stringify(tok.text)}: a value must be a quoted string, number, true/false, list or object`,
          tok.line,
          tok.column,
        );
      case 'punct':
        if (tok.text === '[') return this.list(depth);
        if (tok.text === '{') return this.object(depth);
        throw this.unexpected(tok, 'a value');
      case 'eof':
        throw this.unexpected(tok, 'a value');
    }
  }

  private enter(depth: number, tok: Token): number {
    if (depth >= MAX_NESTING) throw new HclSyntaxError(`nesting deeper than ${MAX_NESTING} levels`, tok.line, tok.column);
    return depth + 1;
  }

  private object(depth: number): HclObject {
    const open = this.advance();
    const inner = this.enter(depth, open);
    const body = this.body(inner);
    const close = this.advance();
    if (!this.isPunct(close, '}')) throw this.unexpected(close, `'}' to close the object opened at ${open.line}:${open.column}`);
    return { kind: 'object', body, line: open.line, column: open.column };
  }

  private list(depth: number): HclList {
    const open = this.advance();
    const inner = this.enter(depth, open);
    const items: HclValue[] = [];
    for (;;) {
      if (this.isPunct(this.peek(), ']')) break;
      items.push(this.value(inner));
      const sep = this.peek();
      if (this.isPunct(sep, ',')) {
        this.advance();
        continue;
      }
      if (this.isPunct(sep, ']')) break;
      throw this.unexpected(sep, `',' or ']' in the list opened at ${open.line}:${open.column}`);
    }
    this.advance();
    return { kind: 'list', items, line: open.line, column: open.column };
  }

  private unexpected(tok: Token, wanted: string): HclSyntaxError {
    return new HclSyntaxError(`expected ${wanted}, found ${describeToken(tok)}`, tok.line, tok.column);
  }
}

/** Names a token for an error message without quoting string contents (they may be secrets). */
function describeToken(tok: Token): string {
  switch (tok.type) {
    case 'eof':
      return 'end of input';
    case 'punct':
      return `'${tok.text}'`;
    case 'ident':
      return `identifier ${JSON.stringify(tok.text)}`;
    case 'number':
      return 'a number';
    case 'string':
      return tok.heredoc ? 'a heredoc' : 'a string';
  }
}
