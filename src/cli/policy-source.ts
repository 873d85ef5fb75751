/**
 * What `policy fmt` needs from a policy's source text beyond its syntax tree: the comments
 * (the tree drops them, a formatter must not) and the line on which every `{` / `[` closes,
 * so comments written just before a closing brace stay inside the block.
 *
 * The scan runs only on text that already parsed, so it can be simple: it skips quoted
 * strings (escapes and `${...}` included) and heredocs, and reads everything else
 * character by character. One pass, linear in the input.
 */

export interface SourceComment {
  /** 1-based line where the comment starts. */
  readonly line: number;
  /** As written, without the line break that ends it. */
  readonly text: string;
  /** Whether code precedes it on its line (`capabilities = ["read"] # why`). */
  readonly trailing: boolean;
}

export interface SourceLayout {
  readonly comments: readonly SourceComment[];
  /** "line:column" of an opening `{` or `[` (as the tree records it) -> line of its closer. */
  readonly closeLines: ReadonlyMap<string, number>;
}

const HEREDOC_START = /<<(-?)([A-Za-z_][A-Za-z0-9_-]*)/y;

class Scanner {
  private i = 0;
  private line = 1;
  private lineStart = 0;
  private lineHasCode = false;
  private readonly comments: SourceComment[] = [];
  private readonly closeLines = new Map<string, number>();
  private readonly open: string[] = [];

  constructor(private readonly text: string) {}

  run(): SourceLayout {
    const text = this.text;
    while (this.i < text.length) {
      const ch = text[this.i]!;
      const next = text[this.i + 1];
      if (ch === '\n') this.newline(this.i + 1);
      else if (ch === '#' || (ch === '/' && next === '/')) this.lineComment();
      else if (ch === '/' && next === '*') this.blockComment();
      else if (ch === '"') this.quoted();
      else if (ch === '<' && next === '<') this.heredoc();
      else this.punctuation(ch);
    }
    return { comments: this.comments, closeLines: this.closeLines };
  }

  private newline(nextLineStart: number): void {
    this.line++;
    this.lineStart = nextLineStart;
    this.lineHasCode = false;
    this.i = Math.max(this.i, nextLineStart);
  }

  private punctuation(ch: string): void {
    if (ch === '{' || ch === '[') this.open.push(`${this.line}:${this.i - this.lineStart + 1}`);
    else if (ch === '}' || ch === ']') {
      const key = this.open.pop();
      if (key !== undefined) this.closeLines.set(key, this.line);
    }
    if (ch !== ' ' && ch !== '\t' && ch !== '\r') this.lineHasCode = true;
    this.i++;
  }

  private lineComment(): void {
    let end = this.text.indexOf('\n', this.i);
    if (end === -1) end = this.text.length;
    this.comments.push({ line: this.line, text: this.text.slice(this.i, end).trimEnd(), trailing: this.lineHasCode });
    this.i = end;
  }

  private blockComment(): void {
    const close = this.text.indexOf('*/', this.i + 2);
    const end = close === -1 ? this.text.length : close + 2;
    this.comments.push({ line: this.line, text: this.text.slice(this.i, end), trailing: this.lineHasCode });
    this.skipTo(end);
  }

  /** Advance to `end`, counting the line breaks passed over. */
  private skipTo(end: number): void {
    for (let j = this.i; j < end; j++) if (this.text[j] === '\n') this.newline(j + 1);
    this.i = end;
  }

  private quoted(): void {
    const text = this.text;
    let j = this.i + 1;
    while (j < text.length && text[j] !== '"' && text[j] !== '\n') {
      if (text[j] === '\\') j += 2;
      else if (text[j] === '$' && text[j + 1] === '{') j = this.interpolationEnd(j + 2);
      else j++;
    }
    this.lineHasCode = true;
    this.skipTo(Math.min(j + 1, text.length));
  }

  /** Index just past the `}` closing a `${` whose body starts at `from`. */
  private interpolationEnd(from: number): number {
    let depth = 1;
    let j = from;
    while (j < this.text.length && depth > 0) {
      if (this.text[j] === '{') depth++;
      else if (this.text[j] === '}') depth--;
      j++;
    }
    return j;
  }

  private heredoc(): void {
    HEREDOC_START.lastIndex = this.i;
    const m = HEREDOC_START.exec(this.text);
    this.lineHasCode = true;
    if (m === null) {
      this.i += 2;
      return;
    }
    const indented = m[1] === '-';
    const marker = m[2]!;
    let lineEnd = this.text.indexOf('\n', this.i);
    // Content runs from the next line to the first line that is just the marker.
    while (lineEnd !== -1) {
      const start = lineEnd + 1;
      let end = this.text.indexOf('\n', start);
      if (end === -1) end = this.text.length;
      const content = this.text.slice(start, end);
      if ((indented ? content.trim() : content.trimEnd()) === marker) {
        this.skipTo(end);
        return;
      }
      lineEnd = end === this.text.length ? -1 : end;
    }
    this.skipTo(this.text.length);
  }
}

export function scanPolicySource(text: string): SourceLayout {
  return new Scanner(text).run();
}
