/**
 * The /metrics body rendered a few metric families per macrotask, so that a scrape does not hold
 * the event loop for its whole length.
 *
 * Kafka's rule: none (the JMX exporter reads the MBeans on its own thread; the broker's request
 * threads never wait for it). prom-client's Registry.metrics() collects and formats every family
 * in one synchronous pass (its awaits are microtasks: nothing else runs in between). Samsa's
 * measurement (issue 22 target 2, bench latency on the 2-core VM, CPU profile at 100 µs): the first
 * scrape of a broker (JIT-cold, about 70 KB of text) kept the loop busy 16 ms in one macrotask
 * (getMetricsAsString, formatLabels, the gauges' collect), counted as a `cpu` event-loop stall,
 * and every Produce and Fetch read meanwhile waited behind it; the bench's own scrape before each
 * rate lands in that rate's stall table (a stall is classified one tick after it ends). Largest
 * loop gap during a warm scrape of an idle in-process broker (21 KB): 2.4–5.2 ms before, 1.7–3.6
 * ms sliced.
 *
 * Here the families are rendered in registry order, one after another, and the loop gets a turn
 * (setImmediate) whenever SCRAPE_SLICE_MS have passed since the last one: requests, timers and I/O
 * run between slices; one family is still rendered in one go (all of its label sets), and the
 * first scrape still compiles prom-client's code as it goes. The text is the same as
 * Registry.metrics() gives (Prometheus text format 0.0.4; another content type falls back to it).
 * Deviation: the values are read family by family over the scrape (a few milliseconds apart), not
 * at one instant, as the JMX exporter reads MBean by MBean.
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
import { Registry } from 'prom-client';

/** Rendering time after which the scrape yields to the event loop. */
export const SCRAPE_SLICE_MS = 1;

/** The registry's exposition text, rendered in slices of about `sliceMs` of the loop's time. */
export async function renderInSlices(registry: Registry, sliceMs = SCRAPE_SLICE_MS): Promise<string> {
  if (registry.contentType !== Registry.PROMETHEUS_CONTENT_TYPE) return registry.metrics();
  const parts: string[] = [];
  let sliceStart = performance.now();
  for (const metric of registry.getMetricsAsArray()) {
    if (performance.now() - sliceStart >= sliceMs) {
      await nextTurn();
      sliceStart = performance.now();
    }
    // A family removed while the scrape waited for its turn is left out.
    if (registry.getSingleMetric(metric.name) === undefined) continue;
    parts.push(await registry.getSingleMetricAsString(metric.name));
  }
  return `${parts.join('\n\n')}\n`;
}
