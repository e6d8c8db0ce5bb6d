/**
 * The broker's side of a latency run (issue 22, target 2): its /metrics scraped before and after
 * each rate (its Samsa runs, and the null broker's while Samsa idles), and the difference read as Kafka's request metrics split per API (RequestQueueTimeMs,
 * LocalTimeMs, RemoteTimeMs, ResponseQueueTimeMs, ResponseSendTimeMs and TotalTimeMs: mean and
 * p99 from the histograms' buckets), garbage collections per kind (count and time), the largest
 * event-loop delay, the event-loop stalls by cause (samsa_eventloop_stall_seconds: count and total
 * lateness of gc, cpu, no_cpu and blocked stalls) and the broker's CPU over the run.
 * p99 is interpolated inside the bucket that holds it (the buckets are request-metrics.ts's
 * TOTAL_TIME_BUCKETS_MS, 0.25 ms to 30 s), so it is as coarse as those bounds.
 */

/** One scrape: every sample line, keyed by name and labels as printed. */
export type MetricsSnapshot = Map<string, number>;

export interface TimePart {
  part: string;
  meanMs: number;
  p99Ms: number;
}

export interface ApiBreakdown {
  api: string;
  requests: number;
  parts: TimePart[];
}

export interface LatencyBreakdown {
  apis: ApiBreakdown[];
  gc: { kind: string; runs: number; ms: number }[];
  /** Largest event-loop delay seen over the run (nodejs_eventloop_lag_max_seconds of the scrape after it). */
  loopLagMaxMs: number;
  /** Event-loop stalls (> 5 ms late) per cause over the run: count and summed lateness. */
  stalls: { cause: string; count: number; ms: number }[];
  cpuSeconds: number;
}

/** Kafka's names of the split, in the order a request goes through them, then the total. */
export const PARTS = [
  ['requestqueuetimems', 'queue'],
  ['localtimems', 'local'],
  ['remotetimems', 'remote'],
  ['responsequeuetimems', 'response queue'],
  ['responsesendtimems', 'send'],
  ['totaltimems', 'total (read → answer ready)'],
] as const;

/** Parses the Prometheus text format's sample lines (comments skipped). */
export function parseSnapshot(text: string): MetricsSnapshot {
  const out: MetricsSnapshot = new Map();
  for (const line of text.split('\n')) {
    if (line.length === 0 || line.startsWith('#')) continue;
    const sp = line.lastIndexOf(' ');
    if (sp < 0) continue;
    const v = Number(line.slice(sp + 1));
    if (Number.isFinite(v) || line.endsWith('Inf')) out.set(line.slice(0, sp), v);
  }
  return out;
}

const urls = new WeakMap<object, string>();

/**
 * Scrapes a bench broker process started with `metrics.listeners` (port 0 allowed): its /metrics
 * URL is read from its log the first time (kept, as the log tail the process keeps moves on).
 */
