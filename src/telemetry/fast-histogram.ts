/**
 * Histograms cheap enough for the request path. prom-client's own Histogram hashes a label
 * object on every observation (about a microsecond); these keep one record per label set in
 * nested maps keyed by the label values themselves, so an observation is two or three map
 * lookups, a bucket scan and three additions, with no allocation once the series exists.
 *
 * They implement what prom-client's Registry reads from a metric (`name`, `help`, `type`,
 * `get()`), so the registry renders them with every other metric: Prometheus text and JSON.
 */

/** One sample as prom-client's Registry reads it from a metric's get(). */
export interface SampleValue {
  readonly metricName: string;
  readonly labels: Readonly<Record<string, string | number>>;
  readonly value: number;
}

export interface MetricReadout {
  readonly name: string;
  readonly help: string;
  readonly type: 'histogram';
  readonly aggregator: 'sum';
  readonly values: SampleValue[];
}

/** Milliseconds: from sub-millisecond cache hits to slow storage. */
export const MS_BUCKETS: readonly number[] = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000];

interface Series {
  readonly labels: Readonly<Record<string, string | number>>;
  /** Per-bucket (non-cumulative) counts; the last slot is +Inf. */
  readonly counts: Float64Array;
  sum: number;
  count: number;
}

abstract class HistogramBase {
  readonly type = 'histogram';
  readonly aggregator = 'sum';

  constructor(
    readonly name: string,
    readonly help: string,
    protected readonly bounds: readonly number[],
  ) {}

  protected newSeries(labels: Record<string, string | number>): Series {
    return { labels, counts: new Float64Array(this.bounds.length + 1), sum: 0, count: 0 };
  }

  protected record(s: Series, value: number): void {
    const bounds = this.bounds;
    let i = 0;
    while (i < bounds.length && value > bounds[i]!) i++;
    s.counts[i]! += 1;
    s.sum += value;
    s.count += 1;
  }

  protected abstract allSeries(): Iterable<Series>;

  /** prom-client's metric read-out: cumulative buckets, _sum and _count per series. */
  get(): MetricReadout {
    const values: SampleValue[] = [];
    const bucket = `${this.name}_bucket`;
    for (const s of this.allSeries()) {
      let cumulative = 0;
      for (let i = 0; i <= this.bounds.length; i++) {
        cumulative += s.counts[i]!;
        const le = i < this.bounds.length ? this.bounds[i]! : '+Inf';
        values.push({ metricName: bucket, labels: { ...s.labels, le }, value: cumulative });
      }
      values.push({ metricName: `${this.name}_sum`, labels: { ...s.labels }, value: s.sum });
      values.push({ metricName: `${this.name}_count`, labels: { ...s.labels }, value: s.count });
    }
    return { name: this.name, help: this.help, type: 'histogram', values, aggregator: 'sum' };
  }
}

/** A histogram without labels (barrier and storage operation timers). */
export class Timer extends HistogramBase {
  private readonly series: Series;

  constructor(name: string, help: string, bounds: readonly number[] = MS_BUCKETS) {
    super(name, help, bounds);
    this.series = this.newSeries({});
  }

  observe(ms: number): void {
    this.record(this.series, ms);
  }

  protected allSeries(): Iterable<Series> {
    return [this.series];
  }
}

/** A histogram labelled by mount, operation and status: requests per route and outcome. */
export class RouteTimer extends HistogramBase {
  private readonly byMount = new Map<string, Map<string, Map<number, Series>>>();

  constructor(name: string, help: string, bounds: readonly number[] = MS_BUCKETS) {
    super(name, help, bounds);
  }

  observe(mountPoint: string, operation: string, status: number, ms: number): void {
    let byOp = this.byMount.get(mountPoint);
    if (byOp === undefined) this.byMount.set(mountPoint, (byOp = new Map()));
    let byStatus = byOp.get(operation);
    if (byStatus === undefined) byOp.set(operation, (byStatus = new Map()));
    let s = byStatus.get(status);
    if (s === undefined) byStatus.set(status, (s = this.newSeries({ mount_point: mountPoint, operation, status: String(status) })));
    this.record(s, ms);
  }

  protected *allSeries(): Iterable<Series> {
    for (const byOp of this.byMount.values()) for (const byStatus of byOp.values()) yield* byStatus.values();
  }
}
