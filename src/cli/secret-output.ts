/**
 * Printing a response envelope (Vault's "secret") in the three output formats and for -field,
 * the way `vault read`, `vault write` and friends print it: lease rows first, then auth and
 * wrapping rows, then the data keys sorted; warnings go to stderr so stdout stays parsable.
 */
import type { Secret } from './client.js';
import { CommandFailure, EXIT_LOCAL, EXIT_OK, EXIT_REMOTE } from './command.js';
import { columns, formatStructured, formatValue, humanDuration, keyValueTable, objectRows, quotedList, type OutputFormat } from './format.js';
import type { Ui } from './ui.js';

function record(v: unknown): Record<string, unknown> | undefined {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}

function num(v: unknown): number {
  return typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' && !Number.isNaN(Number(v)) ? Number(v) : 0;
}

/** The envelope with the fields and order of Vault's api.Secret, for json/yaml output. */
export function secretForOutput(secret: Secret): Record<string, unknown> {
  const out: Record<string, unknown> = {
    request_id: secret.request_id ?? '',
    lease_id: secret.lease_id ?? '',
    lease_duration: num(secret.lease_duration),
    renewable: secret.renewable === true,
    data: secret.data ?? null,
    warnings: secret.warnings ?? null,
  };
  if (record(secret.auth) !== undefined) out['auth'] = secret.auth;
  if (record(secret.wrap_info) !== undefined) out['wrap_info'] = secret.wrap_info;
  if (typeof secret.mount_type === 'string' && secret.mount_type !== '') out['mount_type'] = secret.mount_type;
  return out;
}

/** Warnings the server attached, on stderr in table mode (machine formats carry them inline). */
export function printWarnings(ui: Ui, secret: Secret): void {
  const warnings = secret.warnings;
  if (!Array.isArray(warnings) || warnings.length === 0) return;
  ui.err('WARNING! The following warnings were returned from the server:\n');
  for (const w of warnings) ui.err(`  * ${String(w)}`);
  ui.err('');
}

/** Table rows for an envelope: lease, auth, wrapping, then data. */
export function secretRows(secret: Secret): [string, string][] {
  const rows: [string, string][] = [];
  const leaseDuration = num(secret.lease_duration);
  if (leaseDuration > 0) {
    if (typeof secret.lease_id === 'string' && secret.lease_id !== '') {
      rows.push(['lease_id', secret.lease_id], ['lease_duration', humanDuration(leaseDuration)], ['lease_renewable', String(secret.renewable === true)]);
    } else {
      rows.push(['refresh_interval', humanDuration(leaseDuration)]);
    }
  }
  const auth = record(secret.auth);
  if (auth !== undefined) {
    const ttl = num(auth['lease_duration']);
    rows.push(
      ['token', formatValue(auth['client_token'] ?? '')],
      ['token_accessor', formatValue(auth['accessor'] ?? '')],
      ['token_duration', ttl === 0 ? '∞' : humanDuration(ttl)],
      ['token_renewable', String(auth['renewable'] === true)],
      ['token_policies', quotedList(auth['token_policies'])],
      ['identity_policies', quotedList(auth['identity_policies'])],
      ['policies', quotedList(auth['policies'])],
    );
    const meta = record(auth['metadata']);
    if (meta !== undefined) for (const [k, v] of objectRows(meta)) rows.push([`token_meta_${k}`, v]);
  }
  const wrap = record(secret.wrap_info);
  if (wrap !== undefined) {
    rows.push(
      ['wrapping_token:', formatValue(wrap['token'] ?? '')],
      ['wrapping_accessor:', formatValue(wrap['accessor'] ?? '')],
      ['wrapping_token_ttl:', humanDuration(num(wrap['ttl']))],
      ['wrapping_token_creation_time:', formatValue(wrap['creation_time'] ?? '')],
      ['wrapping_token_creation_path:', formatValue(wrap['creation_path'] ?? '')],
    );
    if (typeof wrap['wrapped_accessor'] === 'string' && wrap['wrapped_accessor'] !== '') rows.push(['wrapped_accessor:', wrap['wrapped_accessor']]);
  }
  const data = record(secret.data);
  if (data !== undefined) rows.push(...objectRows(data));
  return rows;
}

