/**
 * Field types and their lenient coercions, as Vault's HTTP API accepts input: query strings
 * arrive as strings ("5", "true"), JSON bodies as numbers and booleans, and either must work.
 * Each coercion returns the typed value or throws an Error whose message is the inner part of
 * Vault's `error converting input X for field "f": <message>`.
 */
import { parseDurationSeconds } from '../util/duration.js';

export type FieldType =
  | 'string'
  | 'lowercase-string'
  | 'name'
  | 'int'
  | 'float'
  | 'bool'
  | 'duration'
  | 'map'
  | 'string-map'
  | 'string-slice'
  | 'comma-string-slice'
  | 'comma-int-slice'
  | 'header'
  | 'time';

/** The TypeScript type a handler receives for each field type. */
export interface FieldValueTypes {
  string: string;
  'lowercase-string': string;
  name: string;
  int: number;
  float: number;
  bool: boolean;
  /** Whole seconds. */
  duration: number;
  map: Record<string, unknown>;
  'string-map': Record<string, string>;
  'string-slice': string[];
  'comma-string-slice': string[];
  'comma-int-slice': number[];
  /** Canonical header name -> values. */
  header: Record<string, string[]>;
  /** Milliseconds since the epoch. */
  time: number;
}

/** Value used when a field is absent and declares no default (Go's zero values). */
export function zeroValue<T extends FieldType>(type: T): FieldValueTypes[T] {
  const zeros: { [K in FieldType]: () => FieldValueTypes[K] } = {
    string: () => '',
    'lowercase-string': () => '',
    name: () => '',
    int: () => 0,
    float: () => 0,
    bool: () => false,
    duration: () => 0,
    map: () => ({}),
    'string-map': () => ({}),
    'string-slice': () => [],
    'comma-string-slice': () => [],
    'comma-int-slice': () => [],
    header: () => ({}),
    time: () => 0,
  };
  return zeros[type]();
}

/** Go's name for a JSON value's dynamic type, as mapstructure reports it. */
function goTypeName(raw: unknown): string {
  if (Array.isArray(raw)) return '[]interface {}';
  if (raw === null) return 'nil';
  switch (typeof raw) {
    case 'string':
      return 'string';
    case 'number':
      return Number.isInteger(raw) ? 'int' : 'float64';
    case 'boolean':
      return 'bool';
    case 'object':
      return 'map[string]interface {}';
    default:
      return typeof raw;
  }
}

function isPlainObject(raw: unknown): raw is Record<string, unknown> {
  return typeof raw === 'object' && raw !== null && !Array.isArray(raw);
}

