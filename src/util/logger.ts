/**
 * A small structured logger. Fields are logged as given, so callers must never pass secrets:
 * tokens, keys and secret values stay out of log calls by construction (log accessors and
 * paths, not values). Output goes to a writable stream (stderr by default).
 */
export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error';

const ORDER: Record<LogLevel, number> = { trace: 10, debug: 20, info: 30, warn: 40, error: 50 };

export interface Logger {
  trace(msg: string, fields?: Record<string, unknown>): void;
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  child(fields: Record<string, unknown>): Logger;
}

export function parseLogLevel(s: string | undefined): LogLevel {
  const v = (s ?? 'info').toLowerCase();
  if (v === 'err') return 'error';
  if (v === 'warning') return 'warn';
  if (v in ORDER) return v as LogLevel;
  throw new Error(`unknown log level: ${s}`);
}

export function createLogger(opts: {
  level?: LogLevel;
  format?: 'standard' | 'json';
  out?: { write(s: string): unknown };
  fields?: Record<string, unknown>;
} = {}): Logger {
  const level = ORDER[opts.level ?? 'info'];
  const out = opts.out ?? process.stderr;
  const format = opts.format ?? 'standard';
  const base = opts.fields ?? {};
  const emit = (lvl: LogLevel, msg: string, fields?: Record<string, unknown>): void => {
    if (ORDER[lvl] < level) return;
    const all = { ...base, ...fields };
    for (const [k, v] of Object.entries(all)) if (v instanceof Error) all[k] = v.message;
    const time = new Date().toISOString();
    if (format === 'json') {
      out.write(JSON.stringify({ '@level': lvl, '@message': msg, '@timestamp': time, ...all }) + '\n');
    } else {
      const kv = Object.entries(all)
        .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
        .join(' ');
      out.write(`${time} [${lvl.toUpperCase()}] ${msg}${kv ? ' ' + kv : ''}\n`);
    }
  };
  return {
    trace: (m, f) => emit('trace', m, f),
    debug: (m, f) => emit('debug', m, f),
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
    child: (fields) => createLogger({ ...opts, fields: { ...base, ...fields } }),
  };
}

/** A logger that drops everything (tests that do not inspect logs). */
export const silentLogger: Logger = {
  trace() {},
  debug() {},
  info() {},
  warn() {},
  error() {},
  child() {
    return silentLogger;
  },
};
