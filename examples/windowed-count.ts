/**
 * Windowed count with a grace period, with samsa/streams: events (key: an id, any value) from
 * --input are counted per key in tumbling windows of --window-ms with --grace-ms of grace; each
 * update goes to --output with the key `<key>@<window start ms>` and the count as a decimal
 * string. Records arriving after their window closed (window end + grace <= stream time) are
 * dropped.
 *
 *   node dist/examples/windowed-count.js --bootstrap-server localhost:9092 \
 *     --input clicks --output clicks-per-minute --window-ms 60000 --grace-ms 10000
 */
import { Serdes, StreamsBuilder, TimeWindows, type Topology } from '../src/streams/index.js';
import { fail, isMain, runExample } from './run-app.js';

export function windowedCountTopology(t: { input: string; output: string; windowMs: number; graceMs: number; advanceMs?: number }): Topology {
  const builder = new StreamsBuilder();
  const windows = TimeWindows.ofSizeAndGrace(t.windowMs, t.graceMs);
  builder
    .stream<string, string>(t.input, { keySerde: Serdes.String(), valueSerde: Serdes.String() })
    .groupByKey()
    .windowedBy(t.advanceMs === undefined ? windows : windows.advanceBy(t.advanceMs))
    .count({ storeName: 'windowed-counts' })
    .toStream()
    .map((wk, n) => [`${wk.key}@${wk.window.start}`, String(n)] as [string, string])
    .to(t.output, { keySerde: Serdes.String(), valueSerde: Serdes.String() });
  return builder.build();
}

if (isMain(import.meta.url)) {
  runExample('windowed-count', { input: 'events', output: 'windowed-counts', 'window-ms': '60000', 'grace-ms': '10000' }, (a) =>
    windowedCountTopology({ input: a.input ?? '', output: a.output ?? '', windowMs: Number(a['window-ms']), graceMs: Number(a['grace-ms']) }),
  ).catch(fail('windowed-count'));
}
