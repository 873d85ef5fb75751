/**
 * Typed readers for configuration attributes. Each reader takes one HclItem and either
 * returns a value or throws ConfigError naming the file, the line, the stanza and the key.
 * Values are never echoed in messages: they can be secrets.
 */
import { parseDurationSeconds } from '../util/duration.js';
import { ConfigError } from './config-error.js';
import type { HclBody, HclItem, HclValue } from './hcl.js';

/** Where an item lives: its file, and the stanza ("" at top level, `listener "tcp"`, `telemetry`). */
export interface Scope {
  readonly file: string;
  readonly where: string;
}

export function fail(scope: Scope, line: number | undefined, problem: string): never {
  throw new ConfigError(scope.file, scope.where === '' ? problem : `${scope.where}: ${problem}`, line);
}

export type Decode<T> = (scope: Scope, item: HclItem) => T;

/** A value with the place it was set, so merge and cross-field checks can still point at it. */
export interface Sourced<T> {
  readonly value: T;
  readonly file: string;
  readonly line: number;
}

/** Per-field decoders of a settings type, keyed by the Vault configuration key. */
export type FieldTable<T> = { readonly [K in keyof T]-?: readonly [vaultKey: string, decode: Decode<T[K]>] };
export type SourcedFields<T> = { -readonly [K in keyof T]?: Sourced<T[K]> };

/**
 * Decodes `item` into `out` if the table knows its key; returns false when it does not.
 * A key set twice in one file is an error: one of the two is surely a mistake.
 */
export function decodeField<T>(table: FieldTable<T>, scope: Scope, item: HclItem, out: SourcedFields<T>): boolean {
  for (const field of Object.keys(table) as (keyof T & string)[]) {
    const [vaultKey, decode] = table[field];
    if (vaultKey !== item.key) continue;
    if (out[field] !== undefined) fail(scope, item.line, `duplicate key ${JSON.stringify(item.key)} (first set on line ${out[field].line})`);
    out[field] = { value: decode(scope, item), file: scope.file, line: item.line };
    return true;
  }
  return false;
}

/** Decodes every item of a block body through the table; unknown keys are errors. */
export function decodeBody<T>(table: FieldTable<T>, scope: Scope, body: HclBody, out: SourcedFields<T>): void {
  for (const item of body.items) {
    if (!decodeField(table, scope, item, out)) fail(scope, item.line, `unknown key ${JSON.stringify(item.key)}`);
  }
}

/** The item's value, rejecting `key "label" { }` where an attribute was expected. */
function scalar(scope: Scope, item: HclItem, expected: string): HclValue {
  if (item.labels.length > 0 || item.value.kind === 'object' || item.value.kind === 'list') {
    fail(scope, item.line, `${JSON.stringify(item.key)} must be ${expected}`);
  }
  return item.value;
}

export const asString: Decode<string> = (scope, item) => {
  const v = scalar(scope, item, 'a string');
  if (v.kind !== 'string') fail(scope, item.line, `${JSON.stringify(item.key)} must be a string`);
  return v.value;
};

/** A non-empty string. */
export const asNonEmptyString: Decode<string> = (scope, item) => {
  const s = asString(scope, item);
  if (s.trim() === '') fail(scope, item.line, `${JSON.stringify(item.key)} must not be empty`);
  return s;
};

/** The spellings Go's strconv.ParseBool accepts, which is what Vault applies to string booleans. */
const TRUE_WORDS = new Set(['1', 't', 'T', 'true', 'TRUE', 'True']);
const FALSE_WORDS = new Set(['0', 'f', 'F', 'false', 'FALSE', 'False']);

export const asBool: Decode<boolean> = (scope, item) => {
  const v = scalar(scope, item, 'a boolean');
  if (v.kind === 'bool') return v.value;
  if (v.kind === 'number' && (v.value === 0 || v.value === 1)) return v.value === 1;
  if (v.kind === 'string') {
    const s = v.value.trim();
    if (TRUE_WORDS.has(s)) return true;
    if (FALSE_WORDS.has(s)) return false;
  }
  fail(scope, item.line, `${JSON.stringify(item.key)} must be a boolean (true/false)`);
};

/** A safe integer, written as a number or a decimal string. */
export const asInt: Decode<number> = (scope, item) => {
  const v = scalar(scope, item, 'an integer');
  let n = NaN;
  if (v.kind === 'number') n = v.value;
  else if (v.kind === 'string' && /^\s*-?[0-9]+\s*$/.test(v.value)) n = Number(v.value);
  if (!Number.isSafeInteger(n)) fail(scope, item.line, `${JSON.stringify(item.key)} must be an integer`);
  return n;
};

export const asPositiveInt: Decode<number> = (scope, item) => {
  const n = asInt(scope, item);
  if (n <= 0) fail(scope, item.line, `${JSON.stringify(item.key)} must be greater than zero`);
  return n;
};

export const asNonNegativeInt: Decode<number> = (scope, item) => {
  const n = asInt(scope, item);
  if (n < 0) fail(scope, item.line, `${JSON.stringify(item.key)} must not be negative`);
  return n;
};

/** Whole seconds from "768h", "30m", "90s" or a number of seconds; never negative. */
export const asDuration: Decode<number> = (scope, item) => {
  const v = scalar(scope, item, 'a duration');
  if (v.kind !== 'string' && v.kind !== 'number') fail(scope, item.line, `${JSON.stringify(item.key)} must be a duration such as "768h"`);
  let seconds: number;
  try {
    seconds = parseDurationSeconds(v.value);
  } catch {
    fail(scope, item.line, `${JSON.stringify(item.key)}: invalid duration (expected a value such as "30s", "15m" or "768h")`);
  }
  if (seconds < 0 || !Number.isSafeInteger(seconds)) fail(scope, item.line, `${JSON.stringify(item.key)}: duration must not be negative`);
  return seconds;
};

/** One of `allowed` (case-insensitive), with optional aliases mapped to canonical values. */
export function asEnum<T extends string>(allowed: readonly T[], aliases: Readonly<Record<string, T>> = {}): Decode<T> {
  return (scope, item) => {
    const s = asString(scope, item).trim().toLowerCase();
    const found = allowed.find((a) => a === s) ?? (Object.hasOwn(aliases, s) ? aliases[s] : undefined);
    if (found === undefined) {
      const choices = [...allowed, ...Object.keys(aliases)].join(', ');
      fail(scope, item.line, `${JSON.stringify(item.key)} must be one of: ${choices}`);
    }
    return found;
  };
}

/** An absolute http(s) URL, as api_addr and cluster_addr must be. */
export const asHttpUrl: Decode<string> = (scope, item) => {
  const s = asNonEmptyString(scope, item).trim();
  let ok = false;
  try {
    const url = new URL(s);
    ok = (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '';
  } catch {
    ok = false;
  }
  if (!ok) fail(scope, item.line, `${JSON.stringify(item.key)}: invalid address (expected a URL such as "https://vault.example.com:8200")`);
  return s;
};
