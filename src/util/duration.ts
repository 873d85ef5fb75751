/**
 * Durations as Vault accepts them: an integer number of seconds (number or numeric string),
 * or Go-style strings such as "90s", "1h30m", "1.5h", "500ms", plus "d" for days as Vault's
 * parseutil does. Results are whole seconds (fractions truncated, as Vault's TTL fields).
 */

const UNIT_SECONDS: Readonly<Record<string, number>> = {
  ns: 1e-9,
  us: 1e-6,
  µs: 1e-6,
  ms: 1e-3,
  s: 1,
  m: 60,
  h: 3600,
  d: 86400,
};

const PART = /([0-9]*\.?[0-9]+)(ns|us|µs|ms|s|m|h|d)/y;

/** Parse to seconds; throws Error with a Vault-like message on bad input. */
export function parseDurationSeconds(input: unknown): number {
  if (typeof input === 'number') {
    if (!Number.isFinite(input)) throw new Error(`invalid duration: ${input}`);
    return Math.trunc(input);
  }
  if (typeof input !== 'string') throw new Error(`invalid duration type: ${typeof input}`);
  const s = input.trim();
  if (s === '') return 0;
  if (/^-?[0-9]+$/.test(s)) return parseInt(s, 10);
  let sign = 1;
  let rest = s;
  if (rest.startsWith('-')) {
    sign = -1;
    rest = rest.slice(1);
  } else if (rest.startsWith('+')) {
    rest = rest.slice(1);
  }
  let total = 0;
  PART.lastIndex = 0;
  let pos = 0;
  while (pos < rest.length) {
    PART.lastIndex = pos;
    const m = PART.exec(rest);
    if (m === null) throw new Error(`time: invalid duration "${input}"`);
    total += parseFloat(m[1]!) * UNIT_SECONDS[m[2]!]!;
    pos = PART.lastIndex;
  }
  if (pos === 0) throw new Error(`time: invalid duration "${input}"`);
  return sign * Math.trunc(total + 1e-9);
}

/**
 * Parse to whole milliseconds, for bounds finer than a second (X-Arca-Max-Staleness): the same
 * syntax as parseDurationSeconds (a bare integer is seconds). Throws Error on bad input.
 */
export function parseDurationMs(input: string): number {
  const s = input.trim();
  if (/^-?[0-9]+$/.test(s)) return parseInt(s, 10) * 1000;
  const negative = s.startsWith('-');
  const rest = negative || s.startsWith('+') ? s.slice(1) : s;
  let total = 0;
  let pos = 0;
  while (pos < rest.length) {
    PART.lastIndex = pos;
    const m = PART.exec(rest);
    if (m === null) throw new Error(`time: invalid duration "${input}"`);
    total += parseFloat(m[1]!) * UNIT_SECONDS[m[2]!]! * 1000;
    pos = PART.lastIndex;
  }
  if (pos === 0) throw new Error(`time: invalid duration "${input}"`);
  return (negative ? -1 : 1) * Math.trunc(total + 1e-6);
}

/** Go's time.Duration.String() for whole seconds: "0s", "45s", "1m30s", "768h0m0s". */
export function formatDuration(seconds: number): string {
  if (seconds === 0) return '0s';
  const neg = seconds < 0;
  let s = Math.abs(Math.trunc(seconds));
  const h = Math.floor(s / 3600);
  s -= h * 3600;
  const m = Math.floor(s / 60);
  s -= m * 60;
  let out: string;
  if (h > 0) out = `${h}h${m}m${s}s`;
  else if (m > 0) out = `${m}m${s}s`;
  else out = `${s}s`;
  return neg ? `-${out}` : out;
}
