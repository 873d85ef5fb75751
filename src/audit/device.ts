/**
 * Audit device configuration: the persisted table entry, the options Vault's devices accept,
 * and the live device (sink + entry format) built from them.
 *
 * Common options: format ("json"), prefix, log_raw, hmac_accessor, elide_list_responses.
 * file: file_path (a path, "stdout" or "discard"; "path" is Vault's old spelling), mode.
 * socket: address, socket_type (tcp, udp, unix), write_timeout.
 * Options are strings, as Vault stores them; they are validated when the device is enabled.
 */
import { BadRequestError } from '../errors.js';
import { BrokenSink, DiscardSink, FileSink, StdoutSink, type AuditSink } from './file-sink.js';
import type { EntryFormat } from './entry.js';
import { Hasher, identity } from './hasher.js';
import { SocketSink, type SocketType } from './socket-sink.js';

export const DEVICE_TYPES = ['file', 'socket'] as const;
export type DeviceType = (typeof DEVICE_TYPES)[number];

/** One row of the audit table (AUDIT_TABLE, local storage, encrypted by the barrier). */
export interface AuditDeviceEntry {
  /** With a trailing slash, e.g. "file/". */
  readonly path: string;
  readonly type: DeviceType;
  readonly description: string;
  readonly options: Readonly<Record<string, string>>;
  readonly local: boolean;
  readonly uuid: string;
  /** Hex HMAC key of this device. Never rendered. */
  readonly salt: string;
}

export interface LiveDevice {
  readonly entry: AuditDeviceEntry;
  readonly format: EntryFormat;
  readonly prefix: string;
  readonly hasher: Hasher;
  readonly sink: AuditSink;
}

function boolOption(options: Readonly<Record<string, string>>, name: string, fallback: boolean): boolean {
  const v = options[name];
  if (v === undefined || v === '') return fallback;
  if (['1', 't', 'T', 'true', 'TRUE', 'True'].includes(v)) return true;
  if (['0', 'f', 'F', 'false', 'FALSE', 'False'].includes(v)) return false;
  throw new BadRequestError(`unable to parse '${name}': invalid syntax: ${JSON.stringify(v)}`);
}

/** Octal file mode; undefined means "leave permissions alone" (Vault's "0000"). */
function fileMode(options: Readonly<Record<string, string>>): number | undefined {
  const v = options['mode'];
  if (v === undefined || v === '') return 0o600;
  if (!/^[0-7]{1,4}$/.test(v)) throw new BadRequestError(`unable to parse 'mode': invalid octal mode ${JSON.stringify(v)}`);
  const mode = parseInt(v, 8);
  if (mode === 0) return undefined;
  if ((mode & 0o111) !== 0) throw new BadRequestError(`file mode ${JSON.stringify(v)} is not valid: audit files cannot be executable`);
  return mode;
}

/** "2s", "500ms", "1m" or a number of seconds. */
function timeoutMs(options: Readonly<Record<string, string>>): number {
  const v = options['write_timeout'];
  if (v === undefined || v === '') return 2000;
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(v.trim());
  if (m === null) throw new BadRequestError(`unable to parse 'write_timeout': invalid duration ${JSON.stringify(v)}`);
  const n = Number(m[1]);
  const ms = m[2] === 'ms' ? n : m[2] === 'm' ? n * 60_000 : n * 1000;
  if (ms <= 0) throw new BadRequestError("'write_timeout' must be positive");
  return ms;
}

function commonFormat(entry: AuditDeviceEntry, hasher: Hasher): { format: EntryFormat; prefix: string } {
  const o = entry.options;
  const format = o['format'] ?? 'json';
  if (format !== 'json') throw new BadRequestError(`unsupported 'format': ${JSON.stringify(format)} (only "json" is supported)`);
  const raw = boolOption(o, 'log_raw', false);
  const hmacAccessor = boolOption(o, 'hmac_accessor', true);
  const hash = raw ? identity : hasher.hash;
  return {
    format: { hash, hashAccessor: hmacAccessor ? hash : identity, elideListResponses: boolOption(o, 'elide_list_responses', false) },
    prefix: o['prefix'] ?? '',
  };
}

function sinkFor(entry: AuditDeviceEntry): AuditSink {
  const o = entry.options;
  if (entry.type === 'file') {
    const path = o['file_path'] ?? o['path'] ?? '';
    if (path === '') throw new BadRequestError('file_path is required');
    if (path === 'stdout') return new StdoutSink();
    if (path === 'discard') return new DiscardSink();
    return new FileSink(path, fileMode(o));
  }
  const address = o['address'] ?? '';
  if (address === '') throw new BadRequestError('address is required');
  const type = (o['socket_type'] ?? 'tcp') as SocketType;
  if (type !== 'tcp' && type !== 'udp' && type !== 'unix') throw new BadRequestError(`unsupported 'socket_type': ${JSON.stringify(type)}`);
  try {
    return new SocketSink(address, type, timeoutMs(o));
  } catch (err) {
    if (err instanceof BadRequestError) throw err;
    throw new BadRequestError((err as Error).message);
  }
}

/** Build a live device; throws BadRequestError naming the bad option. */
export function createDevice(entry: AuditDeviceEntry): LiveDevice {
  const hasher = new Hasher(Buffer.from(entry.salt, 'hex'));
  const { format, prefix } = commonFormat(entry, hasher);
  return { entry, format, prefix, hasher, sink: sinkFor(entry) };
}

/**
 * A device restored from the table even if its options no longer work (e.g. a file option a
 * newer version rejects): it exists and fails every write, so requests fail closed instead
 * of going unaudited.
 */
export function restoreDevice(entry: AuditDeviceEntry): LiveDevice {
  try {
    return createDevice(entry);
  } catch (err) {
    const hasher = new Hasher(Buffer.from(entry.salt, 'hex'));
    return {
      entry,
      format: { hash: hasher.hash, hashAccessor: hasher.hash, elideListResponses: false },
      prefix: '',
      hasher,
      sink: new BrokenSink(`audit device ${entry.path} is misconfigured: ${(err as Error).message}`),
    };
  }
}
