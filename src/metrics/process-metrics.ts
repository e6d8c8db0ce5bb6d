/**
 * Process and event-loop metrics of a broker's registry, read at scrape time: CPU, RSS, heap,
 * GC time per kind, event-loop delay (lag) and utilisation. The names are prom-client's default
 * metrics' (process_cpu_seconds_total, process_resident_memory_bytes, nodejs_gc_duration_seconds,
 * nodejs_gc_runs_total (prom-client's count of the GC histogram, as a counter),
 * nodejs_eventloop_lag_p50/p99/max_seconds), plus Kafka's network idle gauge:
 *   kafka_network_socketserver_networkprocessoravgidle_percent
 * (Kafka: the share of time its network threads wait for work; here 1 - event-loop utilisation
 * since the previous scrape, as the one event loop does the network processors' work).
 *
 * Event-loop stalls by cause (samsa_eventloop_stall_seconds) are event-loop-stalls.ts's.
 *
 * Not prom-client's collectDefaultMetrics: that installs a GC observer and an event-loop monitor
 * that are never removed; a broker started and stopped in a test would leak them. These are
 * started with the metrics listener and stopped with it (`close()`).
 */
import { constants, monitorEventLoopDelay, performance, PerformanceObserver, type IntervalHistogram } from 'node:perf_hooks';
import { Counter, Gauge, type Registry } from 'prom-client';
import { EventLoopStalls } from './event-loop-stalls.js';

/** Event-loop delay sampling interval. */
const RESOLUTION_MS = 20;
/** Node's GC entry kinds (perf_hooks constants: minor 1, major 4, incremental 8, weakcb 16). */
const GC_KINDS: Record<number, string> = {
  [constants.NODE_PERFORMANCE_GC_MINOR]: 'minor',
  [constants.NODE_PERFORMANCE_GC_MAJOR]: 'major',
  [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental',
  [constants.NODE_PERFORMANCE_GC_WEAKCB]: 'weakcb',
};

export class ProcessMetrics {
  private readonly delay: IntervalHistogram;
  private readonly gcObserver: PerformanceObserver;
  private readonly gcSeconds = new Map<string, number>();
  private readonly gcRuns = new Map<string, number>();
  readonly stalls: EventLoopStalls;
  private closed = false;

  constructor(registry: Registry) {
    this.delay = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
    this.delay.enable();
    const stalls = new EventLoopStalls(registry);
    this.stalls = stalls;
    this.gcObserver = new PerformanceObserver((list) => {
      for (const e of list.getEntries()) {
        stalls.noteGc(e.startTime, e.duration);
        const detail = Reflect.get(e, 'detail') as { kind?: number } | undefined;
        const kind = GC_KINDS[detail?.kind ?? 0] ?? 'other';
        this.gcSeconds.set(kind, (this.gcSeconds.get(kind) ?? 0) + e.duration / 1000);
        this.gcRuns.set(kind, (this.gcRuns.get(kind) ?? 0) + 1);
      }
    });
    this.gcObserver.observe({ entryTypes: ['gc'] });
    const registers = [registry];
    new Counter({
      name: 'process_cpu_seconds_total',
      help: 'User and system CPU time spent, in seconds',
      registers,
      collect() {
        const u = process.cpuUsage();
        this.reset();
        this.inc((u.user + u.system) / 1e6);
      },
    });
    new Gauge({ name: 'process_resident_memory_bytes', help: 'Resident memory size in bytes', registers, collect() {
      this.set(process.memoryUsage.rss());
    } });
    new Gauge({ name: 'nodejs_heap_size_used_bytes', help: 'V8 heap used, in bytes', registers, collect() {
      this.set(process.memoryUsage().heapUsed);
    } });
    new Gauge({ name: 'process_start_time_seconds', help: 'Start time of the process since the Unix epoch, in seconds', registers, collect() {
      this.set(Math.round(performance.timeOrigin / 1000));
    } });
    const gc = this.gcSeconds;
    new Counter({
      name: 'nodejs_gc_duration_seconds_total',
      help: 'Time spent in garbage collection, per kind, in seconds',
      labelNames: ['kind'],
      registers,
      collect() {
        this.reset();
        for (const [kind, s] of gc) this.inc({ kind }, s);
      },
    });
    const runs = this.gcRuns;
    new Counter({
      name: 'nodejs_gc_runs_total',
      help: 'Garbage collections, per kind',
      labelNames: ['kind'],
      registers,
      collect() {
        this.reset();
        for (const [kind, n] of runs) this.inc({ kind }, n);
      },
    });
    // prom-client's names (nodejs_eventloop_lag_p50_seconds, ...): a gauge may not carry a quantile label.
    const delay = this.delay;
    // The monitor records the whole interval between its timer's runs: the delay is the excess over the resolution.
    const excess = (ns: number): number => Math.max(0, ns - RESOLUTION_MS * 1e6) / 1e9;
    const lag = (name: string, help: string, value: () => number, last = false): void => {
      new Gauge({ name, help, registers, collect() {
        this.set(delay.count > 0 ? excess(value()) : 0);
        // Each scrape reports the delays since the previous one.
        if (last) delay.reset();
      } });
    };
    lag('nodejs_eventloop_lag_p50_seconds', 'Median event-loop delay since the previous scrape, in seconds', () => delay.percentile(50));
    lag('nodejs_eventloop_lag_p99_seconds', '99th percentile event-loop delay since the previous scrape, in seconds', () => delay.percentile(99));
    lag('nodejs_eventloop_lag_max_seconds', 'Largest event-loop delay since the previous scrape, in seconds', () => delay.max, true);
    let last = performance.eventLoopUtilization();
    new Gauge({
      name: 'kafka_network_socketserver_networkprocessoravgidle_percent',
      help: 'Share of time the event loop was idle since the previous scrape (NetworkProcessorAvgIdlePercent analogue, 0..1)',
      registers,
      collect() {
        const now = performance.eventLoopUtilization();
        this.set(1 - performance.eventLoopUtilization(now, last).utilization);
        last = now;
      },
    });
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.delay.disable();
    this.gcObserver.disconnect();
    this.stalls.close();
  }
}
