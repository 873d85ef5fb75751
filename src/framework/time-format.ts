/**
 * Timestamps as Vault renders them (Go's RFC3339Nano in UTC): fractional seconds without
 * trailing zeros, and none at all on a whole second.
 */

/**
 * The last few results: the same instants (a hot secret's created_time, a token's issue time)
 * are rendered on request after request. Slots are replaced round-robin.
 */
const MEMO_SIZE = 8;
const memoMs: number[] = new Array<number>(MEMO_SIZE).fill(Number.NaN);
const memoText: string[] = new Array<string>(MEMO_SIZE).fill('');
let memoNext = 0;

export function formatTime(ms: number): string {
  for (let i = 0; i < MEMO_SIZE; i++) if (memoMs[i] === ms) return memoText[i]!;
  const text = format(ms);
  memoMs[memoNext] = ms;
  memoText[memoNext] = text;
  memoNext = (memoNext + 1) % MEMO_SIZE;
  return text;
}

function format(ms: number): string {
  const iso = new Date(ms).toISOString(); // 2026-01-01T00:00:00.120Z
  const dot = iso.indexOf('.');
  const fraction = iso.slice(dot + 1, -1).replace(/0+$/, '');
  return `${iso.slice(0, dot)}${fraction === '' ? '' : `.${fraction}`}Z`;
}
