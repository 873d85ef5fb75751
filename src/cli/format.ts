/**
 * Text rendering shared by every command: values printed the way Vault's Go CLI prints them
 * (`%v`), durations as Vault abbreviates them, column tables with "Key    Value" headings,
 * "==== Section ====" banners, and the json / yaml output formats.
 */

export type OutputFormat = 'table' | 'json' | 'yaml';

export const OUTPUT_FORMATS: readonly OutputFormat[] = ['table', 'json', 'yaml'];

export function isOutputFormat(s: string): s is OutputFormat {
  return (OUTPUT_FORMATS as readonly string[]).includes(s);
}

/** Columns are separated by four spaces, as Vault's tables are. */
const COLUMN_GAP = '    ';

/**
 * A value as Go's fmt `%v` prints decoded JSON: strings bare, null as "<nil>", arrays as
 * "[a b]", objects as "map[k:v ...]" with sorted keys. Scripts that scrape Vault's table
 * output rely on these shapes.
 */
export function formatValue(v: unknown): string {
  if (v === null || v === undefined) return '<nil>';
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  if (Array.isArray(v)) return `[${v.map(formatValue).join(' ')}]`;
  if (typeof v === 'object') {
    const obj = v as Record<string, unknown>;
    const parts = Object.keys(obj)
      .sort()
      .map((k) => `${k}:${formatValue(obj[k])}`);
    return `map[${parts.join(' ')}]`;
  }
  return String(v);
}

/** A string list as Go's `%q` prints it (`["a" "b"]`, `[]`): how Vault shows token policies. */
export function quotedList(v: unknown): string {
  const items = Array.isArray(v) ? v : [];
  return `[${items.map((item) => JSON.stringify(typeof item === 'string' ? item : formatValue(item))).join(' ')}]`;
}

/**
 * Seconds as Vault shows TTLs: Go's duration string with zero minor units dropped
 * ("768h", "1h30s", "45m", "0s").
 */
export function humanDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds === 0) return '0s';
  const sign = seconds < 0 ? '-' : '';
  let s = Math.abs(Math.trunc(seconds));
  const h = Math.floor(s / 3600);
  s -= h * 3600;
  const m = Math.floor(s / 60);
  s -= m * 60;
  let out = '';
  if (h > 0) out += `${h}h`;
  if (m > 0) out += `${m}m`;
  if (s > 0 || out === '') out += `${s}s`;
  return sign + out;
}

/** Rows laid out in columns; the last column is not padded and lines carry no trailing blanks. */
export function columns(rows: readonly (readonly string[])[]): string {
  const widths: number[] = [];
  for (const row of rows) {
    row.forEach((cell, i) => {
      widths[i] = Math.max(widths[i] ?? 0, cell.length);
    });
  }
  return rows
    .map((row) =>
      row
        .map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0)))
        .join(COLUMN_GAP)
        .trimEnd(),
    )
    .join('\n');
}

/** A table with a heading row underlined by dashes ("Key    Value" / "---    -----"). */
export function table(headings: readonly string[], rows: readonly (readonly string[])[]): string {
  return columns([headings, headings.map((h) => '-'.repeat(h.length)), ...rows]);
}

/** The standard two-column Key/Value table. */
export function keyValueTable(rows: readonly (readonly [string, string])[]): string {
  return table(['Key', 'Value'], rows);
}

/** Keys whose numeric values are durations in seconds ("ttl", "token_period", "creation_ttl"...). */
export function looksLikeDuration(key: string): boolean {
  return /(^|_)(ttl|period|duration)$/.test(key) || key === 'lease_max' || key === 'ttl_max';
}

/**
 * A value in a Key/Value table cell, as Vault's table formatter shows it: an empty string as
 * "n/a" and a TTL-like field given in seconds as a duration ("768h").
 */
export function tableCell(key: string, value: unknown): string {
  if (value === '') return 'n/a';
  if (looksLikeDuration(key)) {
    if (typeof value === 'number' && Number.isFinite(value)) return humanDuration(value);
    if (typeof value === 'string' && /^[0-9]+$/.test(value)) return humanDuration(Number(value));
  }
  return formatValue(value);
}

