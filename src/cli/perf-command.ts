/**
 * `samsa perf produce|consume` — load tests in the spirit of kafka-producer-perf-test.sh and
 * kafka-consumer-perf-test.sh: records/s, MB/s and latency percentiles, with a live progress line
 * on a terminal.
 */
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { MessageToProduce } from '@platformatic/kafka';
import { formatOptions, parseArgs, type OptionSpec } from './args.js';
import { closeQuietly, connectionOptions, connectionSettings, createConsumer, createProducer, parseAcks, parseCompression, type ConnectionSettings } from './client.js';
import { consumeAssigned } from './consume-command.js';
import { CliError, formatTable, reportError, toCliError, toJson, writeOut } from './output.js';
import { LatencyHistogram, ProgressLine, fmt } from './stats.js';

const MB = 1024 * 1024;
const helpOpt: OptionSpec = { name: 'help', aliases: ['-h'], value: false, help: 'Show this help' };

const produceOptions: readonly OptionSpec[] = [
  { name: 'topic', aliases: ['-t'], arg: 'NAME', help: 'Topic to write to (required)' },
  { name: 'num-records', aliases: ['-n'], arg: 'N', help: 'Records to send', default: '100000' },
  { name: 'record-size', aliases: ['-s'], arg: 'BYTES', help: 'Value size of each record', default: '100' },
  { name: 'throughput', arg: 'N', help: 'Target records/s; -1 for as fast as possible', default: '-1' },
  { name: 'acks', arg: 'ACKS', help: '0, 1 or all (-1)', default: '1' },
  { name: 'compression', aliases: ['-z'], arg: 'CODEC', help: 'none, gzip, snappy, lz4 or zstd', default: 'none' },
  { name: 'batch-size', arg: 'N', help: 'Records per produce request', default: '1000' },
  { name: 'max-in-flight', arg: 'N', help: 'Produce requests outstanding at once', default: '5' },
  { name: 'reporting-interval', arg: 'MS', help: 'Print a progress line this often (default: live line on a terminal only)' },
  { name: 'json', value: false, help: 'Print the result as JSON' },
  ...connectionOptions,
  helpOpt,
];

const consumeOptions: readonly OptionSpec[] = [
  { name: 'topic', aliases: ['-t'], arg: 'NAME', help: 'Topic to read (required)' },
  { name: 'messages', aliases: ['-n', '--num-records'], arg: 'N', help: 'Records to read before stopping (default: until the topic end is idle for --timeout)' },
  { name: 'from-latest', value: false, help: 'Start at the end instead of the beginning' },
  { name: 'partition', aliases: ['-p'], arg: 'N', repeat: true, help: 'Read only this partition, repeatable' },
  { name: 'timeout', arg: 'MS', help: 'Stop when no record arrives for this long', default: '10000' },
  { name: 'max-wait-ms', arg: 'MS', help: 'Longest time a fetch waits for data', default: '500' },
  { name: 'reporting-interval', arg: 'MS', help: 'Print a progress line this often (default: live line on a terminal only)' },
  { name: 'json', value: false, help: 'Print the result as JSON' },
  ...connectionOptions.filter((o) => o.name !== 'timeout'),
  { name: 'request-timeout', arg: 'MS', help: 'Request timeout in milliseconds', default: '30000' },
  helpOpt,
];

const usage = `Usage: samsa perf <produce|consume> [options]

Commands:
  produce   Send records as fast as possible (or at --throughput) and report throughput and latency
  consume   Read records as fast as possible and report throughput

Run 'samsa perf produce --help' or 'samsa perf consume --help' for options.
`;

const produceUsage = `Usage: samsa perf produce --topic NAME [options]

Like kafka-producer-perf-test: sends --num-records records of --record-size bytes and reports
records/s, MB/s and the produce latency distribution (from hand-over to acknowledgement).

Options:
${formatOptions(produceOptions)}
`;

const consumeUsage = `Usage: samsa perf consume --topic NAME [options]

Like kafka-consumer-perf-test: reads the topic from the beginning and reports records/s and MB/s.

Options:
${formatOptions(consumeOptions)}
`;

