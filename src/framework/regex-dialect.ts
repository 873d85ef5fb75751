/**
 * The regex dialect path patterns may use, parsed to a small AST. Restricting the dialect is
 * what makes overlap detection exact: everything here is a regular language (no lookaround,
 * backreferences or inner anchors), so two patterns can be intersected as automata.
 *
 * Supported: literals and escaped metacharacters, `.`, `\w \W \d \D \s \S`, `\xHH`, `\uHHHH`,
 * classes `[...]`/`[^...]` with ranges, groups `(...)`, `(?:...)`, `(?<name>...)`,
 * alternation `|`, quantifiers `* + ? {n} {n,} {n,m}` (a lazy `?` suffix is accepted: it does
 * not change which strings match). A leading `^` and trailing `$` are allowed and ignored,
 * since patterns are always compiled anchored.
 */
import * as cs from './char-set.js';
import type { CharSet } from './char-set.js';

export type RegexNode =
  | { readonly kind: 'chars'; readonly set: CharSet }
  | { readonly kind: 'seq'; readonly items: readonly RegexNode[] }
  | { readonly kind: 'alt'; readonly options: readonly RegexNode[] }
  | { readonly kind: 'repeat'; readonly node: RegexNode; readonly min: number; readonly max: number | null }
  | { readonly kind: 'group'; readonly name: string | undefined; readonly node: RegexNode };

/** Upper bound for counted repetition, so expansion into automata stays small. */
const MAX_COUNT = 64;

export class UnsupportedPatternError extends Error {}

class Parser {
  private pos = 0;
  constructor(private readonly src: string) {}

  parse(): RegexNode {
    const node = this.alternation();
    if (this.pos < this.src.length) this.fail(`unexpected ${JSON.stringify(this.src[this.pos])}`);
    return node;
  }

  private fail(why: string): never {
    throw new UnsupportedPatternError(`pattern ${JSON.stringify(this.src)} at ${this.pos}: ${why}`);
  }

  private peek(): string | undefined {
    return this.src[this.pos];
  }

  private alternation(): RegexNode {
    const options = [this.sequence()];
    while (this.peek() === '|') {
      this.pos++;
      options.push(this.sequence());
    }
    return options.length === 1 ? options[0]! : { kind: 'alt', options };
  }

  private sequence(): RegexNode {
    const items: RegexNode[] = [];
    for (;;) {
      const ch = this.peek();
      if (ch === undefined || ch === '|' || ch === ')') break;
      items.push(this.quantified(this.atom()));
    }
    return items.length === 1 ? items[0]! : { kind: 'seq', items };
  }

  private quantified(node: RegexNode): RegexNode {
    const ch = this.peek();
    let min: number;
    let max: number | null;
    if (ch === '*') [min, max] = [0, null];
    else if (ch === '+') [min, max] = [1, null];
    else if (ch === '?') [min, max] = [0, 1];
    else if (ch === '{') {
      const m = /^\{(\d+)(,(\d*))?\}/.exec(this.src.slice(this.pos));
      if (m === null) this.fail('"{" must start a counted quantifier');
      min = Number(m[1]);
      max = m[2] === undefined ? min : m[3] === '' ? null : Number(m[3]);
      if (min > MAX_COUNT || (max !== null && (max > MAX_COUNT || max < min))) this.fail('counted quantifier out of range');
      this.pos += m[0].length - 1;
    } else return node;
    this.pos++;
    if (this.peek() === '?') this.pos++; // lazy: same language
    const next = this.peek();
    if (next === '*' || next === '+' || next === '{') this.fail('stacked quantifiers');
    return { kind: 'repeat', node, min, max };
  }

  private atom(): RegexNode {
    const ch = this.peek()!;
    if (ch === '(') return this.group();
    if (ch === '[') return { kind: 'chars', set: this.charClass() };
    if (ch === '.') {
      this.pos++;
      return { kind: 'chars', set: cs.DOT };
    }
    if (ch === '\\') {
      this.pos++;
      return { kind: 'chars', set: this.escape(false) };
    }
    if ('*+?{}]^$'.includes(ch)) this.fail(`unsupported or misplaced ${JSON.stringify(ch)}`);
    this.pos++;
    return { kind: 'chars', set: cs.single(ch) };
  }

