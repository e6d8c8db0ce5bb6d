/**
 * Benchmark report writer: results → Markdown tables, a JSON file, and a latency-distribution
 * chart (SVG drawn here, no plotting library).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LatencyHistogram } from '../src/cli/stats.js';
import type { ClusterBenchResult, LatencyOutcome } from './cluster.js';
import { renderProduceFloors, resultOf } from './floors.js';
import { renderKafka, type KafkaBenchResult } from './kafka.js';
import { renderManyTopics } from './many-topics-report.js';
import type { MetricsCostResult } from './metrics-cost.js';
import { renderSecurity, type SecurityResult } from './security.js';
import { renderRebalance, type RebalanceResult } from './rebalance.js';
import { renderStreams, type StreamsBenchResult } from './streams.js';
import type { ManyTopicsResult } from './many-topics.js';
import { renderBreakdown, type LatencyBreakdown } from './latency-breakdown.js';

export interface Throughput {
  records: number;
  bytes: number;
  elapsedMs: number;
  recordsPerSec: number;
  mbPerSec: number;
  error?: string;
}

export interface LatencySummary {
  count: number;
  mean: number;
  p50: number;
  p99: number;
  p999: number;
  max: number;
}

/** A latency curve for the chart: [nines, ms] where nines = -log10(1 - quantile). */
export interface LatencySeries {
  label: string;
  points: [number, number][];
}

export interface ComparedRow {
  name: string;
  recordSize: number;
  acks?: string;
  records: number;
  samsa: Throughput;
  nullBroker: Throughput;
  /** samsa.recordsPerSec / nullBroker.recordsPerSec */
  ratio: number;
}

export interface LatencyRow {
  rate: number;
  /** The broker's request time split, GC and event-loop delay over the rate's runs (latency-breakdown.ts). */
  breakdown?: LatencyBreakdown;
  records: number;
  samsaEndToEnd: LatencySummary | null;
  samsaProduceAck: LatencySummary | null;
  nullProduceAck: LatencySummary | null;
  /** The same consumer + producer pair against the null broker serving from memory (null-serve.ts): the end-to-end floor. */
  floorEndToEnd?: LatencySummary | null;
  /** Records the consumer saw with a latency stamp. */
  received: number;
  /** The producer's settings (acks, linger.ms). */
  acks?: string;
  lingerMs?: number;
  /** Each run's own percentiles (the row's summaries merge every run's records). */
  runs?: { endToEnd: LatencySummary | null; produceAck: LatencySummary | null; nullProduceAck: LatencySummary | null; floorEndToEnd?: LatencySummary | null; samsaCpuMs?: number | null; floorCpuMs?: number | null }[];
  error?: string;
  /** A floor run's consumer missed records or its producer failed. */
  floorError?: string;
}

export interface ScaleResult {
  createMs: number;
  rssMB: number;
  openFds: number;
  produceMs: number;
  producedPartitions: number;
  errors: number;
  error?: string;
}

export interface ProfileEntry {
  functionName: string;
  location: string;
  selfMs: number;
  selfPct: number;
}

export interface Target {
  name: string;
  target: string;
  measured: string;
  pass: boolean | null;
  /** A same-run floor (bench/floors.ts): `pass` says whether the floor itself meets the goal. */
  floor?: boolean;
}

