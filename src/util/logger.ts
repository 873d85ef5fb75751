/**
 * Structured logging on pino, behind the small `Logger` interface the code uses. Fields are
 * logged as given, so callers must never pass secrets: tokens, keys and secret values stay out
 * of log calls by construction (log accessors and paths, not values). As a second line of
 * defence, fields with secret-looking names are redacted.
 *
 * Formats, as Vault's `log_format`:
 *  - json: one object per line with hclog's keys (`@level`, `@message`, `@timestamp`,
 *    `@module` when a `module` field is bound), then the fields;
 *  - standard: hclog's text form, `2026-01-01T00:00:00.000Z [INFO]  module: message: k=v`.
 * Output goes to a writable stream (stderr by default), synchronously. A logger and its children
 * share one level, changeable at run time (`levels`, served by sys/loggers).
 */
import { pino, type Logger as PinoLogger } from 'pino';

export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error';

const ORDER: Record<LogLevel, number> = { trace: 10, debug: 20, info: 30, warn: 40, error: 50 };

/** The level of a logger tree, changeable at run time (sys/loggers); shared by every child. */
export interface LogLevels {
  current(): LogLevel;
  set(level: LogLevel): void;
  /** Back to the level the logger was created with (the configured one). */
  reset(): void;
}

export interface Logger {
  /** Present on loggers made by createLogger (and their children). */
  readonly levels?: LogLevels;
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

/** Field names whose values are never written, wherever a careless caller puts them. */
const SECRET_FIELDS = ['password', 'token', 'client_token', 'root_token', 'secret_id', 'unseal_key', 'otp', 'hmac_key'];
const REDACT_PATHS = [...SECRET_FIELDS, ...SECRET_FIELDS.map((f) => `*.${f}`)];
const CENSOR = '[redacted]';

type Out = { write(s: string): unknown };

/** Errors become their message (their stack stays out of structured fields). */
function clean(fields: Record<string, unknown>): Record<string, unknown> {
  let out: Record<string, unknown> | undefined;
  for (const [k, v] of Object.entries(fields)) {
    if (v instanceof Error) {
      out ??= { ...fields };
      out[k] = v.message;
    }
  }
  const all = out ?? fields;
  // hclog's JSON names the subsystem "@module".
  if ('module' in all) {
    const { module, ...rest } = all;
    return { '@module': module, ...rest };
  }
  return all;
}

function quote(v: unknown): string {
  const s = typeof v === 'string' ? v : JSON.stringify(v);
  return s === '' || /[\s"=]/.test(s) ? JSON.stringify(s) : s;
}

const LEVEL_TAGS: Record<string, string> = { trace: '[TRACE] ', debug: '[DEBUG] ', info: '[INFO]  ', warn: '[WARN]  ', error: '[ERROR] ', fatal: '[ERROR] ' };

/** One pino JSON line as hclog's standard text line. */
export function standardLine(json: string): string {
  let obj: Record<string, unknown>;
  try {
    obj = JSON.parse(json) as Record<string, unknown>;
  } catch {
    return json;
  }
  const { '@level': level, '@message': message, '@timestamp': time, '@module': module, ...fields } = obj;
  const kv = Object.entries(fields)
    .map(([k, v]) => `${k}=${quote(v)}`)
    .join(' ');
  const head = `${String(time)} ${LEVEL_TAGS[String(level)] ?? `[${String(level).toUpperCase()}] `}${module !== undefined ? `${String(module)}: ` : ''}${String(message)}`;
  return `${head}${kv === '' ? '' : `: ${kv}`}\n`;
}

/** One level for a logger and all its children: pino logs everything, this gate decides. */
class LevelGate implements LogLevels {
  private min: number;

  constructor(private readonly configured: LogLevel) {
    this.min = ORDER[configured];
  }

  enabled(level: LogLevel): boolean {
    return ORDER[level] >= this.min;
  }

  current(): LogLevel {
    return (Object.keys(ORDER) as LogLevel[]).find((l) => ORDER[l] === this.min) ?? this.configured;
  }

  set(level: LogLevel): void {
    this.min = ORDER[level];
  }

  reset(): void {
    this.min = ORDER[this.configured];
  }
}

function wrap(p: PinoLogger, gate: LevelGate): Logger {
  const emit = (level: LogLevel, msg: string, fields?: Record<string, unknown>): void => {
    if (!gate.enabled(level)) return;
    if (fields === undefined) p[level](msg);
    else p[level](clean(fields), msg);
  };
  return {
    levels: gate,
    trace: (m, f) => emit('trace', m, f),
    debug: (m, f) => emit('debug', m, f),
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
    child: (fields) => wrap(p.child(clean(fields)), gate),
  };
}

export function createLogger(
  opts: {
    level?: LogLevel;
    format?: 'standard' | 'json';
    out?: Out;
    fields?: Record<string, unknown>;
  } = {},
): Logger {
  const out: Out = opts.out ?? process.stderr;
  const format = opts.format ?? 'standard';
  const destination = { write: format === 'json' ? (line: string) => out.write(line) : (line: string) => out.write(standardLine(line)) };
  const gate = new LevelGate(opts.level ?? 'info');
  const root = pino(
    {
      // Every level reaches pino; the gate (changeable at run time) filters before it.
      level: 'trace',
      base: null,
      messageKey: '@message',
      timestamp: () => `,"@timestamp":"${new Date().toISOString()}"`,
      formatters: { level: (label) => ({ '@level': label }) },
      redact: { paths: REDACT_PATHS, censor: CENSOR },
    },
    destination,
  );
  return wrap(opts.fields === undefined ? root : root.child(clean(opts.fields)), gate);
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
