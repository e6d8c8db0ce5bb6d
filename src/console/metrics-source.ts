/**
 * Broker byte counters from Samsa metrics endpoints (`--metrics URL[,URL...]`, Prometheus text
 * of metrics.listeners): the broker-wide kafka_server_brokertopicmetrics_bytesin_total and
 * _bytesout_total (Kafka's BytesInPerSec / BytesOutPerSec; the series without a topic label),
 * summed over the endpoints. Bounded: 3 s per endpoint, at most 32 MiB read; an endpoint that
 * fails is left out of the sum (the answer says how many answered).
 */
const TIMEOUT_MS = 3000;
const MAX_BYTES = 32 * 1024 * 1024;
const SERIES = /^kafka_server_brokertopicmetrics_(bytesin|bytesout)_total(\{[^}]*\})?\s+([0-9.eE+-]+)\s*$/;

export interface ByteCounters {
  bytesIn: number;
  bytesOut: number;
  endpoints: number;
  answered: number;
}

/** Sums the broker-wide byte counters of Prometheus text. */
export function byteCountersOf(text: string): { bytesIn: number; bytesOut: number } {
  let bytesIn = 0;
  let bytesOut = 0;
  for (const line of text.split('\n')) {
    const m = SERIES.exec(line);
    if (!m || (m[2] !== undefined && m[2].includes('topic='))) continue;
    const v = Number(m[3]);
    if (!Number.isFinite(v)) continue;
    if (m[1] === 'bytesin') bytesIn += v;
    else bytesOut += v;
  }
  return { bytesIn, bytesOut };
}

export async function readByteCounters(urls: readonly string[]): Promise<ByteCounters> {
  const out: ByteCounters = { bytesIn: 0, bytesOut: 0, endpoints: urls.length, answered: 0 };
  await Promise.all(
    urls.map(async (url) => {
      try {
        const res = await fetch(url, { signal: AbortSignal.timeout(TIMEOUT_MS) });
        if (!res.ok) return;
        const len = Number(res.headers.get('content-length') ?? 0);
        if (len > MAX_BYTES) return;
        const text = await res.text();
        if (text.length > MAX_BYTES) return;
        const c = byteCountersOf(text);
        out.bytesIn += c.bytesIn;
        out.bytesOut += c.bytesOut;
        out.answered++;
      } catch {
        // an endpoint that does not answer is left out
      }
    }),
  );
  return out;
}