export interface ProducePerfResult {
  topic: string;
  records: number;
  recordSize: number;
  acks: number;
  compression: string;
  elapsedMs: number;
  recordsPerSec: number;
  mbPerSec: number;
  latencyMs: ReturnType<LatencyHistogram['summary']>;
}

export interface ConsumePerfResult {
  topic: string;
  records: number;
  bytes: number;
  elapsedMs: number;
  recordsPerSec: number;
  mbPerSec: number;
}

export async function runPerf(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  if (sub === undefined || sub === '--help' || sub === '-h' || sub === 'help') {
    process.stdout.write(usage);
    return sub === undefined ? 2 : 0;
  }
  if (sub !== 'produce' && sub !== 'consume') {
    process.stderr.write(`samsa perf: error: unknown command '${sub}'.\n  hint: use 'samsa perf produce' or 'samsa perf consume'.\n`);
    return 2;
  }
  const command = `samsa perf ${sub}`;
  let settings: ConnectionSettings | undefined;
  try {
    const a = parseArgs(command, rest, sub === 'produce' ? produceOptions : consumeOptions);
    if (a.has('help')) {
      process.stdout.write(sub === 'produce' ? produceUsage : consumeUsage);
      return 0;
    }
    if (a.positional.length > 0) throw new CliError(`Unexpected argument '${a.positional[0]}'.`, `Run '${command} --help' for usage.`);
    settings = connectionSettings(a);
    if (sub === 'consume' && a.get('request-timeout') !== undefined) settings.timeout = a.int('request-timeout', 1) ?? 30_000;
    const topic = a.require('topic');
    const interval = a.int('reporting-interval', 100);
    if (sub === 'produce') {
      const r = await producePerf(settings, {
        topic,
        numRecords: a.int('num-records', 1) ?? 100_000,
        recordSize: a.int('record-size', 0, 100 * MB) ?? 100,
        throughput: a.number('throughput') ?? -1,
        acks: parseAcks(a.get('acks'), 1),
        compression: parseCompression(a.get('compression')),
        batchSize: a.int('batch-size', 1, 1_000_000) ?? 1000,
        maxInFlight: a.int('max-in-flight', 1, 1000) ?? 5,
        interval,
      });
      if (a.has('json')) await writeOut(toJson(r, 2) + '\n');
      else await writeOut(produceReport(r));
    } else {
      const messages = a.int('messages', 1);
      const parts = a.all('partition').map((v) => {
        if (!/^\d+$/.test(v)) throw new CliError(`Invalid --partition '${v}'.`);
        return Number(v);
      });
      const r = await consumePerf(settings, { topic, messages, fromLatest: a.has('from-latest'), partitions: parts, timeoutMs: a.int('timeout', 1) ?? 10_000, maxWaitMs: a.int('max-wait-ms', 0) ?? 500, interval });
      if (a.has('json')) await writeOut(toJson(r, 2) + '\n');
      else await writeOut(consumeReport(r));
      if (messages !== undefined && r.records < messages) {
        process.stderr.write(`${command}: warning: only ${r.records} of ${messages} records arrived before the ${a.get('timeout')} ms timeout.\n`);
        return 1;
      }
    }
    return 0;
  } catch (e) {
    return reportError(command, e, settings ? { bootstrap: settings.bootstrap.join(',') } : {});
  }
}

function progressText(records: number, bytes: number, elapsedMs: number, extra = ''): string {
  const s = Math.max(elapsedMs, 1) / 1000;
  return `${fmt(records)} records, ${fmt(records / s)} records/s (${fmt(bytes / MB / s, 2)} MB/s)${extra}`;
}

