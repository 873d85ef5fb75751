/**
 * sys/metrics' default JSON, in the shape Vault's in-memory sink renders (go-metrics'
 * DisplayMetrics): Timestamp, Gauges, Points, Counters and Samples, each with Vault's dotted
 * metric names and their labels. Histograms become Samples with Count, Sum and Mean.
 */
export interface VaultMetricsJson {
  readonly Timestamp: string;
  readonly Gauges: { Name: string; Value: number; Labels: Record<string, string> }[];
  readonly Points: never[];
  readonly Counters: Aggregate[];
  readonly Samples: Aggregate[];
}

interface Aggregate {
  Name: string;
  Count: number;
  Rate: number;
  Sum: number;
  Mean: number;
  Labels: Record<string, string>;
}

export interface JsonMetric {
  readonly name: string;
  readonly type: string;
  readonly values: readonly { readonly value: number; readonly labels: Readonly<Record<string, string | number | undefined>>; readonly metricName?: string }[];
}

function labelsOf(labels: Readonly<Record<string, string | number | undefined>>, drop?: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(labels)) if (k !== drop && v !== undefined) out[k] = String(v);
  return out;
}

/** Go's time.Time String() in UTC, as go-metrics prints the interval start. */
function goTime(ms: number): string {
  const iso = new Date(ms).toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)} +0000 UTC`;
}

/** Counts are reported per 10-second interval in go-metrics; Rate is Sum over that interval. */
const INTERVAL_SECONDS = 10;

export function vaultJson(metrics: readonly JsonMetric[], dotted: ReadonlyMap<string, string>, nowMs: number): VaultMetricsJson {
  const out: VaultMetricsJson = { Timestamp: goTime(nowMs - (nowMs % (INTERVAL_SECONDS * 1000))), Gauges: [], Points: [], Counters: [], Samples: [] };
  for (const m of metrics) {
    const name = dotted.get(m.name) ?? m.name;
    if (m.type === 'gauge') {
      for (const v of m.values) out.Gauges.push({ Name: name, Value: v.value, Labels: labelsOf(v.labels) });
    } else if (m.type === 'counter') {
      for (const v of m.values) out.Counters.push({ Name: name, Count: v.value, Rate: v.value / INTERVAL_SECONDS, Sum: v.value, Mean: v.value === 0 ? 0 : 1, Labels: labelsOf(v.labels) });
    } else if (m.type === 'histogram') {
      const series = new Map<string, Aggregate>();
      for (const v of m.values) {
        const suffix = v.metricName?.slice(m.name.length);
        if (suffix !== '_sum' && suffix !== '_count') continue;
        const labels = labelsOf(v.labels, 'le');
        const key = JSON.stringify(labels);
        let agg = series.get(key);
        if (agg === undefined) series.set(key, (agg = { Name: name, Count: 0, Rate: 0, Sum: 0, Mean: 0, Labels: labels }));
        if (suffix === '_sum') agg.Sum = v.value;
        else agg.Count = v.value;
      }
      for (const agg of series.values()) {
        agg.Mean = agg.Count === 0 ? 0 : agg.Sum / agg.Count;
        agg.Rate = agg.Sum / INTERVAL_SECONDS;
        out.Samples.push(agg);
      }
    }
  }
  for (const list of [out.Gauges, out.Counters, out.Samples] as { Name: string }[][]) list.sort((a, b) => (a.Name < b.Name ? -1 : a.Name > b.Name ? 1 : 0));
  return out;
}