export interface BenchResults {
  meta: {
    date: string;
    scale: string;
    node: string;
    librdkafka: string;
    cpus: number;
    cpuModel: string;
    loadAvgAtStart: number[];
    commit: string;
    durationSec: number;
    notes: string[];
  };
  disk: { path: string; bytes: number; writeMBps: number } | null;
  produce: ComparedRow[];
  consume: ComparedRow[];
  /** Every throughput run (the tables show the best per workload and broker). */
  runs: { workload: string; broker: string; run: number; produce: Throughput; consume: Throughput | null; produceCpuMs?: number | null; consumeCpuMs?: number | null }[];
  latency: LatencyRow[];
  latencySeries: LatencySeries[];
  startup: { samsaColdMs: number | null; samsaWarmMs: number | null; samsaWarm1kMs?: number | null; nullMs: number | null };
  /** Every start-up run (ms), for the targets' spread. */
  startupRuns?: { samsaCold: number[]; samsaWarm1k: number[]; nul: number[] };
  memory: { samsaIdleMB: number | null; samsaLoadMB: number | null; nullIdleMB: number | null; nullLoadMB: number | null };
  partitions: { count: number; samsa: ScaleResult | null; nullBroker: ScaleResult | null };
  /** The partitions100k section (opt-in): the growth curve, one step per count. */
  manyTopics?: { steps: ManyTopicsResult[] };
  /** The cluster section: three brokers on etcd, RF 3, against one broker. */
  cluster?: ClusterBenchResult;
  /** The kafka section (opt-in): Apache Kafka single node and 3-node cluster, the same workload. */
  kafka?: KafkaBenchResult;
  /** The metrics section: produce with metrics.listeners on vs off. */
  metricsCost?: MetricsCostResult;
  /** The security section: TLS and SASL_SSL throughput beside PLAINTEXT. */
  security?: SecurityResult;
  /** The rebalance section: one member joining a 10-member group, classic vs consumer protocol. */
  rebalance?: RebalanceResult;
  /** The streams section: samsa/streams topologies against a consumer → producer loop. */
  streams?: StreamsBenchResult;
  profiles: { workload: string; totalMs: number; top: ProfileEntry[]; byFile: ProfileEntry[] }[];
  targets: Target[];
}

/** Results with `meta` and nothing measured yet (sections fill them in). */
export function emptyResults(meta: BenchResults['meta'], partitionCount: number): BenchResults {
  return {
    meta,
    disk: null,
    produce: [],
    consume: [],
    runs: [],
    latency: [],
    latencySeries: [],
    startup: { samsaColdMs: null, samsaWarmMs: null, samsaWarm1kMs: null, nullMs: null },
    memory: { samsaIdleMB: null, samsaLoadMB: null, nullIdleMB: null, nullLoadMB: null },
    partitions: { count: partitionCount, samsa: null, nullBroker: null },
    profiles: [],
    targets: [],
  };
}

const NINES_MAX = 3.5;

/** Curve points from a histogram, from p0 to p99.97 on a "nines" axis. */
export function seriesFrom(label: string, h: LatencyHistogram): LatencySeries {
  const points: [number, number][] = [];
  if (h.count === 0) return { label, points };
  for (let x = 0; x <= NINES_MAX + 1e-9; x += 0.05) {
    const q = 1 - 10 ** -x;
    points.push([Number(x.toFixed(2)), h.quantile(q)]);
  }
  return { label, points };
}

function n(v: number, d = 0): string {
  return v.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d });
}

