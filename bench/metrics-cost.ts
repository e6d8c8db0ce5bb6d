/**
 * The `metrics` section of `npm run bench` (issue 16, must-show 4): the cost of the metrics on the
 * produce path. Two `samsa start` processes in the same run, one with `metrics.listeners` (its
 * /metrics scraped every second while the load runs, harsher than Prometheus' usual 15 s) and one
 * without; the same rdkafka_performance produce workloads alternate between them, best run of
 * each kept, after a warm-up run on each. Cost = 1 − (throughput with metrics ÷ throughput
 * without); the target is < 3 %. Runs must be long enough for 3 % to stand out of the noise: the
 * --quick scale's runs last well under a second, so only the default or --full scale, on a quiet
 * machine, measures the cost; --quick checks that the section works.
 */
import type { Throughput } from './report.js';

export interface MetricsCostRow {
  workload: string;
  records: number;
  off: Throughput;
  on: Throughput;
  /** 1 − on ÷ off (negative: the run with metrics was faster, i.e. noise). */
  cost: number | null;
}

export interface MetricsCostResult {
  rows: MetricsCostRow[];
  /** Scrapes made during the runs, and the largest /metrics body seen (bytes). */
  scrapes: number;
  maxScrapeBytes: number;
  scrapeMs: { p50: number; max: number } | null;
}

export interface MetricsCostDeps {
  log(msg: string): void;
  work: string;
  repeats: number;
  partitions: number;
  workloads: readonly { name: string; size: number; acks: string; records: number }[];
  freePort(): Promise<number>;
  /** Starts `samsa start` with these overrides; resolves once it is up. */
  startBroker(dataDir: string, overrides: Record<string, string>): Promise<{ port: number; stop(): Promise<void> }>;
  createTopic(port: number, name: string, partitions: number): Promise<void>;
  produce(port: number, topic: string, size: number, records: number, acks: string): Promise<Throughput>;
}

export async function metricsCostScenario(d: MetricsCostDeps): Promise<MetricsCostResult> {
  const metricsPort = await d.freePort();
  const on = await d.startBroker(`${d.work}/samsa-metrics-on`, { 'metrics.listeners': `http://127.0.0.1:${metricsPort}` });
  const off = await d.startBroker(`${d.work}/samsa-metrics-off`, {});
  const scrapeTimes: number[] = [];
  let maxScrapeBytes = 0;
  let scraping = true;
  const scraper = (async () => {
    while (scraping) {
      const t0 = performance.now();
      try {
        const body = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
        scrapeTimes.push(performance.now() - t0);
        maxScrapeBytes = Math.max(maxScrapeBytes, body.length);
      } catch {
        /* the broker is starting or stopping */
      }
      await new Promise((r) => setTimeout(r, 1000));
    }
  })();
  const rows: MetricsCostRow[] = [];
  try {
    // Warm-up, not counted: both brokers' code paths compiled before the first measured run.
    const first = d.workloads[0];
    if (first !== undefined) {
      for (const [kind, b] of [['on', on], ['off', off]] as const) {
        await d.createTopic(b.port, 'metrics-warmup', d.partitions);
        d.log(`metrics ${kind}: warm-up`);
        await d.produce(b.port, 'metrics-warmup', first.size, Math.min(first.records, 200_000), first.acks);
      }
    }
    for (const [i, w] of d.workloads.entries()) {
      let bestOn: Throughput | null = null;
      let bestOff: Throughput | null = null;
      const better = (a: Throughput | null, b: Throughput): Throughput => (a === null || (!b.error && b.recordsPerSec > a.recordsPerSec) ? b : a);
      for (let rep = 0; rep < d.repeats; rep++) {
        // Alternate which goes first, so a drift in machine load hits both alike.
        const order = rep % 2 === 0 ? ([['on', on], ['off', off]] as const) : ([['off', off], ['on', on]] as const);
        for (const [kind, b] of order) {
          const topic = `metrics-${i}-${rep}`;
          await d.createTopic(b.port, topic, d.partitions);
          d.log(`metrics ${kind}: produce ${w.name} × ${w.records}${d.repeats > 1 ? ` (run ${rep + 1}/${d.repeats})` : ''}`);
          const t = await d.produce(b.port, topic, w.size, w.records, w.acks);
          d.log(`  metrics ${kind}: ${Math.round(t.recordsPerSec)} rec/s ${t.mbPerSec.toFixed(1)} MB/s${t.error ? ` (${t.error})` : ''}`);
          if (kind === 'on') bestOn = better(bestOn, t);
          else bestOff = better(bestOff, t);
        }
      }
      if (bestOn === null || bestOff === null) continue;
      rows.push({ workload: w.name, records: w.records, off: bestOff, on: bestOn, cost: bestOff.recordsPerSec > 0 && !bestOn.error && !bestOff.error ? 1 - bestOn.recordsPerSec / bestOff.recordsPerSec : null });
    }
  } finally {
    scraping = false;
    await scraper;
    await on.stop();
    await off.stop();
  }
  const sorted = [...scrapeTimes].sort((a, b) => a - b);
  return {
    rows,
    scrapes: scrapeTimes.length,
    maxScrapeBytes,
    scrapeMs: sorted.length === 0 ? null : { p50: sorted[Math.floor(sorted.length / 2)] ?? 0, max: sorted[sorted.length - 1] ?? 0 },
  };
}