/** Key/Value rows of an object, keys sorted, values formatted for a table cell. */
export function objectRows(data: Readonly<Record<string, unknown>>): [string, string][] {
  return Object.keys(data)
    .sort()
    .map((k) => [k, tableCell(k, data[k])]);
}

function banner(title: string, width: number): string {
  const side = Math.max(2, Math.ceil((width - title.length - 2) / 2));
  const bar = '='.repeat(side);
  return `${bar} ${title} ${bar}`;
}

/** "====== Data ======": a section banner as wide as the Key/Value heading of the table below it. */
export function sectionBanner(title: string, keys: readonly string[]): string {
  const keyWidth = Math.max(3, ...keys.map((k) => k.length));
  return banner(title, keyWidth + COLUMN_GAP.length + 'Value'.length);
}

/** "== Secret Path ==": a banner as wide as the path printed under it. */
export function pathBanner(title: string, path: string): string {
  return banner(title, path.length);
}

export function toJson(v: unknown): string {
  return JSON.stringify(v === undefined ? null : v, null, 2);
}

// ---- YAML: enough of it to print JSON values faithfully (block style, quoted when needed).

const PLAIN_SCALAR = /^[A-Za-z_./][A-Za-z0-9_ ./@%+-]*$/;
const YAML_RESERVED = /^(?:true|false|yes|no|on|off|null|~|y|n)$/i;

function yamlScalar(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  const s = String(v);
  if (PLAIN_SCALAR.test(s) && !s.endsWith(' ') && !YAML_RESERVED.test(s)) return s;
  // JSON's double-quoted string is also a valid YAML double-quoted scalar.
  return JSON.stringify(s);
}

function isCollection(v: unknown): v is Record<string, unknown> | unknown[] {
  return v !== null && typeof v === 'object' && (Array.isArray(v) ? v.length > 0 : Object.keys(v).length > 0);
}

function yamlLines(v: unknown, indent: string): string[] {
  if (Array.isArray(v)) {
    if (v.length === 0) return [`${indent}[]`];
    const out: string[] = [];
    for (const item of v) {
      if (isCollection(item)) {
        const inner = yamlLines(item, `${indent}  `);
        out.push(`${indent}- ${inner[0]!.trimStart()}`, ...inner.slice(1));
      } else {
        out.push(`${indent}- ${yamlEmpty(item) ?? yamlScalar(item)}`);
      }
    }
    return out;
  }
  if (v !== null && typeof v === 'object') {
    const obj = v as Record<string, unknown>;
    const keys = Object.keys(obj).sort();
    if (keys.length === 0) return [`${indent}{}`];
    const out: string[] = [];
    for (const k of keys) {
      const child = obj[k];
      if (isCollection(child)) {
        out.push(`${indent}${yamlScalar(k)}:`, ...yamlLines(child, `${indent}  `));
      } else {
        out.push(`${indent}${yamlScalar(k)}: ${yamlEmpty(child) ?? yamlScalar(child)}`);
      }
    }
    return out;
  }
  return [`${indent}${yamlScalar(v)}`];
}

function yamlEmpty(v: unknown): string | undefined {
  if (Array.isArray(v) && v.length === 0) return '[]';
  if (v !== null && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length === 0) return '{}';
  return undefined;
}

export function toYaml(v: unknown): string {
  return yamlLines(v, '').join('\n');
}

/** A value in the chosen machine format (json or yaml); table callers format themselves. */
export function formatStructured(format: Exclude<OutputFormat, 'table'>, v: unknown): string {
  return format === 'json' ? toJson(v) : toYaml(v);
}

/** Go's time.RFC822 layout in UTC ("02 Jan 06 15:04 UTC"), as `operator key-status` prints. */
export function rfc822(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const two = (n: number): string => String(n).padStart(2, '0');
  return `${two(d.getUTCDate())} ${months[d.getUTCMonth()]!} ${two(d.getUTCFullYear() % 100)} ${two(d.getUTCHours())}:${two(d.getUTCMinutes())} UTC`;
}

/** Greedy word wrap to lines of at most width characters (longer words stand alone). */
export function wrapText(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter((w) => w !== '')) {
    if (line !== '' && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else {
      line = line === '' ? word : `${line} ${word}`;
    }
  }
  if (line !== '') lines.push(line);
  return lines;
}