/** Set an own property, so a caller's "__proto__" key stays an ordinary key. */
function setOwn<T>(target: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

function toStr(raw: unknown): string {
  if (typeof raw === 'string') return raw;
  if (typeof raw === 'number' && Number.isFinite(raw)) return String(raw);
  if (typeof raw === 'boolean') return raw ? 'true' : 'false';
  throw new Error(`expected type 'string', got unconvertible type '${goTypeName(raw)}'`);
}

function toInt(raw: unknown): number {
  if (typeof raw === 'number') {
    if (!Number.isInteger(raw)) throw new Error(`strconv.ParseInt: parsing "${raw}": invalid syntax`);
    if (!Number.isSafeInteger(raw)) throw new Error(`strconv.ParseInt: parsing "${raw}": value out of range`);
    return raw;
  }
  if (typeof raw === 'boolean') return raw ? 1 : 0;
  if (typeof raw === 'string') {
    // An empty string decodes to the zero value, as Go's weak decoding does.
    if (raw === '') return 0;
    if (!/^[+-]?[0-9]+$/.test(raw)) throw new Error(`strconv.ParseInt: parsing "${raw}": invalid syntax`);
    const n = Number(raw);
    if (!Number.isSafeInteger(n)) throw new Error(`strconv.ParseInt: parsing "${raw}": value out of range`);
    return n;
  }
  throw new Error(`expected type 'int', got unconvertible type '${goTypeName(raw)}'`);
}

function toFloat(raw: unknown): number {
  if (typeof raw === 'number') return raw;
  if (typeof raw === 'boolean') return raw ? 1 : 0;
  if (typeof raw === 'string') {
    if (raw === '') return 0;
    if (!/^[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$/.test(raw)) {
      throw new Error(`strconv.ParseFloat: parsing "${raw}": invalid syntax`);
    }
    return Number(raw);
  }
  throw new Error(`expected type 'float64', got unconvertible type '${goTypeName(raw)}'`);
}

const TRUE_STRINGS = new Set(['1', 't', 'T', 'true', 'TRUE', 'True']);
const FALSE_STRINGS = new Set(['0', 'f', 'F', 'false', 'FALSE', 'False', '']);

function toBool(raw: unknown): boolean {
  if (typeof raw === 'boolean') return raw;
  if (typeof raw === 'number') return raw !== 0;
  if (typeof raw === 'string') {
    if (TRUE_STRINGS.has(raw)) return true;
    if (FALSE_STRINGS.has(raw)) return false;
    throw new Error(`strconv.ParseBool: parsing "${raw}": invalid syntax`);
  }
  throw new Error(`expected type 'bool', got unconvertible type '${goTypeName(raw)}'`);
}

function toMap(raw: unknown): Record<string, unknown> {
  if (isPlainObject(raw)) return raw;
  throw new Error(`expected a map, got '${goTypeName(raw)}'`);
}

function toStringList(raw: unknown): string[] {
  if (Array.isArray(raw)) return raw.map(toStr);
  if (raw === '') return [];
  return [toStr(raw)];
}

/** Vault's TypeKVPairs: a map of strings, or a list of "key=value" strings. */
function toStringMap(raw: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (isPlainObject(raw)) {
    for (const [k, v] of Object.entries(raw)) setOwn(out, k, toStr(v));
    return out;
  }
  for (const pair of toStringList(raw)) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new Error(`invalid key pair ${JSON.stringify(pair)}`);
    setOwn(out, pair.slice(0, eq), pair.slice(eq + 1));
  }
  return out;
}

function toCommaStrings(raw: unknown): string[] {
  if (Array.isArray(raw)) return raw.map((v) => toStr(v).trim());
  const s = toStr(raw);
  if (s === '') return [];
  return s.split(',').map((part) => part.trim());
}

function toCommaInts(raw: unknown): number[] {
  if (Array.isArray(raw)) return raw.map(toInt);
  if (typeof raw === 'string') {
    if (raw.trim() === '') return [];
    return raw.split(',').map((part) => toInt(part.trim()));
  }
  return [toInt(raw)];
}

/** Go's http.CanonicalHeaderKey: "x-vault-token" -> "X-Vault-Token". */
export function canonicalHeaderName(name: string): string {
  return name
    .split('-')
    .map((part) => (part === '' ? part : part[0]!.toUpperCase() + part.slice(1).toLowerCase()))
    .join('-');
}

function toHeader(raw: unknown): Record<string, string[]> {
  let source = raw;
  if (typeof raw === 'string') {
    // Vault accepts a header map serialised as JSON, or as base64 of that JSON.
    const text = raw.trim().startsWith('{') ? raw : Buffer.from(raw, 'base64').toString('utf8');
    try {
      source = JSON.parse(text) as unknown;
    } catch {
      throw new Error('header must be a JSON object of strings or lists of strings');
    }
  }
  if (!isPlainObject(source)) throw new Error(`expected a map, got '${goTypeName(source)}'`);
  const out: Record<string, string[]> = {};
  for (const [k, v] of Object.entries(source)) {
    const name = canonicalHeaderName(k);
    const values = Array.isArray(v) ? v.map(toStr) : [toStr(v)];
    const earlier = Object.prototype.hasOwnProperty.call(out, name) ? out[name]! : [];
    setOwn(out, name, [...earlier, ...values]);
  }
  return out;
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})$/;

function toTime(raw: unknown): number {
  if (typeof raw === 'number' || (typeof raw === 'string' && /^[+-]?[0-9]+$/.test(raw))) {
    return toInt(raw) * 1000;
  }
  if (typeof raw === 'string') {
    const ms = RFC3339.test(raw) ? Date.parse(raw) : NaN;
    if (Number.isNaN(ms)) throw new Error(`parsing time ${JSON.stringify(raw)} as "2006-01-02T15:04:05Z07:00": cannot parse`);
    return ms;
  }
  throw new Error(`expected a time, got '${goTypeName(raw)}'`);
}

/** Vault's name rule: alphanumeric at both ends, '.', '-' and '_' allowed inside. */
const NAME_RULE = /^\w(?:[\w.-]*\w)?$/;

function toName(raw: unknown): string {
  const s = toStr(raw);
  if (!NAME_RULE.test(s)) throw new Error('field does not match the formatting rules');
  return s;
}

const COERCIONS: { [K in FieldType]: (raw: unknown) => FieldValueTypes[K] } = {
  string: toStr,
  'lowercase-string': (raw) => toStr(raw).toLowerCase(),
  name: toName,
  int: toInt,
  float: toFloat,
  bool: toBool,
  duration: (raw) => {
    if (typeof raw === 'boolean' || typeof raw === 'object') {
      throw new Error(`expected a duration, got '${goTypeName(raw)}'`);
    }
    return parseDurationSeconds(raw);
  },
  map: toMap,
  'string-map': toStringMap,
  'string-slice': toStringList,
  'comma-string-slice': toCommaStrings,
  'comma-int-slice': toCommaInts,
  header: toHeader,
  time: toTime,
};

/** Convert raw input to the field's type; throws Error with Vault's inner message. */
export function coerce<T extends FieldType>(type: T, raw: unknown): FieldValueTypes[T] {
  return COERCIONS[type](raw);
}
