/**
 * `policy fmt`: a policy (HCL or JSON) rewritten as canonical HCL. The text must first be a
 * valid policy (src/policy's parser decides, so invalid input fails with the same error the
 * server would give). Then the syntax tree is printed with two-space indentation, `=`
 * aligned across runs of one-line attributes, inline lists of scalars, `path "..." { }`
 * blocks separated by blank lines, and the source's comments kept beside the items they
 * preceded or followed.
 *
 * Formatting must never change meaning: the output is parsed again and compared with the
 * input's policy; any difference is a PolicyFormatError and nothing is written.
 */
import { blocksOf, parseConfigText, type HclItem, type HclObject, type HclValue } from '../config/hcl.js';
import { parsePolicy, type Policy } from '../policy/index.js';
import { scanPolicySource, type SourceComment, type SourceLayout } from './policy-source.js';

/** The policy is valid but could not be printed faithfully. */
export class PolicyFormatError extends Error {}

const INDENT = '  ';
/** Keys that may stay unquoted: what the HCL lexer reads back as an identifier. */
const BARE_KEY = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

function indent(depth: number): string {
  return INDENT.repeat(depth);
}

/** A double-quoted HCL string. */
export function quoteHcl(s: string): string {
  let out = '"';
  for (const ch of s) {
    const code = ch.codePointAt(0)!;
    if (ch === '"') out += '\\"';
    else if (ch === '\\') out += '\\\\';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (code < 0x20 || code === 0x7f) out += `\\u${code.toString(16).padStart(4, '0')}`;
    else out += ch;
  }
  return `${out}"`;
}

function renderKey(key: string): string {
  return BARE_KEY.test(key) && key !== 'true' && key !== 'false' ? key : quoteHcl(key);
}

function scalar(v: HclValue): string | undefined {
  switch (v.kind) {
    case 'string':
      return quoteHcl(v.value);
    case 'number':
      return v.raw;
    case 'bool':
      return v.value ? 'true' : 'false';
    case 'null':
      throw new PolicyFormatError(`line ${v.line}: null has no HCL spelling`);
    default:
      return undefined;
  }
}

/** A heredoc worth keeping as one: written as such, and ending with its line break. */
function isHeredoc(v: HclValue): v is Extract<HclValue, { kind: 'string' }> {
  return v.kind === 'string' && v.heredoc && v.value.endsWith('\n');
}

/** The value on one line, or undefined when it needs several. */
function inline(v: HclValue, topLevel: boolean): string | undefined {
  if (topLevel && isHeredoc(v)) return undefined;
  if (v.kind === 'list') {
    const items = v.items.map((item) => (item.kind === 'list' || item.kind === 'object' ? undefined : scalar(item)));
    return items.every((s) => s !== undefined) ? `[${items.join(', ')}]` : undefined;
  }
  if (v.kind === 'object') return undefined;
  return scalar(v);
}

class Printer {
  readonly lines: string[] = [];
  private readonly ownLine: SourceComment[];
  private readonly trailingComments: SourceComment[];
  private next = 0;
  /** Source line -> index of the last output line printed for something on it. */
  private readonly anchors = new Map<number, number>();

  constructor(private readonly layout: SourceLayout) {
    this.ownLine = layout.comments.filter((c) => !c.trailing);
    this.trailingComments = layout.comments.filter((c) => c.trailing);
  }

  /** Own-line comments not yet printed that start before `line`. */
  commentsBefore(line: number | undefined, depth: number): void {
    if (line === undefined) return;
    while (this.next < this.ownLine.length && this.ownLine[this.next]!.line < line) {
      this.lines.push(indent(depth) + this.ownLine[this.next]!.text);
      this.next++;
    }
  }

  hasCommentBetween(after: number, before: number | undefined): boolean {
    return before !== undefined && this.ownLine.some((c) => c.line > after && c.line < before);
  }

  /**
   * The last printed line came from source line `line`. A comment that followed code on a
   * source line goes after whatever was printed last for that line (the `}` of a one-line
   * block rather than the attribute inside it).
   */
  mark(line: number | undefined): void {
    if (line !== undefined) this.anchors.set(line, this.lines.length - 1);
  }

  /** The output, with trailing comments attached to their lines (or the nearest before). */
  finish(): string {
    const lines = [...this.lines];
    const known = [...this.anchors.keys()].sort((a, b) => a - b);
    for (const c of this.trailingComments) {
      let at = this.anchors.get(c.line);
      if (at === undefined) {
        const earlier = known.filter((l) => l < c.line).pop();
        at = earlier === undefined ? undefined : this.anchors.get(earlier);
      }
      if (at === undefined) lines.unshift(c.text);
      else lines[at] += ` ${c.text}`;
    }
    return `${lines.join('\n')}\n`;
  }

  closeLine(v: HclObject | Extract<HclValue, { kind: 'list' }>): number | undefined {
    return this.layout.closeLines.get(`${v.line}:${v.column}`);
  }

  /** Items of a body; runs of one-line attributes with no comment between get aligned `=`. */
  body(items: readonly HclItem[], depth: number, close: number | undefined): void {
    const pads = this.alignment(items);
    items.forEach((item, k) => {
      this.commentsBefore(item.line, depth);
      this.item(item, depth, pads[k] ?? 0);
    });
    this.commentsBefore(close, depth);
  }