function mdTable(headers: string[], rows: string[][], align?: ('l' | 'r')[]): string {
  const a = align ?? headers.map((_, i) => (i === 0 ? 'l' : 'r'));
  return [`| ${headers.join(' | ')} |`, `|${a.map((x) => (x === 'r' ? '---:' : ':---')).join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n') + '\n';
}

function tp(t: Throughput): string {
  return t.error ? `error: ${t.error}` : `${n(t.recordsPerSec)} rec/s, ${n(t.mbPerSec, 1)} MB/s`;
}

function ms(v: number | null | undefined, d = 2): string {
  return v === null || v === undefined ? 'n/a' : `${n(v, d)}`;
}

function lat(s: LatencySummary | null): [string, string, string] {
  return s ? [ms(s.p50), ms(s.p99), ms(s.p999)] : ['n/a', 'n/a', 'n/a'];
}

export function renderMarkdown(r: BenchResults): string {
  const out: string[] = [];
  out.push(`# Samsa benchmark (${r.meta.scale})\n`);
  out.push(
    `${r.meta.date} · commit ${r.meta.commit} · Node ${r.meta.node} · librdkafka ${r.meta.librdkafka} · ${r.meta.cpus} × ${r.meta.cpuModel} · load average at start ${r.meta.loadAvgAtStart.map((x) => x.toFixed(2)).join(' ')} · ${n(r.meta.durationSec)} s\n`,
  );
  out.push('Baseline: the **null broker** (bench/null-broker.ts) answers the same protocol and stores nothing, driven by the same client in the same run. Ratio = Samsa ÷ null broker (1.0 = as fast as client + loopback allow).\n');
  if (r.meta.notes.length) out.push(r.meta.notes.map((x) => `- ${x}`).join('\n') + '\n');

  if (r.targets.length) {
    out.push('## Acceptance targets\n');
    out.push(mdTable(['Target', 'Goal', 'Measured', 'Result'], r.targets.map((t) => [t.name, t.target, t.measured, resultOf(t)]), ['l', 'l', 'r', 'l']));
  }
  if (r.produce.length) {
    out.push('## Produce throughput (rdkafka_performance, 6 partitions, linger.ms=5)\n');
    out.push(mdTable(['Workload', 'Records', 'Samsa', 'Null broker', 'Ratio'], r.produce.map((p) => [p.name, n(p.records), tp(p.samsa), tp(p.nullBroker), p.ratio.toFixed(2)])));
  }
  const floors = renderProduceFloors(r, (h, rows) => mdTable(h, rows));
  if (floors !== '') out.push(floors);
  if (r.consume.length) {
    out.push('## Consume throughput (one rdkafka_performance consumer, all partitions from the beginning)\n');
    out.push(mdTable(['Workload', 'Records', 'Samsa', 'Null broker (synthetic fetch)', 'Ratio'], r.consume.map((p) => [p.name, n(p.records), tp(p.samsa), tp(p.nullBroker), p.ratio.toFixed(2)])));
  }
  if (r.latency.length) {
    const l0 = r.latency[0];
    out.push(`## End-to-end latency (ms; 100-byte records, acks=${l0?.acks ?? '1'}, linger.ms=${l0?.lingerMs ?? 0}${l0?.runs && l0.runs.length > 1 ? `; every record of ${l0.runs.length} runs per rate` : ''})\n`);
    out.push('Produce→consume is measured by a consumer that reads the send time stamped into each record; produce→ack is the delivery-report latency on the producer. The null broker stores nothing, so it has only produce→ack; the floor is the same consumer + producer pair, in the same rotation, against the null broker serving the produced batches from memory (bench/null-serve.ts). The throughput runs batch with the librdkafka defaults (linger.ms=5, batch.num.messages=10000, batch.size=1 MB).\n');
    out.push(
      mdTable(
        ['Rate (rec/s)', 'Records', 'Samsa e2e p50', 'p99', 'p99.9', 'Floor e2e p50', 'p99', 'p99.9', 'Samsa ack p50', 'p99', 'p99.9', 'Null ack p50', 'p99', 'p99.9'],
        r.latency.map((l) => [n(l.rate), l.error ? `${n(l.received)} (${l.error})` : n(l.received), ...lat(l.samsaEndToEnd), ...lat(l.floorEndToEnd ?? null).map((x, i) => (i === 0 && l.floorError ? `${x} (${l.floorError})` : x)), ...lat(l.samsaProduceAck), ...lat(l.nullProduceAck)]),
      ),
    );
    out.push('![latency distribution](latency.svg)\n');
    out.push(renderBreakdown(r.latency, mdTable));
  }
  if (r.cluster !== undefined) out.push(renderCluster(r.cluster));
  if (r.kafka !== undefined) out.push(renderKafka(r.kafka));
  if (r.metricsCost !== undefined) out.push(renderMetricsCost(r.metricsCost));
  if (r.security !== undefined) out.push(renderSecurity(r.security, (h, rows) => mdTable(h, rows)));
  if (r.rebalance !== undefined) out.push(renderRebalance(r.rebalance, (h, rows) => mdTable(h, rows)));
  if (r.streams !== undefined) out.push(renderStreams(r.streams, (h, rows) => mdTable(h, rows)));
  out.push('## Start-up and memory\n');
  out.push(
    mdTable(
      ['Measure', 'Samsa', 'Null broker'],
      [
        ['Launch → first acknowledged produce, empty data dir (ms)', ms(r.startup.samsaColdMs, 0), ms(r.startup.nullMs, 0)],
        ['Launch → first acknowledged produce, existing data (ms)', ms(r.startup.samsaWarmMs, 0), '—'],
        ['Launch → first acknowledged produce, 1,000 partitions on disk (ms)', ms(r.startup.samsaWarm1kMs ?? null, 0), '—'],
        ['RSS idle (MB)', ms(r.memory.samsaIdleMB, 1), ms(r.memory.nullIdleMB, 1)],
        ['RSS peak under 1 KiB produce load (MB)', ms(r.memory.samsaLoadMB, 1), ms(r.memory.nullLoadMB, 1)],
      ],
    ),
  );
  const ps = r.partitions;
  out.push(`## Partition scale (${n(ps.count)} partitions on one broker)\n`);
  const sc = (s: ScaleResult | null, f: (x: ScaleResult) => string): string => (s === null ? 'n/a' : s.error ? `error: ${s.error}` : f(s));
  out.push(
    mdTable(
      ['Measure', 'Samsa', 'Null broker'],
      [
        ['CreateTopics time (ms)', sc(ps.samsa, (s) => n(s.createMs)), sc(ps.nullBroker, (s) => n(s.createMs))],
        ['RSS after creation (MB)', sc(ps.samsa, (s) => n(s.rssMB, 1)), sc(ps.nullBroker, (s) => n(s.rssMB, 1))],
        ['Open file descriptors', sc(ps.samsa, (s) => n(s.openFds)), sc(ps.nullBroker, (s) => n(s.openFds))],
        ['One record to every partition (ms)', sc(ps.samsa, (s) => n(s.produceMs)), sc(ps.nullBroker, (s) => n(s.produceMs))],
        ['Partitions acknowledged / errors', sc(ps.samsa, (s) => `${n(s.producedPartitions)} / ${n(s.errors)}`), sc(ps.nullBroker, (s) => `${n(s.producedPartitions)} / ${n(s.errors)}`)],
      ],
    ),
  );
  if (r.manyTopics !== undefined) out.push(renderManyTopics(r.manyTopics, (h, rows) => mdTable(h, rows)));
  if (r.disk) out.push(`## Disk\n\nSequential write to the data directory's disk (${r.disk.path}, ${n(r.disk.bytes / 1048576)} MiB, 1 MiB writes, fsync at end): **${n(r.disk.writeMBps, 0)} MB/s**.\n`);
  for (const prof of r.profiles) {
    out.push(`## Where the broker's time goes: ${prof.workload}\n`);
    out.push(`node --cpu-prof; ${n(prof.totalMs)} ms of broker CPU samples inside the workload window. Top functions by self time:\n`);
    out.push(mdTable(['Function', 'Location', 'Self ms', 'Self %'], prof.top.map((e) => [`\`${e.functionName}\``, e.location, n(e.selfMs), e.selfPct.toFixed(1)]), ['l', 'l', 'r', 'r']));
    out.push('By file:\n');
    out.push(mdTable(['File', 'Self ms', 'Self %'], prof.byFile.map((e) => [e.location, n(e.selfMs), e.selfPct.toFixed(1)]), ['l', 'r', 'r']));
  }
  out.push('MB = 10^6 bytes of record values. Raw figures: results.json.\n');
  return out.join('\n');
}

function renderCluster(c: ClusterBenchResult): string {
  const out: string[] = [];
  out.push(`## Cluster: ${c.brokers} brokers on etcd, RF ${c.replicationFactor}, min.insync.replicas=${c.minInsyncReplicas}, against one broker\n`);
  out.push(`Three \`samsa start\` processes (node.id 1–3, etcd.endpoints, default settings otherwise) and one etcd on this machine; the single broker runs without etcd, its topic has replication factor 1. Same rdkafka_performance workload against both (${c.partitions} partitions, ${n(c.recordSize)} B records, acks=all, linger.ms=5), alternating. etcd start ${ms(c.etcdStartMs, 0)} ms; first broker spawned → all three up and a topic fully replicated ${ms(c.clusterReadyMs, 0)} ms.\n`);
  if (c.error) out.push(`Failed: ${c.error}\n`);
  if (c.single && c.cluster) {
    out.push(mdTable(['Workload', 'Records', 'Single broker', '3 brokers, RF 3', 'Cluster ÷ single'], [[`${n(c.recordSize)} B, acks=all`, n(c.records), tp(c.single), tp(c.cluster), c.ratio === null ? 'n/a' : c.ratio.toFixed(2)]]));
  }
  out.push(`Every run (broker CPU = user + system seconds of the broker process(es) during the run): ${c.runs.map((x) => `${x.target} ${x.run}: ${x.produce.error ? 'error' : `${n(x.produce.recordsPerSec)} rec/s`}, broker CPU ${n(x.brokerCpuSec, 2)} s`).join('; ')}.\n`);
  const l = c.latency;
  if (l) {
    out.push(`Latency at ${n(l.rate)} records/s for ${n(l.records / l.rate)} s (${n(l.recordSize)} B records, acks=all, linger.ms=0), ms:\n`);
    const row = (name: string, o: LatencyOutcome | null): string[] => [name, o === null ? 'n/a' : o.error ? `${n(o.received)} (${o.error})` : n(o.received), ...lat(o?.endToEnd ?? null), ...lat(o?.produceAck ?? null)];
    out.push(mdTable(['Target', 'Received', 'e2e p50', 'p99', 'p99.9', 'ack p50', 'p99', 'p99.9'], [row('Single broker', l.single), row('3 brokers, RF 3', l.cluster)]));
  }
  return out.join('\n');
}

const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf'];

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Latency (log scale) against percentile (nines scale), one line per series. */
export function renderLatencySvg(series: LatencySeries[], title = 'Latency distribution'): string {
  const W = 760;
  const H = 420;
  const m = { l: 70, r: 20, t: 40, b: 110 };
  const pw = W - m.l - m.r;
  const ph = H - m.t - m.b;
  const values = series.flatMap((s) => s.points.map((p) => p[1])).filter((v) => v > 0);
  const lo = values.length ? 10 ** Math.floor(Math.log10(Math.min(...values))) : 0.1;
  const hi = values.length ? 10 ** Math.ceil(Math.log10(Math.max(...values))) : 100;
  const ly0 = Math.log10(lo);
  const ly1 = Math.max(Math.log10(hi), ly0 + 1);
  const x = (nines: number): number => m.l + (Math.min(nines, NINES_MAX) / NINES_MAX) * pw;
  const y = (v: number): number => m.t + ph - ((Math.log10(Math.max(v, lo)) - ly0) / (ly1 - ly0)) * ph;
  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`);
  parts.push(`<rect width="${W}" height="${H}" fill="white"/>`);
  parts.push(`<text x="${W / 2}" y="22" text-anchor="middle" font-size="15" font-weight="bold">${esc(title)}</text>`);
  for (const [nines, label] of [[0, 'p0'], [0.30103, 'p50'], [1, 'p90'], [2, 'p99'], [3, 'p99.9']] as const) {
    parts.push(`<line x1="${x(nines)}" y1="${m.t}" x2="${x(nines)}" y2="${m.t + ph}" stroke="#ddd"/>`);
    parts.push(`<text x="${x(nines)}" y="${m.t + ph + 16}" text-anchor="middle">${label}</text>`);
  }
  for (let e = Math.round(ly0); e <= Math.round(ly1); e++) {
    const v = 10 ** e;
    parts.push(`<line x1="${m.l}" y1="${y(v)}" x2="${m.l + pw}" y2="${y(v)}" stroke="#ddd"/>`);
    parts.push(`<text x="${m.l - 6}" y="${y(v) + 4}" text-anchor="end">${v >= 1 ? n(v) : v.toPrecision(1)}</text>`);
  }
  parts.push(`<rect x="${m.l}" y="${m.t}" width="${pw}" height="${ph}" fill="none" stroke="#333"/>`);
  parts.push(`<text x="${m.l + pw / 2}" y="${m.t + ph + 34}" text-anchor="middle">percentile</text>`);
  parts.push(`<text transform="translate(18 ${m.t + ph / 2}) rotate(-90)" text-anchor="middle">latency (ms, log scale)</text>`);
  series.forEach((s, i) => {
    const color = PALETTE[i % PALETTE.length] as string;
    const dash = /^null/i.test(s.label) ? ' stroke-dasharray="6 4"' : '';
    if (s.points.length) parts.push(`<polyline fill="none" stroke="${color}" stroke-width="2"${dash} points="${s.points.map(([a, b]) => `${x(a).toFixed(1)},${y(b).toFixed(1)}`).join(' ')}"/>`);
    const col = i % 2;
    const row = Math.floor(i / 2);
    const lx = m.l + col * (pw / 2);
    const ly = m.t + ph + 52 + row * 16;
    parts.push(`<line x1="${lx}" y1="${ly - 4}" x2="${lx + 22}" y2="${ly - 4}" stroke="${color}" stroke-width="3"${dash}/>`);
    parts.push(`<text x="${lx + 28}" y="${ly}">${esc(s.label)}</text>`);
  });
  parts.push('</svg>');
  return parts.join('\n') + '\n';
}

/** Writes report.md, results.json and latency.svg into `dir`; returns the paths. */
export function writeReport(dir: string, r: BenchResults): { markdown: string; json: string; svg: string } {
  mkdirSync(dir, { recursive: true });
  const paths = { markdown: join(dir, 'report.md'), json: join(dir, 'results.json'), svg: join(dir, 'latency.svg') };
  writeFileSync(paths.markdown, renderMarkdown(r));
  writeFileSync(paths.json, JSON.stringify(r, null, 2) + '\n');
  writeFileSync(paths.svg, renderLatencySvg(r.latencySeries, 'Latency distribution (100-byte records)'));
  return paths;
}

/** The metrics section: the same produce workloads with the metrics listener on and off. */
function renderMetricsCost(m: MetricsCostResult): string {
  const out: string[] = ['## Metrics cost\n'];
  out.push('Two `samsa start` processes, one with `metrics.listeners` (its /metrics scraped every second during the runs) and one without; the same rdkafka_performance produce workloads alternate between them, best run kept. Cost = 1 − on ÷ off (negative values are noise).\n');
  const tpOf = (t: Throughput): string => (t.error ? `error: ${t.error}` : `${Math.round(t.recordsPerSec).toLocaleString('en-US')} rec/s`);
  out.push(mdTable(['Workload', 'Records', 'Metrics off', 'Metrics on', 'Cost'], m.rows.map((r) => [r.workload, r.records.toLocaleString('en-US'), tpOf(r.off), tpOf(r.on), r.cost === null ? 'n/a' : `${(r.cost * 100).toFixed(1)} %`])));
  out.push(`Scrapes during the runs: ${m.scrapes}${m.scrapeMs ? `, ${m.scrapeMs.p50.toFixed(1)} ms median (max ${m.scrapeMs.max.toFixed(1)} ms)` : ''}, largest body ${m.maxScrapeBytes.toLocaleString('en-US')} bytes.\n`);
  return out.join('\n');
}
