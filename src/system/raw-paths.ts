/**
 * sys/raw: the storage below the mount system, decrypted by the barrier (read, write, delete,
 * list), as Vault's. Served only with `raw_storage_endpoint = true` in the configuration;
 * without it the paths do not exist (404 "unsupported path"). Root-protected (sudo), audited
 * like every request. The seal's own keys (the keyring, the canary) stay out of reach: the
 * barrier refuses them with 400.
 *
 * Writes change storage under the in-memory state built from it (mount tables, policies,
 * caches of engines), which does not notice: as in Vault this is a recovery tool, and a
 * restart (or the next reload) is what makes a raw change of such state take effect.
 */
import { BadRequestError } from '../errors.js';
import { definePath, type PathDef } from '../framework/index.js';
import type { Core } from '../core/core.js';

const fields = {
  path: { type: 'string', description: 'The storage key (or, to list, prefix).' },
  value: { type: 'string', description: 'The value to store.' },
  compressed: { type: 'bool', description: 'Accepted for compatibility: Arca never compresses stored values.', default: true },
  encoding: { type: 'string', description: 'Empty, or "base64": the value is (to be) base64-encoded.' },
  compression_type: { type: 'string', description: 'Only "" or "none": Arca stores values uncompressed.' },
} as const;

function encodingOf(name: string): 'utf8' | 'base64' {
  if (name === '') return 'utf8';
  if (name === 'base64') return 'base64';
  throw new BadRequestError(`invalid encoding "${name}"`);
}

export function rawPaths(core: Core): PathDef[] {
  if (!core.rawStorageEndpoint) return [];
  return [
    definePath({
      pattern: 'raw(?:/(?<path>.*))?',
      fields,
      operations: {
        read: async (_req, f) => {
          const key = f.get('path');
          if (key === '' || key.endsWith('/')) throw new BadRequestError('missing path; use LIST to see keys under a prefix');
          const encoding = encodingOf(f.get('encoding'));
          const value = await core.barrier.get(key);
          return value === undefined ? undefined : { data: { value: value.toString(encoding) } };
        },
        update: async (_req, f) => {
          const key = f.get('path');
          if (key === '' || key.endsWith('/')) throw new BadRequestError('missing path');
          const value = f.getOk('value');
          if (value === undefined) throw new BadRequestError('missing value');
          const compression = f.get('compression_type');
          if (compression !== '' && compression !== 'none') throw new BadRequestError(`unsupported compression type "${compression}": Arca stores values uncompressed`);
          const encoding = encodingOf(f.get('encoding'));
          if (encoding === 'base64' && !/^[A-Za-z0-9+/]*={0,2}$/.test(value)) throw new BadRequestError('value is not valid base64');
          await core.barrier.put(key, Buffer.from(value, encoding));
          return undefined;
        },
        delete: async (_req, f) => {
          const key = f.get('path');
          if (key === '' || key.endsWith('/')) throw new BadRequestError('missing path');
          await core.barrier.delete(key);
          return undefined;
        },
        list: async (_req, f) => {
          const prefix = f.get('path');
          const keys = await core.barrier.list(prefix === '' || prefix.endsWith('/') ? prefix : `${prefix}/`);
          return keys.length === 0 ? undefined : { data: { keys } };
        },
      },
      synopsis: 'Read, write, delete and list the storage below the mount system.',
      description: 'Values decrypted by the barrier; enabled by raw_storage_endpoint. The seal\'s own keys are refused.',
    }),
  ];
}