  private alignment(items: readonly HclItem[]): number[] {
    const single = items.map((item) => item.form === 'attribute' && inline(item.value, true) !== undefined);
    const pads: number[] = items.map(() => 0);
    let start = 0;
    for (let k = 0; k <= items.length; k++) {
      const breaks =
        k === items.length || !single[k] || (k > start && this.hasCommentBetween(items[k - 1]!.line, items[k]!.line));
      if (!breaks) continue;
      const width = Math.max(0, ...items.slice(start, k).map((i) => renderKey(i.key).length));
      for (let j = start; j < k; j++) pads[j] = width;
      start = single[k] ? k : k + 1;
    }
    return pads;
  }

  item(item: HclItem, depth: number, pad: number): void {
    if (item.form === 'block' && item.value.kind === 'object') {
      const labels = item.labels.map((l) => ` ${quoteHcl(l)}`).join('');
      this.object(`${indent(depth)}${renderKey(item.key)}${labels} {`, item.value, depth, item.line, '');
      return;
    }
    this.value(`${indent(depth)}${renderKey(item.key).padEnd(pad)} = `, item.value, depth, item.line, '', true);
  }

  value(prefix: string, v: HclValue, depth: number, line: number, suffix: string, topLevel: boolean): void {
    const one = inline(v, topLevel);
    if (one !== undefined) {
      this.lines.push(prefix + one + suffix);
      this.mark(line);
      return;
    }
    if (isHeredoc(v)) {
      const body = v.value.slice(0, -1).split('\n');
      let marker = 'EOT';
      for (let n = 1; body.includes(marker); n++) marker = `EOT${n}`;
      this.lines.push(`${prefix}<<${marker}`, ...body, marker);
      return;
    }
    if (v.kind === 'object') {
      this.object(`${prefix}{`, v, depth, line, suffix);
      return;
    }
    if (v.kind !== 'list') throw new PolicyFormatError(`line ${line}: cannot print this value`);
    const close = this.closeLine(v);
    this.lines.push(`${prefix}[`);
    this.mark(line);
    for (const element of v.items) {
      this.commentsBefore(element.line, depth + 1);
      this.value(indent(depth + 1), element, depth + 1, element.line, ',', false);
    }
    this.commentsBefore(close, depth + 1);
    this.lines.push(`${indent(depth)}]${suffix}`);
    this.mark(close);
  }

  object(header: string, v: HclObject, depth: number, line: number, suffix: string): void {
    const close = this.closeLine(v);
    if (v.body.items.length === 0 && !this.hasCommentBetween(line, close)) {
      this.lines.push(`${header}}${suffix}`);
      this.mark(line);
      return;
    }
    this.lines.push(header);
    this.mark(line);
    this.body(v.body.items, depth + 1, close);
    this.lines.push(`${indent(depth)}}${suffix}`);
    this.mark(close);
  }
}

/** A policy's meaning, for the before/after comparison (source lines and text excluded). */
function fingerprint(policy: Policy): string {
  return JSON.stringify(policy.paths, (key, value: unknown) => {
    if (key === 'line') return undefined;
    return value instanceof Map ? [...value.entries()] : value;
  });
}

/** Canonical HCL for a policy text; throws PolicyParseError for invalid policies. */
export function formatPolicyText(text: string): string {
  const before = parsePolicy('fmt', text);
  const tree = parseConfigText(text, '');
  const printer = new Printer(scanPolicySource(text));
  let previous: 'none' | 'attribute' | 'block' = 'none';
  for (const item of tree.items) {
    if (item.key !== 'path') {
      if (previous === 'block') printer.lines.push('');
      printer.commentsBefore(item.line, 0);
      printer.item(item, 0, 0);
      previous = 'attribute';
      continue;
    }
    const blocks = blocksOf(item, 1);
    // Only a block written as `path "x" { }` has its own braces in the source.
    const close = item.form === 'block' && item.value.kind === 'object' ? printer.closeLine(item.value) : undefined;
    for (const block of blocks) {
      if (previous !== 'none') printer.lines.push('');
      printer.commentsBefore(block.line, 0);
      previous = 'block';
      const header = `path ${quoteHcl(block.labels[0] ?? '')} {`;
      if (block.body.items.length === 0 && !printer.hasCommentBetween(block.line, close)) {
        printer.lines.push(`${header}}`);
        printer.mark(block.line);
        continue;
      }
      printer.lines.push(header);
      printer.mark(block.line);
      printer.body(block.body.items, 1, close);
      printer.lines.push('}');
      printer.mark(close);
    }
  }
  printer.commentsBefore(Number.POSITIVE_INFINITY, 0);
  const out = printer.finish();

  let after: Policy;
  try {
    after = parsePolicy('fmt', out);
  } catch (err) {
    throw new PolicyFormatError(`the formatted policy does not parse: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (fingerprint(after) !== fingerprint(before)) throw new PolicyFormatError('formatting would change the meaning of the policy');
  return out;
}