/** The value -field names: envelope pseudo-fields first, then data keys. */
export function fieldValue(secret: Secret, field: string): unknown {
  const auth = record(secret.auth) ?? {};
  const wrap = record(secret.wrap_info) ?? {};
  switch (field) {
    case 'wrapping_token':
      return wrap['token'];
    case 'wrapping_accessor':
      return wrap['accessor'];
    case 'wrapping_token_ttl':
      return wrap['ttl'];
    case 'wrapping_token_creation_time':
      return wrap['creation_time'];
    case 'wrapping_token_creation_path':
      return wrap['creation_path'];
    case 'wrapped_accessor':
      return wrap['wrapped_accessor'];
    case 'refresh_interval':
      return num(secret.lease_duration) > 0 && !secret.lease_id ? humanDuration(num(secret.lease_duration)) : undefined;
    case 'lease_id':
      return secret.lease_id || undefined;
    case 'lease_duration':
      return secret.lease_id ? humanDuration(num(secret.lease_duration)) : undefined;
    case 'lease_renewable':
      return secret.lease_id ? secret.renewable === true : undefined;
    case 'token':
      return auth['client_token'];
    case 'token_accessor':
      return auth['accessor'];
    case 'token_duration':
      return secret.auth ? humanDuration(num(auth['lease_duration'])) : undefined;
    case 'token_renewable':
      return auth['renewable'];
    case 'token_policies':
    case 'identity_policies':
    case 'policies':
      return auth[field];
    default:
      return record(secret.data)?.[field];
  }
}

/** Print one value raw: no trailing newline unless stdout is a terminal (Vault's -field). */
export function printRaw(ui: Ui, format: OutputFormat, value: unknown): void {
  const text = format === 'table' ? formatValue(value) : formatStructured(format, value);
  ui.raw(ui.stdoutIsTTY ? `${text}\n` : text);
}

/** -field on a response; a missing field is a local error, as in Vault. */
export function printField(ui: Ui, format: OutputFormat, secret: Secret, field: string): number {
  const value = fieldValue(secret, field);
  if (value === undefined || value === null) throw new CommandFailure(`Field "${field}" not present in secret`, EXIT_LOCAL);
  printRaw(ui, format, value);
  return EXIT_OK;
}

/** Print a whole response envelope in the chosen format. */
export function printSecret(ui: Ui, format: OutputFormat, secret: Secret, field = ''): number {
  if (field !== '') return printField(ui, format, secret, field);
  if (format !== 'table') {
    ui.out(formatStructured(format, secretForOutput(secret)));
    return EXIT_OK;
  }
  printWarnings(ui, secret);
  const rows = secretRows(secret);
  if (rows.length > 0) ui.out(keyValueTable(rows));
  return EXIT_OK;
}

/** Print a LIST response: a "Keys" column, or the bare array in json/yaml. */
export function printList(ui: Ui, format: OutputFormat, secret: Secret | undefined, path: string): number {
  const data = record(secret?.data);
  if (secret === undefined || data === undefined) throw new CommandFailure(`No value found at ${path}`, EXIT_REMOTE);
  const keys = data['keys'];
  if (!Array.isArray(keys)) throw new CommandFailure(`No entries found at ${path}`, EXIT_REMOTE);
  if (format !== 'table') {
    ui.out(formatStructured(format, keys));
    return EXIT_OK;
  }
  printWarnings(ui, secret);
  ui.out(columns([['Keys'], ['----'], ...keys.map((k) => [formatValue(k)])]));
  return EXIT_OK;
}

/** Any JSON value in a machine format, or via the given table renderer. */
export function printStructuredOr(ui: Ui, format: OutputFormat, value: unknown, renderTable: () => string): number {
  ui.out(format === 'table' ? renderTable() : formatStructured(format, value));
  return EXIT_OK;
}
