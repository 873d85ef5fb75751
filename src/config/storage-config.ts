/**
 * The `storage "<type>" { ... }` stanza (legacy name `backend`). The type must be one Arca
 * ships; the options are handed to that backend as a string map, which validates them.
 */
import { checkPostgresOption } from '../storage/pg-options.js';
import { fail, type Scope } from './config-decode.js';
import type { HclBlock } from './hcl.js';
import type { StorageConfig, StorageType } from './server-config-types.js';

export const STORAGE_TYPES: readonly StorageType[] = ['inmem', 'sqlite', 'postgresql'];

export function decodeStorage(block: HclBlock, file: string): StorageConfig {
  const type = block.labels[0] ?? '';
  const scope: Scope = { file, where: `${block.key} ${JSON.stringify(type)}` };
  if (type.trim() === '') fail(scope, block.line, `the ${block.key} type must not be empty (one of: ${STORAGE_TYPES.join(', ')})`);
  const known = STORAGE_TYPES.find((t) => t === type);
  if (known === undefined) fail(scope, block.line, `unsupported storage type (Arca supports: ${STORAGE_TYPES.join(', ')})`);

  const options: Record<string, string> = {};
  const lines = new Map<string, number>();
  for (const item of block.body.items) {
    const first = lines.get(item.key);
    if (first !== undefined) fail(scope, item.line, `duplicate key ${JSON.stringify(item.key)} (first set on line ${first})`);
    lines.set(item.key, item.line);
    const v = item.value;
    let text: string;
    if (item.labels.length === 0 && v.kind === 'string') text = v.value;
    else if (item.labels.length === 0 && v.kind === 'number') text = v.raw;
    else if (item.labels.length === 0 && v.kind === 'bool') text = String(v.value);
    else fail(scope, item.line, `${JSON.stringify(item.key)} must be a string, number or boolean`);
    Object.defineProperty(options, item.key, { value: text, enumerable: true, writable: false, configurable: false });
  }
  Object.freeze(options);

  switch (known) {
    case 'sqlite': {
      const path = options['path'];
      if (path === undefined || path.trim() === '') fail(scope, block.line, 'a "path" to the database file is required');
      return { type: 'sqlite', path, options };
    }
    case 'inmem':
      return { type: 'inmem', options };
    case 'postgresql':
      // Checked here so a typo fails at load with its line; the backend re-reads them when it opens.
      for (const item of block.body.items) {
        const problem = checkPostgresOption(item.key, options[item.key] ?? '');
        if (problem !== undefined) fail(scope, item.line, problem);
      }
      return { type: 'postgresql', options };
  }
}
