/** Renders the results table printed at the end of a run. */

export interface ReportRow {
  readonly name: string;
  readonly rps?: number;
  readonly p50?: number;
  readonly p99?: number;
  readonly cpuUs?: number;
  /** "0.42x http-baseline" */
  readonly versus?: string;
  /** Baseline's CPU per request divided by this scenario's: throughput ratio if CPU-bound. */
  readonly cpuVersus?: string;
  /** Memory and other non-load measurements. */
  readonly other?: string;
  readonly target?: string;
}

const fmt = (v: number | undefined, digits: number): string =>
  v === undefined || Number.isNaN(v) ? '-' : v.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

export function renderTable(rows: readonly ReportRow[]): string {
  const header = ['scenario', 'req/s', 'p50 ms', 'p99 ms', 'CPU us/req', 'ratio vs baseline', 'CPU ratio', 'other', 'issue-8 target'];
  const cells = rows.map((r) => [
    r.name,
    fmt(r.rps, 0),
    fmt(r.p50, 2),
    fmt(r.p99, 2),
    fmt(r.cpuUs, 0),
    r.versus ?? '-',
    r.cpuVersus ?? '-',
    r.other ?? '-',
    r.target ?? '',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: readonly string[]): string => c.map((v, i) => (i === 0 || i >= 5 ? v.padEnd(widths[i]!) : v.padStart(widths[i]!))).join('  ').trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.map(line)].join('\n');
}
