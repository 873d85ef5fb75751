/**
 * SQL statement lists as Vault's database plugins accept them, and their templating.
 *
 * Each element of a statements list may be plain SQL (several statements separated by ';'), a
 * JSON array of statements, or either of those base64-encoded. Splitting respects quotes,
 * dollar quoting and comments, so a `DO $$ ... ; ... $$` block or a ';' inside a string literal
 * stays one statement. Templating happens after splitting, so a substituted value can never
 * introduce a statement boundary.
 */

/** Split every element of a statements list into single statements (trimmed, none empty). */
export function parseStatements(list: readonly string[]): string[] {
  const out: string[] = [];
  for (const item of list) {
    for (const part of expandItem(item)) out.push(...splitSql(part));
  }
  return out;
}

/** One list element: base64-decoded when it is strict base64 of text, then a JSON array or SQL. */
function expandItem(item: string): string[] {
  const text = decodeBase64Text(item.trim()) ?? item;
  const trimmed = text.trim();
  if (trimmed.startsWith('[')) {
    try {
      const parsed: unknown = JSON.parse(trimmed);
      if (Array.isArray(parsed) && parsed.every((s) => typeof s === 'string')) return parsed as string[];
    } catch {
      // Not JSON after all: SQL that happens to start with '['.
    }
  }
  return [text];
}

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/** The decoded text if `s` is padded base64 of printable UTF-8, else undefined. */
function decodeBase64Text(s: string): string | undefined {
  if (s.length === 0 || s.length % 4 !== 0 || !BASE64.test(s)) return undefined;
  const bytes = Buffer.from(s, 'base64');
  const text = bytes.toString('utf8');
  // A round trip rules out invalid UTF-8; control characters rule out binary that decoded by chance.
  if (!Buffer.from(text, 'utf8').equals(bytes)) return undefined;
  if (/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/.test(text)) return undefined;
  return text;
}

/** Split SQL at top-level semicolons (outside quotes, dollar quotes and comments). */
export function splitSql(sql: string): string[] {
  const out: string[] = [];
  let start = 0;
  let i = 0;
  const push = (end: number): void => {
    const stmt = sql.slice(start, end).trim();
    if (stmt !== '') out.push(stmt);
  };
  while (i < sql.length) {
    const c = sql[i]!;
    const next = sql[i + 1];
    if (c === "'" || c === '"') {
      i = skipQuoted(sql, i, c);
    } else if (c === '-' && next === '-') {
      const nl = sql.indexOf('\n', i);
      i = nl === -1 ? sql.length : nl + 1;
    } else if (c === '/' && next === '*') {
      i = skipBlockComment(sql, i);
    } else if (c === '$') {
      const tag = /^\$(?:[A-Za-z_][A-Za-z0-9_]*)?\$/.exec(sql.slice(i));
      if (tag !== null) {
        const close = sql.indexOf(tag[0], i + tag[0].length);
        i = close === -1 ? sql.length : close + tag[0].length;
      } else {
        i++;
      }
    } else if (c === ';') {
      push(i);
      start = i + 1;
      i++;
    } else {
      i++;
    }
  }
  push(sql.length);
  return out;
}

/** Index after a quoted run starting at `i` (a doubled quote is an escaped quote). */
function skipQuoted(sql: string, i: number, quote: string): number {
  let j = i + 1;
  while (j < sql.length) {
    if (sql[j] === quote) {
      if (sql[j + 1] === quote) j += 2;
      else return j + 1;
    } else {
      j++;
    }
  }
  return sql.length;
}

/** Index after a (possibly nested) block comment starting at `i`. */
function skipBlockComment(sql: string, i: number): number {
  let depth = 0;
  let j = i;
  while (j < sql.length) {
    if (sql[j] === '/' && sql[j + 1] === '*') {
      depth++;
      j += 2;
    } else if (sql[j] === '*' && sql[j + 1] === '/') {
      depth--;
      j += 2;
      if (depth === 0) return j;
    } else {
      j++;
    }
  }
  return sql.length;
}

/** Values substituted into statements; `{{name}}` and `{{username}}` are both the user name. */
export interface TemplateValues {
  readonly name: string;
  readonly password?: string;
  readonly expiration?: string;
}

/**
 * Replace `{{name}}`, `{{username}}`, `{{password}}` and `{{expiration}}` (unknown keys stay).
 * Values go in as they are, as in Vault, with one exception: a value written as a whole string
 * literal, `'{{password}}'` (the form every documented template uses), has its single quotes
 * doubled, so a password policy whose charset holds `'` yields passwords that still work.
 */
export function renderStatement(stmt: string, values: TemplateValues): string {
  const map: Record<string, string | undefined> = {
    name: values.name,
    username: values.name,
    password: values.password,
    expiration: values.expiration,
  };
  return stmt.replace(/\{\{\s*(\w+)\s*\}\}/g, (whole: string, key: string, at: number) => {
    const value = map[key];
    if (value === undefined) return whole;
    const quoted = stmt[at - 1] === "'" && stmt[at + whole.length] === "'";
    return quoted ? value.replace(/'/g, "''") : value;
  });
}

/** A PostgreSQL identifier, double-quoted. */
export function quoteIdentifier(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** A PostgreSQL string literal, single-quoted (standard_conforming_strings is on since 9.1). */
export function quoteLiteral(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}