export async function producePerf(
  s: ConnectionSettings,
  o: { topic: string; numRecords: number; recordSize: number; throughput: number; acks: number; compression: ReturnType<typeof parseCompression>; batchSize: number; maxInFlight: number; interval: number | undefined },
): Promise<ProducePerfResult> {
  const producer = await createProducer(s, { acks: o.acks, compression: o.compression });
  const hist = new LatencyHistogram();
  const progress = new ProgressLine();
  try {
    let partitions: number;
    try {
      const md = await producer.metadata({ topics: [o.topic] });
      const t = md.topics.get(o.topic);
      if (!t) throw new CliError(`Topic '${o.topic}' does not exist.`, "Create it first with 'samsa topics create'.", { exitCode: 1 });
      partitions = t.partitionsCount;
    } catch (e) {
      throw toCliError(e, { bootstrap: s.bootstrap.join(','), what: `Cannot produce to '${o.topic}'` });
    }
    // One random payload shared by all records, as kafka-producer-perf-test does.
    const payload = randomBytes(o.recordSize);
    const start = performance.now();
    let sent = 0;
    let acked = 0;
    let batchNo = 0;
    let failure: unknown;
    let lastReport = start;
    let windowAcked = 0;
    const inflight = new Set<Promise<void>>();
    const timer = setInterval(() => {
      const now = performance.now();
      const line = progressText(acked, acked * o.recordSize, now - start, `, ${fmt(hist.mean(), 1)} ms avg latency, ${fmt(hist.count ? hist.max : 0, 1)} ms max`);
      progress.update(line);
      if (o.interval !== undefined && now - lastReport >= o.interval) {
        const w = acked - windowAcked;
        process.stderr.write(`${progressText(w, w * o.recordSize, now - lastReport)}, ${fmt(hist.mean(), 1)} ms avg latency\n`);
        lastReport = now;
        windowAcked = acked;
      }
    }, o.interval !== undefined ? Math.min(o.interval, 250) : 250);
    timer.unref();
    try {
      while (sent < o.numRecords && failure === undefined) {
        if (inflight.size >= o.maxInFlight) {
          await Promise.race(inflight);
          continue;
        }
        let n = Math.min(o.batchSize, o.numRecords - sent);
        let due: number[] | undefined;
        if (o.throughput > 0) {
          // Records become due on a fixed schedule; latency counts from that moment, so a
          // stalled broker cannot hide queueing delay (no coordinated omission).
          const elapsed = performance.now() - start;
          const dueNow = Math.floor((elapsed / 1000) * o.throughput) + 1 - sent;
          if (dueNow <= 0) {
            await sleep(Math.max(1, ((sent + 1) / o.throughput) * 1000 - elapsed));
            continue;
          }
          n = Math.min(n, dueNow);
          due = Array.from({ length: n }, (_, i) => start + ((sent + i) / o.throughput) * 1000);
        }
        const partition = batchNo++ % partitions;
        const messages: MessageToProduce<Buffer, Buffer, Buffer, Buffer>[] = new Array(n);
        for (let i = 0; i < n; i++) messages[i] = { topic: o.topic, value: payload, partition };
        const t0 = performance.now();
        sent += n;
        const p = producer.send({ messages }).then(
          () => {
            const t1 = performance.now();
            if (due) for (const d of due) hist.record(t1 - d);
            else hist.record(t1 - t0, n);
            acked += n;
          },
          (e: unknown) => {
            failure ??= e;
          },
        );
        const tracked = p.finally(() => inflight.delete(tracked));
        inflight.add(tracked);
      }
      await Promise.all(inflight);
    } finally {
      clearInterval(timer);
      progress.done();
    }
    if (failure !== undefined) throw toCliError(failure, { bootstrap: s.bootstrap.join(','), what: `Producing to '${o.topic}' failed after ${acked} records` });
    const elapsedMs = performance.now() - start;
    return {
      topic: o.topic,
      records: acked,
      recordSize: o.recordSize,
      acks: o.acks,
      compression: o.compression,
      elapsedMs,
      recordsPerSec: acked / (elapsedMs / 1000),
      mbPerSec: (acked * o.recordSize) / MB / (elapsedMs / 1000),
      latencyMs: hist.summary(),
    };
  } finally {
    await closeQuietly(producer);
  }
}

