/**
 * Streams metrics: per task and per processor node, read from the running tasks when asked
 * (KafkaStreams#metrics(), and as Prometheus text through KafkaStreams#metricsText()).
 *
 * Kafka's names kept (Kafka Streams' built-in metrics, metrics.recording.level DEBUG for nodes):
 * group `stream-task-metrics` with tags thread-id and task-id: process-total, process-rate,
 * punctuate-total, punctuate-rate, dropped-records-total, restore-total (records read from the
 * changelogs); group `stream-processor-node-metrics` with tags thread-id, task-id and
 * processor-node-id: process-total, process-rate. A rate is per second over the last two 30 s
 * sample windows (Kafka's metrics.sample.window.ms and metrics.num.samples defaults). Samsa's
 * deviations: no JMX; the Prometheus names follow the JMX exporter's lower-cased
 * `kafka_streams_<group>_<name>` shape with the tags as labels; counts restart with a task.
 */
export interface StreamsMetric {
  group: 'stream-task-metrics' | 'stream-processor-node-metrics';
  name: string;
  tags: Record<string, string>;
  value: number;
}

/** What the metrics read from one task. */
export interface TaskCounters {
  readonly id: string;
  readonly processed: number;
  readonly punctuations: number;
  readonly dropped: number;
  readonly restored: number;
  readonly createdAt: number;
  readonly nodeProcessed: ReadonlyMap<string, number>;
}

const WINDOW_MS = 30_000;

/** Rates over two sample windows per series, sampled lazily when metrics are read. */
export class RateSampler {
  private readonly samples = new Map<string, { start: number; count: number }[]>();

  rate(series: string, count: number, now: number, since: number): number {
    let s = this.samples.get(series);
    if (s === undefined) this.samples.set(series, (s = [{ start: since, count: 0 }]));
    const last = s[s.length - 1] as { start: number; count: number };
    if (now - last.start >= WINDOW_MS) {
      s.push({ start: now, count });
      if (s.length > 2) s.shift();
    }
    const oldest = s[0] as { start: number; count: number };
    const elapsed = Math.max(1, now - oldest.start) / 1000;
    return (count - oldest.count) / elapsed;
  }

  /** Forgets the series of tasks no longer here. */
  retain(prefixes: readonly string[]): void {
    for (const k of this.samples.keys()) if (!prefixes.some((p) => k.startsWith(p))) this.samples.delete(k);
  }
}

export function collectMetrics(tasks: Iterable<TaskCounters>, threadId: string, sampler: RateSampler, now: number): StreamsMetric[] {
  const out: StreamsMetric[] = [];
  const ids: string[] = [];
  for (const t of tasks) {
    ids.push(`${t.id}|`);
    const tags = { 'thread-id': threadId, 'task-id': t.id };
    const task = (name: string, value: number): void => void out.push({ group: 'stream-task-metrics', name, tags, value });
    task('process-total', t.processed);
    task('process-rate', sampler.rate(`${t.id}|process`, t.processed, now, t.createdAt));
    task('punctuate-total', t.punctuations);
    task('punctuate-rate', sampler.rate(`${t.id}|punctuate`, t.punctuations, now, t.createdAt));
    task('dropped-records-total', t.dropped);
    task('restore-total', t.restored);
    for (const [node, n] of [...t.nodeProcessed].sort(([a], [b]) => (a < b ? -1 : 1))) {
      const nodeTags = { ...tags, 'processor-node-id': node };
      out.push({ group: 'stream-processor-node-metrics', name: 'process-total', tags: nodeTags, value: n });
      out.push({ group: 'stream-processor-node-metrics', name: 'process-rate', tags: nodeTags, value: sampler.rate(`${t.id}|node|${node}`, n, now, t.createdAt) });
    }
  }
  sampler.retain(ids);
  return out;
}

const promName = (m: StreamsMetric): string => `kafka_streams_${m.group}_${m.name}`.replace(/[^a-zA-Z0-9_]/g, '_').toLowerCase();
const label = (v: string): string => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');

/** Prometheus text exposition format 0.0.4 (counters for *-total, gauges for rates). */
export function toPrometheus(metrics: readonly StreamsMetric[]): string {
  const byName = new Map<string, StreamsMetric[]>();
  for (const m of metrics) byName.set(promName(m), [...(byName.get(promName(m)) ?? []), m]);
  const lines: string[] = [];
  for (const [name, ms] of byName) {
    const first = ms[0] as StreamsMetric;
    lines.push(`# HELP ${name} Kafka Streams ${first.group} ${first.name}`, `# TYPE ${name} ${first.name.endsWith('-total') ? 'counter' : 'gauge'}`);
    for (const m of ms) lines.push(`${name}{${Object.entries(m.tags).map(([k, v]) => `${k.replace(/-/g, '_')}="${label(v)}"`).join(',')}} ${m.value}`);
  }
  return lines.length > 0 ? `${lines.join('\n')}\n` : '';
}
