/**
 * The audit broker: the enabled devices of this node, their table in local storage, and the
 * one place entries are written. Fail closed: when devices are enabled and none records an
 * entry, the broker throws and the request fails with Vault's 500 "internal error".
 *
 * The table (devices with their HMAC salts, and the audited request headers) lives at
 * AUDIT_TABLE, local storage encrypted by the barrier: each cluster's devices are its own.
 * It is loaded at unseal (`setup`) and the devices closed at seal (`teardown`).
 */
import { randomBytes } from 'node:crypto';
import type { Clock } from '../clock.js';
import { BadRequestError, InternalError } from '../errors.js';
import { formatTime } from '../framework/time-format.js';
import type { Request } from '../logical/request.js';
import type { Storage } from '../logical/storage.js';
import { AUDIT_TABLE } from '../storage/keys.js';
import type { Logger } from '../util/logger.js';
import { uuid } from '../util/random.js';
import { SerialQueue } from '../util/serial-queue.js';
import { createDevice, DEVICE_TYPES, restoreDevice, type AuditDeviceEntry, type DeviceType, type LiveDevice } from './device.js';
import { buildEntry, type EntryType, type LogInput } from './entry.js';
import { FileSink } from './file-sink.js';
import { canonicalHeader, type HeaderConfig } from './headers.js';
import { auditTrail, type AuditTrail } from './trail.js';

/** What is persisted at AUDIT_TABLE. */
interface AuditTableDoc {
  readonly devices: readonly AuditDeviceEntry[];
  /** Canonical header name -> settings. */
  readonly headers: Readonly<Record<string, HeaderConfig>>;
}

export interface EnableSpec {
  readonly path: string;
  readonly type: string;
  readonly description: string;
  readonly options: Readonly<Record<string, string>>;
  readonly local: boolean;
}

export interface AuditBrokerDeps {
  readonly storage: Storage;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Told about every entry no device could record (telemetry's failure counters). */
  readonly onFailure?: (type: EntryType) => void;
}

export function normalizeAuditPath(path: string): string {
  const p = path.trim().replace(/^\/+/, '');
  return p.endsWith('/') ? p : `${p}/`;
}

export class AuditBroker {
  /** Sorted by path; replaced (never mutated) so a write in progress keeps its snapshot. */
  private devices: readonly LiveDevice[] = [];
  private headers = new Map<string, HeaderConfig>();
  /** Lower-case header name -> hashed?, what entries read. */
  private headerIndex = new Map<string, boolean>();
  private readonly changes = new SerialQueue();

  constructor(private readonly deps: AuditBrokerDeps) {}

  /** Whether any device is enabled (the pipeline's fast path skips auditing when not). */
  get enabled(): boolean {
    return this.devices.length > 0;
  }

  /** The pipeline's audit step for one request; undefined when it is not audited. */
  trail(req: Request): AuditTrail | undefined {
    return auditTrail(this, req);
  }

  get auditedHeaders(): ReadonlyMap<string, boolean> {
    return this.headerIndex;
  }

  /** After unseal: restore the devices and header settings from the table. */
  async setup(): Promise<void> {
    const doc = await this.load();
    this.devices = doc.devices.map(restoreDevice);
    this.setHeaders(doc.headers);
    for (const d of this.devices) this.deps.logger.info('audit: restored device', { path: d.entry.path, type: d.entry.type });
  }

  /** Before seal: close every device. */
  async teardown(): Promise<void> {
    const devices = this.devices;
    this.devices = [];
    this.setHeaders({});
    await Promise.all(devices.map((d) => d.sink.close().catch(() => undefined)));
  }

  list(): readonly AuditDeviceEntry[] {
    return this.devices.map((d) => d.entry);
  }

  enable(spec: EnableSpec): Promise<void> {
    return this.changes.run(async () => {
      const path = normalizeAuditPath(spec.path);
      if (path === '/') throw new BadRequestError('audit device path must not be empty');
      if (!(DEVICE_TYPES as readonly string[]).includes(spec.type)) throw new BadRequestError(`unknown backend type: "${spec.type}"`);
      for (const d of this.devices) {
        if (d.entry.path.startsWith(path) || path.startsWith(d.entry.path)) throw new BadRequestError('path already in use');
      }
      const entry: AuditDeviceEntry = {
        path,
        type: spec.type as DeviceType,
        description: spec.description,
        options: { ...spec.options },
        local: spec.local,
        uuid: uuid(),
        salt: randomBytes(32).toString('hex'),
      };
      const device = createDevice(entry);
      const sink = device.sink;
      if (sink instanceof FileSink) {
        await sink.check().catch((err: unknown) => {
          throw new BadRequestError(`sanity check failed; unable to open "${sink.path}" for writing: ${(err as Error).message}`);
        });
      }
      const next = [...this.devices, device].sort((a, b) => (a.entry.path < b.entry.path ? -1 : 1));
      try {
        await this.save(next.map((d) => d.entry), this.headers);
      } catch (err) {
        await device.sink.close().catch(() => undefined);
        throw err;
      }
      this.devices = next;
      this.deps.logger.info('audit: enabled device', { path, type: entry.type });
    });
  }

