/** Opens the physical backend a storage stanza names. */
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { StorageConfig } from '../config/server-config-types.js';
import { InmemPhysical } from './inmem.js';
import type { Physical } from './physical.js';
import { SqlitePhysical } from './sqlite.js';

export async function openPhysical(config: StorageConfig): Promise<Physical> {
  switch (config.type) {
    case 'inmem':
      return new InmemPhysical();
    case 'sqlite': {
      const path = resolve(config.path);
      mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
      return SqlitePhysical.open(path);
    }
    case 'postgresql':
      throw new Error('storage "postgresql" is not available in this build yet; use "sqlite" or "inmem"');
  }
}
