/**
 * sys/ endpoints of the audit broker: sys/audit (list), sys/audit/:path (enable, disable),
 * sys/audit-hash/:path and sys/config/auditing/request-headers(/:header). Field names, shapes
 * and texts follow Vault; all but audit-hash are root-protected (see root-paths.ts).
 */
import { BadRequestError } from '../errors.js';
import { definePath, type PathDef } from '../framework/index.js';
import type { Core } from '../core/core.js';
import { canonicalHeader } from '../audit/headers.js';
import type { AuditDeviceEntry } from '../audit/device.js';

function renderDevice(e: AuditDeviceEntry): Record<string, unknown> {
  return { type: e.type, description: e.description, options: e.options, local: e.local, path: e.path };
}

/** Device options are a string map in Vault; numbers and booleans sent as JSON are stringified. */
function optionStrings(raw: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(raw)) {
    if (v === null || v === undefined) continue;
    if (typeof v === 'object') throw new BadRequestError(`invalid value for option "${k}": expected a string`);
    out[k] = String(v);
  }
  return out;
}

export function auditPaths(core: Core): PathDef[] {
  const broker = core.audit;
  return [
    definePath({
      pattern: 'audit',
      fields: {},
      operations: {
        read: async () => {
          const data: Record<string, unknown> = {};
          for (const e of broker.list()) data[e.path] = renderDevice(e);
          return { data, legacyTopLevel: true };
        },
      },
      synopsis: 'List the enabled audit devices.',
      description: 'Every enabled audit device with its type, description, options and local flag.',
    }),
    definePath({
      pattern: 'audit/(?<path>.+)',
      fields: {
        path: { type: 'string', description: 'Where the device is enabled, e.g. "file".' },
        type: { type: 'string', description: 'The device type: file or socket.' },
        description: { type: 'string', description: 'A human-friendly description.' },
        options: { type: 'map', description: 'Device options (file_path, mode, address, log_raw, hmac_accessor, format, prefix, ...).' },
        local: { type: 'bool', description: 'Mark the device local to this cluster (audit devices are never replicated).' },
      },
      operations: {
        update: async (_req, f) => {
          await broker.enable({
            path: f.get('path'),
            type: f.get('type'),
            description: f.get('description'),
            options: optionStrings(f.get('options')),
            local: f.get('local'),
          });
          return undefined;
        },
        delete: async (_req, f) => {
          await broker.disable(f.get('path'));
          return undefined;
        },
      },
      synopsis: 'Enable or disable an audit device.',
      description: 'PUT enables a device at the path; DELETE disables it (its log files are left as they are).',
    }),
    definePath({
      pattern: 'audit-hash/(?<path>.+)',
      fields: {
        path: { type: 'string', description: 'The audit device path.' },
        input: { type: 'string', description: 'The value to hash with the device\'s key.', sensitive: true },
      },
      operations: {
        update: async (_req, f) => ({ data: { hash: broker.hash(f.get('path'), f.get('input')) }, legacyTopLevel: true }),
      },
      synopsis: 'Hash a value the way an audit device logs it.',
      description: 'Returns hmac-sha256:<hex> of the input under the device\'s key, to find a known value in its log.',
    }),
    definePath({
      pattern: 'config/auditing/request-headers',
      fields: {},
      operations: {
        read: async () => {
          const headers: Record<string, unknown> = {};
          for (const [name, c] of broker.headerSettings()) headers[name] = { hmac: c.hmac };
          return { data: { headers }, legacyTopLevel: true };
        },
      },
      synopsis: 'List the audited request headers.',
      description: 'Request headers copied into audit entries, and whether each is hashed.',
    }),
    definePath({
      pattern: 'config/auditing/request-headers/(?<header>.+)',
      fields: {
        header: { type: 'string', description: 'The header name.' },
        hmac: { type: 'bool', description: 'Hash the header\'s value in audit entries.' },
      },
      operations: {
        read: async (_req, f) => {
          const name = canonicalHeader(f.get('header'));
          const c = broker.headerSettings().get(name);
          return c === undefined ? undefined : { data: { [name]: { hmac: c.hmac } }, legacyTopLevel: true };
        },
        update: async (_req, f) => {
          const name = f.get('header');
          if (name.trim() === '') throw new BadRequestError('missing header name');
          await broker.setHeader(name, { hmac: f.get('hmac') });
          return undefined;
        },
        delete: async (_req, f) => {
          await broker.deleteHeader(f.get('header'));
          return undefined;
        },
      },
      synopsis: 'Configure one audited request header.',
      description: 'PUT adds or changes the header (hmac: hash its value); DELETE stops auditing it.',
    }),
  ];
}