  /** Disable a device; false when none is at that path (not an error, as in Vault). */
  disable(rawPath: string): Promise<boolean> {
    return this.changes.run(async () => {
      const path = normalizeAuditPath(rawPath);
      const device = this.devices.find((d) => d.entry.path === path);
      if (device === undefined) return false;
      const next = this.devices.filter((d) => d !== device);
      await this.save(next.map((d) => d.entry), this.headers);
      this.devices = next;
      await device.sink.close().catch(() => undefined);
      this.deps.logger.info('audit: disabled device', { path });
      return true;
    });
  }

  /** sys/audit-hash: the value as the device at `path` would log it. */
  hash(rawPath: string, input: string): string {
    const path = normalizeAuditPath(rawPath);
    const device = this.devices.find((d) => d.entry.path === path);
    if (device === undefined) throw new BadRequestError(`unknown audit backend ${path}`);
    return device.hasher.hash(input);
  }

  /** SIGHUP: reopen every device's file or connection. Returns the devices that failed. */
  async reopen(): Promise<{ path: string; error: string }[]> {
    const failed: { path: string; error: string }[] = [];
    await Promise.all(
      this.devices.map((d) =>
        d.sink.reopen().catch((err: unknown) => {
          failed.push({ path: d.entry.path, error: (err as Error).message });
        }),
      ),
    );
    return failed;
  }

  headerSettings(): ReadonlyMap<string, HeaderConfig> {
    return this.headers;
  }

  setHeader(name: string, config: HeaderConfig): Promise<void> {
    return this.changes.run(async () => {
      const next = Object.fromEntries(this.headers);
      next[canonicalHeader(name)] = config;
      await this.save(this.list(), next);
      this.setHeaders(next);
    });
  }

  deleteHeader(name: string): Promise<void> {
    return this.changes.run(async () => {
      const next = Object.fromEntries(this.headers);
      delete next[canonicalHeader(name)];
      await this.save(this.list(), next);
      this.setHeaders(next);
    });
  }

  /**
   * Write one entry to every device. Resolves when at least one recorded it (or none is
   * enabled); otherwise throws InternalError ("internal error", 500) and the request stops.
   */
  async log(type: EntryType, input: LogInput): Promise<void> {
    const devices = this.devices;
    if (devices.length === 0) return;
    const time = formatTime(this.deps.clock.now());
    let recorded = 0;
    let lastError: unknown;
    await Promise.all(
      devices.map(async (d) => {
        try {
          const line = `${d.prefix}${JSON.stringify(buildEntry(type, input, time, d.format))}\n`;
          await d.sink.write(Buffer.from(line, 'utf8'));
          recorded++;
        } catch (err) {
          lastError = err;
          this.deps.logger.error('audit: device failed to log entry', { path: d.entry.path, type, error: (err as Error).message ?? String(err) });
        }
      }),
    );
    if (recorded === 0) {
      this.deps.onFailure?.(type);
      this.deps.logger.error(`audit: no device recorded the ${type}; failing the request`, { request_path: input.request.path });
      throw new InternalError('internal error', { cause: lastError });
    }
  }

  private setHeaders(headers: Readonly<Record<string, HeaderConfig>>): void {
    this.headers = new Map(Object.entries(headers));
    this.headerIndex = new Map([...this.headers].map(([name, c]) => [name.toLowerCase(), c.hmac]));
  }

  private async load(): Promise<AuditTableDoc> {
    const raw = await this.deps.storage.get(AUDIT_TABLE);
    if (raw === undefined) return { devices: [], headers: {} };
    const doc = JSON.parse(raw.toString('utf8')) as Partial<AuditTableDoc>;
    return { devices: doc.devices ?? [], headers: doc.headers ?? {} };
  }

  private async save(devices: readonly AuditDeviceEntry[], headers: ReadonlyMap<string, HeaderConfig> | Readonly<Record<string, HeaderConfig>>): Promise<void> {
    const doc: AuditTableDoc = { devices, headers: headers instanceof Map ? Object.fromEntries(headers) : (headers as Record<string, HeaderConfig>) };
    await this.deps.storage.put(AUDIT_TABLE, Buffer.from(JSON.stringify(doc), 'utf8'));
  }
}