export async function scrapeBroker(proc: { output(): string }): Promise<MetricsSnapshot> {
  let url = urls.get(proc);
  if (url === undefined) {
    const m = /Metrics listener on (http:\/\/[^\s"]+)/.exec(proc.output());
    if (m === null) throw new Error('the broker logged no metrics listener (start it with metrics.listeners)');
    url = `${m[1] as string}/metrics`;
    urls.set(proc, url);
  }
  return scrapeSnapshot(url);
}

export async function scrapeSnapshot(url: string): Promise<MetricsSnapshot> {
  return parseSnapshot(await (await fetch(url)).text());
}

const delta = (a: MetricsSnapshot, b: MetricsSnapshot, key: string): number => (b.get(key) ?? 0) - (a.get(key) ?? 0);

/** The labels of a sample key `name{k="v",...}` as a record. */
function labelsOf(key: string): Record<string, string> {
  const out: Record<string, string> = {};
  const open = key.indexOf('{');
  if (open < 0) return out;
  for (const m of key.slice(open + 1, -1).matchAll(/(\w+)="([^"]*)"/g)) out[m[1] as string] = m[2] as string;
  return out;
}

/** p99 of a histogram's growth between two scrapes, interpolated inside its bucket. */
function p99(a: MetricsSnapshot, b: MetricsSnapshot, metric: string, api: string, count: number): number {
  const buckets: [number, number][] = [];
  const prefix = `${metric}_bucket{`;
  for (const key of b.keys()) {
    if (!key.startsWith(prefix)) continue;
    const l = labelsOf(key);
    if (l['request'] !== api || l['le'] === undefined) continue;
    buckets.push([l['le'] === '+Inf' ? Infinity : Number(l['le']), delta(a, b, key)]);
  }
  buckets.sort((x, y) => x[0] - y[0]);
  const want = 0.99 * count;
  let prevLe = 0;
  let prevN = 0;
  for (const [le, n] of buckets) {
    if (n >= want) {
      if (!Number.isFinite(le)) return prevLe;
      return n === prevN ? le : prevLe + ((le - prevLe) * (want - prevN)) / (n - prevN);
    }
    prevLe = le;
    prevN = n;
  }
  return prevLe;
}

/** What the broker did between two scrapes, for the APIs given. */
export function breakdown(a: MetricsSnapshot, b: MetricsSnapshot, apis: readonly string[] = ['Produce', 'Fetch']): LatencyBreakdown {
  const out: LatencyBreakdown = { apis: [], gc: [], loopLagMaxMs: (b.get('nodejs_eventloop_lag_max_seconds') ?? 0) * 1000, stalls: [], cpuSeconds: delta(a, b, 'process_cpu_seconds_total') };
  for (const api of apis) {
    const parts: TimePart[] = [];
    let requests = 0;
    for (const [name, part] of PARTS) {
      const metric = `kafka_network_requestmetrics_${name}`;
      const count = delta(a, b, `${metric}_count{request="${api}"}`);
      const sum = delta(a, b, `${metric}_sum{request="${api}"}`);
      if (name === 'totaltimems') requests = count;
      parts.push({ part, meanMs: count > 0 ? sum / count : 0, p99Ms: count > 0 ? p99(a, b, metric, api, count) : 0 });
    }
    out.apis.push({ api, requests, parts });
  }
  for (const key of b.keys()) {
    if (!key.startsWith('nodejs_gc_runs_total{')) continue;
    const kind = labelsOf(key)['kind'] ?? '?';
    const runs = delta(a, b, key);
    if (runs > 0) out.gc.push({ kind, runs, ms: delta(a, b, `nodejs_gc_duration_seconds_total{kind="${kind}"}`) * 1000 });
  }
  for (const cause of ['gc', 'cpu', 'no_cpu', 'blocked']) {
    out.stalls.push({ cause, count: delta(a, b, `samsa_eventloop_stall_seconds_count{cause="${cause}"}`), ms: delta(a, b, `samsa_eventloop_stall_seconds_sum{cause="${cause}"}`) * 1000 });
  }
  return out;
}

/** A p99 inside the first bucket says only that it is below its bound. */
const p99Text = (ms: number): string => (ms < FIRST_BUCKET_MS ? `<${FIRST_BUCKET_MS}` : ms.toFixed(2));
const FIRST_BUCKET_MS = 0.25;

/** Markdown: one row per rate and API (mean / p99 of each part), then GC and event-loop rows. */
export function renderBreakdown(rows: readonly { rate: number; breakdown?: LatencyBreakdown }[], table: (head: string[], rows: string[][]) => string): string {
  const with_ = rows.filter((r) => r.breakdown !== undefined);
  if (with_.length === 0) return '';
  const out: string[] = ['### Where a request\'s time goes on the broker (ms, mean / p99 per request)\n'];
  out.push("Kafka's RequestMetrics split, from the broker's own histograms (`kafka_network_requestmetrics_*`, scraped before and after each rate; p99 interpolated in buckets of 0.25/0.5/1/2.5/5/10 ms…): queue = read → dispatched (the connection paused), local = the synchronous handling, remote = waiting for an asynchronous answer (the consumer's long poll, acks=all), response queue = waiting for earlier answers on the connection, send = handed to the socket → taken by it. Total = read → answer ready.\n");
  const head = ['Rate (rec/s)', 'API', 'Requests', ...PARTS.map(([, p]) => p)];
  const body: string[][] = [];
  for (const r of with_) {
    for (const a of r.breakdown?.apis ?? []) body.push([r.rate.toLocaleString('en-US'), a.api, a.requests.toLocaleString('en-US'), ...a.parts.map((p) => `${p.meanMs.toFixed(3)} / ${p99Text(p.p99Ms)}`)]);
  }
  out.push(table(head, body));
  out.push(
    table(
      ['Rate (rec/s)', 'Broker CPU s', 'GC runs (kind: count, ms)', 'Event-loop delay max (ms)', 'Stalls > 5 ms (cause: count, ms late)'],
      with_.map((r) => {
        const b = r.breakdown as LatencyBreakdown;
        return [r.rate.toLocaleString('en-US'), b.cpuSeconds.toFixed(2), b.gc.map((g) => `${g.kind}: ${g.runs}, ${g.ms.toFixed(1)}`).join('; ') || '—', b.loopLagMaxMs.toFixed(1), (b.stalls ?? []).map((x) => `${x.cause}: ${x.count}, ${x.ms.toFixed(0)}`).join('; ') || '—'];
      }),
    ),
  );
  return out.join('\n');
}