export function produceReport(r: ProducePerfResult): string {
  const l = r.latencyMs;
  const line = `${fmt(r.records)} records sent, ${fmt(r.recordsPerSec, 1)} records/sec (${fmt(r.mbPerSec, 2)} MB/sec), ${fmt(l.mean, 2)} ms avg latency, ${fmt(l.max, 2)} ms max latency, ${fmt(l.p50, 1)} ms 50th, ${fmt(l.p95, 1)} ms 95th, ${fmt(l.p99, 1)} ms 99th, ${fmt(l.p999, 1)} ms 99.9th.\n\n`;
  return (
    line +
    formatTable(
      ['RECORDS', 'SIZE', 'ACKS', 'ELAPSED-S', 'RECORDS/S', 'MB/S', 'AVG-MS', 'P50-MS', 'P95-MS', 'P99-MS', 'P99.9-MS', 'MAX-MS'],
      [[r.records, r.recordSize, r.acks === -1 ? 'all' : String(r.acks), (r.elapsedMs / 1000).toFixed(2), Math.round(r.recordsPerSec), r.mbPerSec.toFixed(2), l.mean.toFixed(2), l.p50.toFixed(2), l.p95.toFixed(2), l.p99.toFixed(2), l.p999.toFixed(2), l.max.toFixed(2)]],
    )
  );
}

export async function consumePerf(
  s: ConnectionSettings,
  o: { topic: string; messages: number | undefined; fromLatest: boolean; partitions: number[]; timeoutMs: number; maxWaitMs: number; interval: number | undefined },
): Promise<ConsumePerfResult> {
  const consumer = await createConsumer(s, 'samsa-perf', { maxWaitTime: o.maxWaitMs });
  const progress = new ProgressLine();
  let records = 0;
  let bytes = 0;
  let start = 0;
  let lastAt = 0;
  let lastReport = 0;
  let windowRecords = 0;
  let windowBytes = 0;
  const timer = setInterval(() => {
    if (start === 0) return;
    const now = performance.now();
    progress.update(progressText(records, bytes, now - start));
    if (o.interval !== undefined && now - lastReport >= o.interval) {
      process.stderr.write(`${progressText(records - windowRecords, bytes - windowBytes, now - lastReport)}\n`);
      lastReport = now;
      windowRecords = records;
      windowBytes = bytes;
    }
  }, 250);
  timer.unref();
  const stop = new AbortController();
  try {
    await consumeAssigned(
      consumer,
      o.topic,
      o.partitions,
      o.fromLatest ? { kind: 'latest' } : { kind: 'earliest' },
      { maxMessages: o.messages, timeoutMs: o.timeoutMs },
      stop.signal,
      async (r) => {
        // Throughput is measured from the first record received, as kafka-consumer-perf-test does.
        if (start === 0) start = lastReport = performance.now();
        records++;
        bytes += (r.value?.length ?? 0) + (r.key?.length ?? 0);
        lastAt = performance.now();
      },
      o.maxWaitMs,
    );
  } catch (e) {
    throw toCliError(e, { bootstrap: s.bootstrap.join(','), what: `Cannot consume '${o.topic}'` });
  } finally {
    clearInterval(timer);
    progress.done();
    await closeQuietly(consumer);
  }
  const elapsedMs = records > 0 ? Math.max(lastAt - start, 0.001) : 0;
  return {
    topic: o.topic,
    records,
    bytes,
    elapsedMs,
    recordsPerSec: elapsedMs > 0 ? records / (elapsedMs / 1000) : 0,
    mbPerSec: elapsedMs > 0 ? bytes / MB / (elapsedMs / 1000) : 0,
  };
}

export function consumeReport(r: ConsumePerfResult): string {
  return formatTable(
    ['RECORDS', 'MB', 'ELAPSED-S', 'RECORDS/S', 'MB/S'],
    [[r.records, (r.bytes / MB).toFixed(2), (r.elapsedMs / 1000).toFixed(3), Math.round(r.recordsPerSec), r.mbPerSec.toFixed(2)]],
  );
}

