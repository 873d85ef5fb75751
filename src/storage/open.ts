/** Opens the physical backend a storage stanza names. */
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { StorageConfig } from '../config/server-config-types.js';
import type { Logger } from '../util/logger.js';
import { InmemPhysical } from './inmem.js';
import { parsePostgresOptions, PostgresOptionError } from './pg-options.js';
import { PostgresStartError } from './pg-start.js';
import type { Physical } from './physical.js';
import { PostgresPhysical } from './postgresql.js';
import { SqlitePhysical } from './sqlite.js';

export interface OpenPhysicalOptions {
  /** Where a backend reports start-up progress (PostgreSQL's retries); stderr when absent. */
  readonly logger?: Logger;
  /** Environment for VAULT_PG_CONNECTION_URL and the PG* defaults; process.env when absent. */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

export async function openPhysical(config: StorageConfig, opts: OpenPhysicalOptions = {}): Promise<Physical> {
  switch (config.type) {
    case 'inmem':
      return new InmemPhysical();
    case 'sqlite': {
      const path = resolve(config.path);
      mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
      return SqlitePhysical.open(path);
    }
    case 'postgresql': {
      let options;
      try {
        options = parsePostgresOptions(config.options, opts.env);
      } catch (err) {
        if (err instanceof PostgresOptionError) throw new PostgresStartError(`storage "postgresql": ${err.message}`);
        throw err;
      }
      return PostgresPhysical.open(options, { ...(opts.logger ? { logger: opts.logger } : {}), ...(opts.env ? { env: opts.env } : {}) });
    }
  }
}
