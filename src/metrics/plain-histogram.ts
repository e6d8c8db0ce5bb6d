/**
 * A Prometheus histogram with one label whose observe() allocates nothing: counts are kept in a
 * Float64Array per label value (one slot per bucket, then the sum and the count) and turned into
 * prom-client's export shape only when scraped. Registered with the registry as a metric of its
 * own (prom-client calls get() on whatever it was given).
 * Why not prom-client's Histogram: its observe() (also through a labels() child) hashes the label
 * object and builds the label/value pairs on every call, ~150-300 bytes of garbage per
 * observation; on the request path that is paid by every request of a broker with
 * metrics.listeners (see bench/request-cost.ts --alloc --top).
 * Kafka's Yammer histograms have no buckets; the exported series are the JMX exporter's names with
 * Prometheus buckets, as request-metrics.ts documents.
 */
import type { Registry } from 'prom-client';

interface Sample {
  labels: Record<string, string | number>;
  value: number;
  metricName: string;
}

/** One label value's counts: the buckets (non-cumulative), then sum, then count. */
export type HistogramCells = Float64Array;

export class PlainHistogram {
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  private readonly cells = new Map<string, HistogramCells>();

  constructor(
    readonly name: string,
    readonly help: string,
    private readonly labelName: string,
    private readonly buckets: readonly number[],
    registry: Registry,
  ) {
    registry.registerMetric(this as unknown as Parameters<Registry['registerMetric']>[0]);
  }

  /** The cells of one label value (kept: look it up once, observe into it on the hot path). */
  child(labelValue: string): HistogramCells {
    let c = this.cells.get(labelValue);
    if (c === undefined) {
      c = new Float64Array(this.buckets.length + 3);
      this.cells.set(labelValue, c);
    }
    return c;
  }

  /** Records `v` in a label value's cells (from child()). */
  observe(cells: HistogramCells, v: number): void {
    const b = this.buckets;
    let i = 0;
    while (i < b.length && v > (b[i] as number)) i++;
    cells[i] = (cells[i] as number) + 1;
    const n = b.length + 1;
    cells[n] = (cells[n] as number) + v;
    cells[n + 1] = (cells[n + 1] as number) + 1;
  }

  /** A label value's count and sum (tests, the bench). */
  totals(labelValue: string): { count: number; sum: number } {
    const c = this.cells.get(labelValue);
    const n = this.buckets.length + 1;
    return c === undefined ? { count: 0, sum: 0 } : { count: c[n + 1] as number, sum: c[n] as number };
  }

  reset(): void {
    for (const c of this.cells.values()) c.fill(0);
  }

  /** prom-client's export shape (cumulative buckets, +Inf, _sum, _count per label value). */
  get(): { name: string; help: string; type: string; aggregator: string; values: Sample[] } {
    const values: Sample[] = [];
    const b = this.buckets;
    for (const [lv, c] of this.cells) {
      let acc = 0;
      for (let i = 0; i <= b.length; i++) {
        acc += c[i] as number;
        values.push({ labels: { le: i < b.length ? (b[i] as number) : '+Inf', [this.labelName]: lv }, value: acc, metricName: `${this.name}_bucket` });
      }
      values.push({ labels: { [this.labelName]: lv }, value: c[b.length + 1] as number, metricName: `${this.name}_sum` });
      values.push({ labels: { [this.labelName]: lv }, value: c[b.length + 2] as number, metricName: `${this.name}_count` });
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }
}
