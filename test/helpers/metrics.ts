/**
 * Scraping a broker's metrics listener in tests: GET /metrics parsed with a real Prometheus text
 * parser (parse-prometheus-text-format, prom2json's output), and lookups by name and labels; a
 * broker started with a metrics listener, and its URL (one per test file: metricsBrokerForFile).
 */
import { after, before } from 'node:test';
import parsePrometheusTextFormat, { type ParsedFamily, type ParsedSample } from 'parse-prometheus-text-format';
import { Broker, startBroker, type RunningBroker } from '../../src/index.js';

export type { ParsedFamily, ParsedSample };

export class Scrape {
  constructor(
    readonly text: string,
    readonly families: ParsedFamily[],
  ) {}

  family(name: string): ParsedFamily | undefined {
    return this.families.find((f) => f.name === name);
  }

  /** The sample of `name` whose labels are exactly `labels` (no labels: the unlabelled series). */
  sample(name: string, labels: Record<string, string> = {}): ParsedSample | undefined {
    const want = Object.entries(labels);
    return this.family(name)?.metrics.find((m) => {
      const have = Object.entries(m.labels ?? {});
      return have.length === want.length && want.every(([k, v]) => m.labels?.[k] === v);
    });
  }

  /** The numeric value of a counter or gauge sample (undefined when absent). */
  value(name: string, labels: Record<string, string> = {}): number | undefined {
    const v = this.sample(name, labels)?.value;
    return v === undefined ? undefined : Number(v);
  }

  /** Every sample of `name` as [labels, value]. */
  values(name: string): [Record<string, string>, number][] {
    return (this.family(name)?.metrics ?? []).map((m) => [m.labels ?? {}, Number(m.value)]);
  }
}

/**
 * Parses an exposition. parse-prometheus-text-format (prom2json's shape) folds a histogram's
 * series into one sample and drops their labels (other than `le`); histograms with labels are
 * rebuilt from the same parser's reading of their lines as untyped series (labels intact).
 */
export function parseExposition(text: string): ParsedFamily[] {
  const families = parsePrometheusTextFormat(text);
  for (const f of families) {
    if (f.type !== 'HISTOGRAM') continue;
    const lines = text.split('\n').filter((l) => l.startsWith(`${f.name}_bucket`) || l.startsWith(`${f.name}_sum`) || l.startsWith(`${f.name}_count`));
    const parts = parsePrometheusTextFormat(`${lines.join('\n')}\n`);
    const byLabels = new Map<string, ParsedSample & { buckets: Record<string, string> }>();
    const of = (labels: Record<string, string>): ParsedSample & { buckets: Record<string, string> } => {
      const rest = Object.fromEntries(Object.entries(labels).filter(([k]) => k !== 'le'));
      const key = JSON.stringify(Object.entries(rest).sort());
      let h = byLabels.get(key);
      if (h === undefined) byLabels.set(key, (h = { labels: rest, buckets: {} }));
      return h;
    };
    for (const part of parts) {
      for (const m of part.metrics) {
        const h = of(m.labels ?? {});
        if (part.name === `${f.name}_bucket`) h.buckets[m.labels?.['le'] ?? ''] = m.value ?? '';
        else if (part.name === `${f.name}_sum`) h.sum = m.value ?? '';
        else if (part.name === `${f.name}_count`) h.count = m.value ?? '';
      }
    }
    f.metrics = [...byLabels.values()];
  }
  return families;
}

/** GET `${url}/metrics`, checked for status 200 and the Prometheus text content type, and parsed. */
export async function scrape(url: string): Promise<Scrape> {
  const res = await fetch(`${url}/metrics`);
  const text = await res.text();
  if (res.status !== 200) throw new Error(`GET ${url}/metrics: ${res.status} ${text}`);
  const type = res.headers.get('content-type') ?? '';
  if (!type.startsWith('text/plain; version=0.0.4')) throw new Error(`unexpected content type ${type}`);
  return new Scrape(text, parseExposition(text));
}

/** The URL of a broker's first metrics listener (metrics.listeners); throws when it has none. */
export function metricsUrl(b: RunningBroker | Broker): string {
  const broker = b instanceof Broker ? b : b.broker;
  const url = broker.observability?.listeners[0]?.url;
  if (url === undefined) throw new Error('the broker has no metrics listener bound (metrics.listeners)');
  return url;
}

/** An in-process broker on a free port with a metrics listener on a free port (and `config`), and that listener's URL. */
export async function startMetricsBroker(config: Record<string, string | number | boolean> = {}): Promise<{ broker: RunningBroker; url: string }> {
  const broker = await startBroker({ port: 0, config: { 'metrics.listeners': 'http://127.0.0.1:0', ...config } });
  return { broker, url: metricsUrl(broker) };
}

/**
 * One startMetricsBroker broker shared by a test file's tests: started before them, stopped after
 * them (node:test's before/after); read its `broker` and `url` inside the tests.
 */
export function metricsBrokerForFile(config: Record<string, string | number | boolean> = {}): { readonly broker: RunningBroker; readonly url: string } {
  let started: { broker: RunningBroker; url: string } | undefined;
  before(async () => {
    started = await startMetricsBroker(config);
  });
  after(async () => {
    await started?.broker.stop();
  });
  const get = (): { broker: RunningBroker; url: string } => {
    if (started === undefined) throw new Error('the metrics broker is not started (read it inside a test)');
    return started;
  };
  return {
    get broker() {
      return get().broker;
    },
    get url() {
      return get().url;
    },
  };
}
