/**
 * The syntax tree shared by the HCL and JSON readers. Both produce the same shape so that
 * server configuration and ACL policies are decoded once, whatever the file format.
 *
 * Every node keeps its 1-based line and column so callers can report `file:line`.
 */

interface Position {
  /** 1-based line of the node's first character. */
  readonly line: number;
  /** 1-based column (UTF-16 code units) of the node's first character. */
  readonly column: number;
}

export interface HclString extends Position {
  readonly kind: 'string';
  /** Escapes resolved; `${...}` interpolations kept literally. */
  readonly value: string;
  /** True when written as a heredoc (`<<EOF`). */
  readonly heredoc: boolean;
}

export interface HclNumber extends Position {
  readonly kind: 'number';
  readonly value: number;
  /** The literal as written, for callers that need exact large integers. */
  readonly raw: string;
}

export interface HclBool extends Position {
  readonly kind: 'bool';
  readonly value: boolean;
}

/** Only JSON input can produce null; HCL1 has no null literal. */
export interface HclNull extends Position {
  readonly kind: 'null';
}

export interface HclList extends Position {
  readonly kind: 'list';
  readonly items: readonly HclValue[];
}

/** An object literal (`k = { ... }`), a block body (`name "label" { ... }`) or a JSON object. */
export interface HclObject extends Position {
  readonly kind: 'object';
  readonly body: HclBody;
}

export type HclValue = HclString | HclNumber | HclBool | HclNull | HclList | HclObject;

/**
 * One entry of a body, in source order. `key = value` is an attribute with no labels;
 * `key "a" "b" { ... }` is a block whose value is an object. Repeated keys are kept as
 * separate items: meaning is the reader's business, not the parser's.
 */
export interface HclItem extends Position {
  readonly key: string;
  readonly labels: readonly string[];
  readonly value: HclValue;
  /** How it was written; JSON objects are always attributes. */
  readonly form: 'attribute' | 'block';
}

export interface HclBody {
  readonly items: readonly HclItem[];
}

/**
 * A syntax or shape error with its position. `reason` is the message without the
 * position prefix, so wrappers can format their own location.
 * Messages never quote string literal contents: config values can be secrets.
 */
export class HclSyntaxError extends Error {
  readonly line: number;
  readonly column: number;
  readonly reason: string;

  constructor(reason: string, line: number, column: number) {
    super(`At ${line}:${column}: ${reason}`);
    this.name = 'HclSyntaxError';
    this.line = line;
    this.column = column;
    this.reason = reason;
  }
}

/** Deepest nesting of lists/objects either reader accepts; stops stack exhaustion on hostile input. */
export const MAX_NESTING = 100;

/** Tracks line/column for offsets into a text, computing lazily from a line-start table. */
export class LineIndex {
  private readonly starts: number[] = [0];

  constructor(text: string) {
    for (let i = 0; i < text.length; i++) {
      if (text.charCodeAt(i) === 10) this.starts.push(i + 1);
    }
  }

  /** 1-based line and column of a 0-based offset. */
  at(offset: number): Position {
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.starts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, column: offset - this.starts[lo]! + 1 };
  }
}

/** A printable rendering of one source character for error messages. */
export function describeChar(ch: string): string {
  const code = ch.codePointAt(0) ?? 0;
  if (code < 0x20 || code === 0x7f) return `U+${code.toString(16).toUpperCase().padStart(4, '0')}`;
  return `'${ch}'`;
}
