/**
 * A real, throwaway PostgreSQL for tests: `initdb` + `pg_ctl` in a temp directory, listening on a
 * free 127.0.0.1 port (its unix socket inside the temp directory too), fsync off for speed. One
 * cluster per test file: start it at the top, stop it in `after`.
 *
 * Runs as the current user; as root (initdb refuses root) it runs the binaries as the `postgres`
 * OS user through `runuser`, in a temp directory that user owns. The superuser is `arca` with a
 * random password and host connections need that password (scram-sha-256), so tests exercise
 * real authentication.
 *
 * Without PostgreSQL binaries: with CI=true starting fails loudly (CI installs them, so their
 * absence is a broken machine); locally it says so on stderr and `startPostgresOrSkip` returns a
 * skip reason instead of a cluster.
 */
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import pg from 'pg';

export interface PostgresCluster {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly password: string;
  readonly dataDir: string;
  /** postgres://arca:<password>@127.0.0.1:<port>/<database>?sslmode=disable */
  url(database?: string): string;
  /** Run one statement as the superuser (own short-lived connection). */
  query<R extends pg.QueryResultRow = pg.QueryResultRow>(sql: string, values?: unknown[], database?: string): Promise<pg.QueryResult<R>>;
  /** A table name no other caller of this cluster got. */
  freshTable(stem?: string): string;
  /** Shut the server down (fast mode), keeping its data: an outage. */
  pause(): Promise<void>;
  /** Start it again on the same port after pause(). */
  resume(): Promise<void>;
  /** Stop the server (immediate mode) and delete the directory. Idempotent. */
  stop(): Promise<void>;
}

const SUPERUSER = 'arca';

const hasBinaries = (dir: string): boolean => ['initdb', 'pg_ctl', 'postgres'].every((b) => existsSync(join(dir, b)));

/**
 * The directory holding initdb, pg_ctl and postgres, or undefined. ARCA_TEST_PG_BINDIR, when
 * set, is the only place looked at (to pick a version, or to rehearse their absence).
 */
export function findPostgresBinDir(): string | undefined {
  const forced = process.env['ARCA_TEST_PG_BINDIR'];
  if (forced !== undefined && forced !== '') return hasBinaries(forced) ? forced : undefined;
  const candidates: string[] = [];
  try {
    candidates.push(execFileSync('pg_config', ['--bindir'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim());
  } catch {
    // pg_config missing: look elsewhere.
  }
  try {
    const versions = readdirSync('/usr/lib/postgresql').filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a));
    for (const v of versions) candidates.push(join('/usr/lib/postgresql', v, 'bin'));
  } catch {
    // Not a Debian layout.
  }
  candidates.push(...(process.env['PATH'] ?? '').split(delimiter).filter((d) => d !== ''));
  return candidates.find(hasBinaries);
}

/** Start a cluster, or (locally, binaries absent) return the reason to skip. Throws in CI. */
export async function startPostgresOrSkip(): Promise<PostgresCluster | string> {
  const binDir = findPostgresBinDir();
  if (binDir === undefined) {
    const reason = 'PostgreSQL binaries (initdb, pg_ctl, postgres) not found: run scripts/install-test-deps.sh';
    if (process.env['CI'] === 'true') throw new Error(`${reason} (CI=true: PostgreSQL tests must run)`);
    // Loud on purpose: a skipped storage backend must not look like a pass.
    console.error(`\n*** PostgreSQL tests SKIPPED: ${reason} ***\n`);
    return reason;
  }
  return startPostgres(binDir);
}

interface RunAs {
  readonly uid: number | undefined;
  readonly gid: number | undefined;
  run(bin: string, args: readonly string[]): { status: number | null; output: string };
  /** The same without blocking the event loop (for outages staged while calls are in flight). */
  runAsync(bin: string, args: readonly string[]): Promise<{ status: number | null; output: string }>;
}

