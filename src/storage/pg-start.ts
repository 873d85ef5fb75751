/**
 * Reaching the database when a server starts. A database that is down or still starting is
 * normal in a fresh deployment (containers start in any order), so unreachable is retried with
 * backoff until `startup_timeout`; a refused login, a missing database, a foreign table or a
 * failed certificate check is final at once. Either way the error names the host, port,
 * database and user and the cause, never the password or the URL.
 */

import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import type { Clock } from '../clock.js';
import type { Logger } from '../util/logger.js';
import { type ConnectionTarget, clientConfigs, describeTarget, PostgresSetupError } from './pg-connection.js';
import { describePgError, isNetworkFailure, isTransientAtStart } from './pg-errors.js';
import type { PostgresOptions } from './pg-options.js';
import { prepareSchema, type ServerFacts } from './pg-schema.js';

/** Raised when the server cannot start on this database; its message is for the operator. */
export class PostgresStartError extends Error {}

export interface StartDeps {
  readonly logger: Logger;
  readonly clock: Clock;
  /** Waits between attempts (a ref'd timer: nothing else keeps a starting process alive). */
  readonly sleep?: (ms: number) => Promise<void>;
}

export interface Started {
  /** The client settings that worked (TLS or not, as `sslmode` allowed), for the pool. */
  readonly config: pg.ClientConfig;
  readonly facts: ServerFacts;
  readonly attempts: number;
}

const FIRST_DELAY_MS = 250;
const MAX_DELAY_MS = 5000;
/** Per-attempt connect timeout when the URL sets none. */
export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;

export async function connectAndPrepare(target: ConnectionTarget, options: PostgresOptions, deps: StartDeps): Promise<Started> {
  const where = describeTarget(target);
  const wait = deps.sleep ?? ((ms: number) => sleep(ms));
  const started = deps.clock.now();
  const deadline = started + options.startupTimeoutMs;
  let delay = FIRST_DELAY_MS;
  for (let attempts = 1; ; attempts++) {
    const left = deadline - deps.clock.now();
    try {
      const connectTimeout = Math.min(target.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS, Math.max(1000, left));
      const { config, facts } = await attempt(target, options, connectTimeout);
      if (attempts > 1) deps.logger.info('postgresql storage reachable', { target: where, attempts });
      return { config, facts, attempts };
    } catch (err) {
      const reason = describePgError(err, target.password);
      if (err instanceof PostgresSetupError) throw new PostgresStartError(`postgresql storage at ${where}: ${reason}`, { cause: err });
      if (!isTransientAtStart(err)) throw new PostgresStartError(`postgresql storage: ${where} refused: ${reason}`);
      const remaining = deadline - deps.clock.now();
      if (remaining <= 0) {
        const seconds = Math.round((deps.clock.now() - started) / 1000);
        throw new PostgresStartError(
          `postgresql storage: cannot reach ${where}: ${reason} (gave up after ${attempts} attempt${attempts === 1 ? '' : 's'} in ${seconds}s; startup_timeout)`,
        );
      }
      const pause = Math.min(delay, remaining);
      deps.logger.warn('postgresql storage not reachable yet, retrying', { target: where, error: reason, retryInMs: pause });
      await wait(pause);
      delay = Math.min(delay * 2, MAX_DELAY_MS);
    }
  }
}

/**
 * One attempt: connect with each client setting `sslmode` allows, in order, and prepare the
 * schema on the first connection that works. An unreachable host ends the attempt at once
 * (another TLS setting cannot help); any other failure moves on to the next setting, and the
 * last failure is the attempt's.
 */
async function attempt(target: ConnectionTarget, options: PostgresOptions, connectTimeoutMs: number): Promise<{ config: pg.ClientConfig; facts: ServerFacts }> {
  let last: unknown;
  for (const candidate of clientConfigs(target)) {
    const config: pg.ClientConfig = { ...candidate, connectionTimeoutMillis: connectTimeoutMs };
    const client = new pg.Client(config);
    // A broken socket is reported through the pending call; this keeps it from also being an
    // unhandled 'error' event that would end the process.
    client.on('error', () => undefined);
    try {
      await client.connect();
      const facts = await prepareSchema(client, options.table, { enabled: options.haEnabled, table: options.haTable });
      return { config: candidate, facts };
    } catch (err) {
      if (isNetworkFailure(err)) throw err;
      last = err;
    } finally {
      await client.end().catch(() => undefined);
    }
  }
  throw last;
}