  private group(): RegexNode {
    this.pos++; // (
    let name: string | undefined;
    if (this.src.startsWith('?:', this.pos)) {
      this.pos += 2;
    } else if (this.src.startsWith('?<', this.pos) && !this.src.startsWith('?<=', this.pos) && !this.src.startsWith('?<!', this.pos)) {
      const m = /^\?<([A-Za-z_][A-Za-z0-9_]*)>/.exec(this.src.slice(this.pos));
      if (m === null) this.fail('bad group name');
      name = m[1];
      this.pos += m[0].length;
    } else if (this.peek() === '?') {
      this.fail('lookaround and other (? groups are not supported');
    }
    const node = this.alternation();
    if (this.peek() !== ')') this.fail('missing ")"');
    this.pos++;
    return { kind: 'group', name, node };
  }

  /** After a backslash. In a class, only single characters and class escapes make sense. */
  private escape(inClass: boolean): CharSet {
    const ch = this.peek();
    if (ch === undefined) this.fail('trailing backslash');
    this.pos++;
    switch (ch) {
      case 'w':
        return cs.WORD;
      case 'W':
        return cs.complement(cs.WORD);
      case 'd':
        return cs.DIGIT;
      case 'D':
        return cs.complement(cs.DIGIT);
      case 's':
        return cs.SPACE;
      case 'S':
        return cs.complement(cs.SPACE);
      case 'n':
        return cs.single('\n');
      case 't':
        return cs.single('\t');
      case 'r':
        return cs.single('\r');
      case 'f':
        return cs.single('\f');
      case 'v':
        return cs.single('\v');
      case 'x':
      case 'u': {
        const len = ch === 'x' ? 2 : 4;
        const hex = this.src.slice(this.pos, this.pos + len);
        if (!new RegExp(`^[0-9a-fA-F]{${len}}$`).test(hex)) this.fail(`bad \\${ch} escape`);
        this.pos += len;
        const c = parseInt(hex, 16);
        return [[c, c]];
      }
      default:
        if (/[A-Za-z0-9]/.test(ch)) this.fail(`unsupported escape \\${ch}${inClass ? ' in a class' : ''}`);
        return cs.single(ch);
    }
  }

  private charClass(): CharSet {
    this.pos++; // [
    let negate = false;
    if (this.peek() === '^') {
      negate = true;
      this.pos++;
    }
    const parts: CharSet[] = [];
    let first = true;
    for (;;) {
      const ch = this.peek();
      if (ch === undefined) this.fail('missing "]"');
      if (ch === ']' && !first) break;
      first = false;
      const lo = this.classAtom();
      if (this.peek() === '-' && this.src[this.pos + 1] !== ']' && this.src[this.pos + 1] !== undefined) {
        this.pos++;
        const hi = this.classAtom();
        if (lo.length !== 1 || hi.length !== 1 || lo[0]![0] !== lo[0]![1] || hi[0]![0] !== hi[0]![1]) {
          this.fail('a range needs single characters at both ends');
        }
        if (lo[0]![0] > hi[0]![0]) this.fail('range out of order');
        parts.push([[lo[0]![0], hi[0]![0]]]);
      } else {
        parts.push(lo);
      }
    }
    this.pos++; // ]
    const set = cs.union(...parts);
    return negate ? cs.complement(set) : set;
  }

  private classAtom(): CharSet {
    const ch = this.peek()!;
    this.pos++;
    if (ch === '\\') return this.escape(true);
    if (ch === '[') this.fail('nested "[" in a class');
    return cs.single(ch);
  }
}

/** Parse a pattern of the supported dialect; throws UnsupportedPatternError otherwise. */
export function parsePattern(pattern: string): RegexNode {
  let body = pattern;
  if (body.startsWith('^')) body = body.slice(1);
  if (body.endsWith('$') && !body.endsWith('\\$')) body = body.slice(0, -1);
  return new Parser(body).parse();
}

/** Names of the capture groups, in order. */
export function groupNames(node: RegexNode): string[] {
  switch (node.kind) {
    case 'chars':
      return [];
    case 'seq':
      return node.items.flatMap(groupNames);
    case 'alt':
      return node.options.flatMap(groupNames);
    case 'repeat':
      return groupNames(node.node);
    case 'group':
      return [...(node.name === undefined ? [] : [node.name]), ...groupNames(node.node)];
  }
}