/** Run binaries as ourselves, or as `postgres` when we are root. */
function runAs(binDir: string): RunAs {
  const isRoot = process.getuid?.() === 0;
  let uid: number | undefined;
  let gid: number | undefined;
  if (isRoot) {
    const line = readFileSync('/etc/passwd', 'utf8').split('\n').find((l) => l.startsWith('postgres:'));
    const fields = line?.split(':');
    if (fields === undefined || fields.length < 4) {
      throw new Error('running as root: initdb refuses root and there is no "postgres" OS user to run it as');
    }
    uid = Number(fields[2]);
    gid = Number(fields[3]);
  }
  const command = (bin: string, args: readonly string[]): [string, string[]] => {
    const path = join(binDir, bin);
    return isRoot ? ['runuser', ['-u', 'postgres', '--', path, ...args]] : [path, [...args]];
  };
  return {
    uid,
    gid,
    run(bin, args) {
      const [cmd, argv] = command(bin, args);
      const r = spawnSync(cmd, argv, { encoding: 'utf8', timeout: 120_000 });
      return { status: r.status, output: `${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? String(r.error) : ''}` };
    },
    runAsync(bin, args) {
      const [cmd, argv] = command(bin, args);
      return new Promise((resolve) => {
        execFile(cmd, argv, { encoding: 'utf8', timeout: 120_000 }, (err, stdout, stderr) => {
          const status = err === null ? 0 : typeof err.code === 'number' ? err.code : null;
          resolve({ status, output: `${stdout}${stderr}${err !== null && typeof err.code !== 'number' ? String(err) : ''}` });
        });
      });
    },
  };
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** Clusters still running, stopped synchronously if the test process exits without `after`. */
const running = new Set<() => void>();
process.once('exit', () => {
  for (const stop of running) stop();
});

export async function startPostgres(binDir: string): Promise<PostgresCluster> {
  const as = runAs(binDir);
  const dir = mkdtempSync(join(tmpdir(), 'arca-pg-'));
  const dataDir = join(dir, 'data');
  const pwFile = join(dir, 'pw');
  const password = randomBytes(12).toString('hex');
  writeFileSync(pwFile, `${password}\n`, { mode: 0o600 });
  if (as.uid !== undefined && as.gid !== undefined) {
    chmodSync(dir, 0o700);
    chownSync(dir, as.uid, as.gid);
    chownSync(pwFile, as.uid, as.gid);
  }
  const cleanupDir = (): void => rmSync(dir, { recursive: true, force: true });

  const init = as.run('initdb', [
    '-D', dataDir, '-U', SUPERUSER, `--pwfile=${pwFile}`, '--auth-local=trust', '--auth-host=scram-sha-256',
    '-E', 'UTF8', '--locale=C.UTF-8', '--no-sync',
  ]);
  if (init.status !== 0) {
    cleanupDir();
    throw new Error(`initdb failed (exit ${init.status}):\n${init.output}`);
  }

  const serverOptions = (port: number): string =>
    [
      `-c listen_addresses=127.0.0.1`, `-p ${port}`, `-k ${dir}`, '-c fsync=off', '-c full_page_writes=off',
      '-c max_connections=300', '-c shared_buffers=32MB',
    ].join(' ');
  const pgStart = (p: number): { status: number | null; output: string } =>
    as.run('pg_ctl', ['-D', dataDir, '-o', serverOptions(p), '-l', join(dir, 'server.log'), '-w', '-t', '60', 'start']);

  let port = 0;
  let lastOutput = '';
  for (let attempt = 0; attempt < 3 && port === 0; attempt++) {
    const candidate = await freePort();
    const started = pgStart(candidate);
    if (started.status === 0) port = candidate;
    else lastOutput = `${started.output}\n${readLog(dir)}`;
  }
  if (port === 0) {
    cleanupDir();
    throw new Error(`pg_ctl start failed three times:\n${lastOutput}`);
  }

  const stopSync = (): void => {
    as.run('pg_ctl', ['-D', dataDir, '-m', 'immediate', '-w', 'stop']);
    cleanupDir();
  };
  running.add(stopSync);
  let tables = 0;
  const host = '127.0.0.1';
  const url = (database = 'postgres'): string => `postgres://${SUPERUSER}:${password}@${host}:${port}/${database}?sslmode=disable`;
  return {
    host,
    port,
    user: SUPERUSER,
    password,
    dataDir,
    url,
    async query(sql, values, database) {
      const client = new pg.Client({ connectionString: url(database) });
      await client.connect();
      try {
        return await client.query(sql, values);
      } finally {
        await client.end();
      }
    },
    freshTable(stem = 't') {
      return `${stem}_${process.pid}_${tables++}`;
    },
    async pause() {
      const r = await as.runAsync('pg_ctl', ['-D', dataDir, '-m', 'fast', '-w', 'stop']);
      if (r.status !== 0) throw new Error(`pg_ctl stop failed:\n${r.output}`);
    },
    async resume() {
      const r = await as.runAsync('pg_ctl', ['-D', dataDir, '-o', serverOptions(port), '-l', join(dir, 'server.log'), '-w', '-t', '60', 'start']);
      if (r.status !== 0) throw new Error(`pg_ctl start failed:\n${r.output}\n${readLog(dir)}`);
    },
    async stop() {
      if (!running.delete(stopSync)) return;
      stopSync();
    },
  };
}

function readLog(dir: string): string {
  try {
    return readFileSync(join(dir, 'server.log'), 'utf8');
  } catch {
    return '';
  }
}
