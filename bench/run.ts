/**
 * `npm run bench` — Samsa against the null broker, same client, same run.
 *
 *   node dist/bench/run.js [--quick | --full] [--only a,b] [--skip a,b] [--out DIR] [--partitions N] [--topics N]
 *
 * Sections: disk, produce (also consume, memory under load; the store-only broker of bench/floors.ts beside the null broker), latency, startup, partitions, profile,
 * cluster (etcd + three brokers, RF 3, min.insync.replicas=2, 1 KiB acks=all against one broker),
 * rebalance (an 11th member joins a 10-member group: classic eager / cooperative vs KIP-848's
 * consumer protocol, bench/rebalance.ts), streams (samsa/streams stateless and count topologies
 * against a consumer → producer loop, bench/streams.ts), and partitions100k (single-partition topics created, written, restarted cleanly and after
 * kill -9, as a growth curve of 1,000 / 10,000 / 100,000 topics; minutes long, so only with --only partitions100k;
 * --topics N[,N...] chooses the counts), and kafka (Apache Kafka single node and 3-node cluster with
 * the cluster section's workload, bench/kafka.ts; only with --only kafka and --kafka-home DIR).
 * Scale: default (2M × 100 B, 1M × 1 KiB), --quick (smoke, ~2 min), --full (5M records as in the
 * spec). SAMSA_BENCH_SCALE=quick|default|full and SAMSA_BENCH_RECORDS=N override from the
 * environment. Results: .bench-out/<timestamp>/{report.md,results.json,latency.svg} and a copy in
 * .bench-out/latest/.
 *
 * The load generator is librdkafka's rdkafka_performance, compiled here from the example source
 * that librdkafka-dev ships, with bench/rdkafka/ supplying the few internal helpers it includes.
 */
import { cpSync, mkdirSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { execFileSync } from 'node:child_process';
import { LatencyHistogram } from '../src/cli/stats.js';
import { freePort } from '../src/common/free-port.js';
import { CLI, log, onAbort, PARTITIONS, ROOT, RssSampler, rssMB, run, startBroker } from './bench-processes.js';
import { createTopic, diskWrite, partitionScale, processCpuMs, timeToFirstProduce } from './broker-measures.js';
import { clusterScenario } from './cluster.js';
import { kafkaScenario } from './kafka.js';
import { manyTopicsCurve } from './many-topics.js';
import { metricsCostScenario } from './metrics-cost.js';
import { breakdown, scrapeBroker } from './latency-breakdown.js';
import { securityScenario } from './security.js';
import { rebalanceScenario } from './rebalance.js';
import { streamsScenario } from './streams.js';
import { summariseProfile } from './profile.js';
import { buildRdkafkaPerf, e2eLatency, latencyPair, NO_WARN, partitionArgs, perfConsume, perfProduce, readLatencies, summary } from './rdkafka-perf.js';
import { emptyResults, seriesFrom, writeReport, type BenchResults, type ComparedRow, type LatencyRow, type LatencySummary, type Throughput } from './report.js';
import { acceptanceTargets } from './targets.js';

const SECTIONS = ['disk', 'produce', 'latency', 'startup', 'partitions', 'profile', 'cluster', 'metrics', 'security', 'rebalance', 'streams', 'partitions100k', 'kafka'] as const;
/** Sections run only when named in --only. */
const OPT_IN_SECTIONS: readonly string[] = ['partitions100k', 'kafka'];
type Section = (typeof SECTIONS)[number];

interface Scale {
  name: string;
  /** Runs per produce/consume workload and broker; the best counts. */
  repeats: number;
  smallRecords: number;
  largeRecords: number;
  latencySeconds: number;
  partitions: number;
  diskMiB: number;
  startupRuns: number;
}

const SCALES: Record<string, Scale> = {
  quick: { name: 'quick', repeats: 1, smallRecords: 300_000, largeRecords: 100_000, latencySeconds: 3, partitions: 1_000, diskMiB: 128, startupRuns: 2 },
  default: { name: 'default', repeats: 3, smallRecords: 2_000_000, largeRecords: 1_000_000, latencySeconds: 10, partitions: 10_000, diskMiB: 512, startupRuns: 5 },
  full: { name: 'full', repeats: 3, smallRecords: 5_000_000, largeRecords: 5_000_000, latencySeconds: 20, partitions: 10_000, diskMiB: 1024, startupRuns: 5 },
};

// ---------------------------------------------------------------------------------------------

function parseCli(argv: string[]): { scale: Scale; sections: Set<Section>; out: string | undefined; partitions: number | undefined; topics: number[] } {
  let scaleName = process.env['SAMSA_BENCH_SCALE'] ?? 'default';
  let only: string[] | undefined;
  let skip: string[] = [];
  let out: string | undefined;
  let partitions: number | undefined;
  let topics = [1_000, 10_000, 100_000];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a === '--quick') scaleName = 'quick';
    else if (a === '--full') scaleName = 'full';
    else if (a === '--only') only = (argv[++i] ?? '').split(',');
    else if (a === '--skip') skip = (argv[++i] ?? '').split(',');
    else if (a === '--out') out = argv[++i];
    else if (a === '--partitions') partitions = Number(argv[++i]);
    else if (a === '--kafka-home') process.env['SAMSA_BENCH_KAFKA_HOME'] = argv[++i] ?? '';
    else if (a === '--topics') topics = (argv[++i] ?? '').split(',').map(Number);
    else if (a === '--help' || a === '-h') {
      process.stdout.write(readFileSync(fileURLToPath(import.meta.url), 'utf8').split('*/')[0]?.replace(/^\/\*\*?|^ \* ?/gm, '') ?? '');
      process.exit(0);
    } else throw new Error(`unknown option ${a} (try --help)`);
  }
  const base = SCALES[scaleName];
  if (!base) throw new Error(`unknown scale '${scaleName}' (quick, default, full)`);
  const scale = { ...base };
  if (topics.length === 0 || topics.some((t) => !Number.isInteger(t) || t < 1)) throw new Error('--topics takes positive integers, comma-separated');
  const env = process.env['SAMSA_BENCH_RECORDS'];
  if (env) scale.smallRecords = scale.largeRecords = Number(env);
  for (const s of [...(only ?? []), ...skip]) if (!(SECTIONS as readonly string[]).includes(s)) throw new Error(`unknown section '${s}' (${SECTIONS.join(', ')})`);
  const sections = new Set<Section>(SECTIONS.filter((s) => (only ? only.includes(s) : !OPT_IN_SECTIONS.includes(s)) && !skip.includes(s)));
  return { scale, sections, out, partitions, topics };
}

async function main(): Promise<void> {
  const { scale, sections, out, partitions, topics } = parseCli(process.argv.slice(2));
  const started = performance.now();
  const stamp = new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19);
  const outDir = out ?? join(ROOT, '.bench-out', stamp);
  const work = join(ROOT, '.bench-out', 'work');
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  // partitions100k uses only the wire client: no need for librdkafka's tool when it runs alone.
  const needsPerf = [...sections].some((x) => x !== 'partitions100k' && x !== 'streams');
  const { bin, version } = needsPerf ? buildRdkafkaPerf(join(ROOT, '.bench-out', 'build')) : { bin: '', version: 'not used' };
  let commit = 'unknown';
  try {
    commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT }).toString().trim();
  } catch {
    /* not a git checkout */
  }
  const meta = { date: new Date().toISOString(), scale: scale.name, node: process.version, librdkafka: version, cpus: cpus().length, cpuModel: cpus()[0]?.model ?? '?', loadAvgAtStart: loadavg(), commit, durationSec: 0, notes: [] };
  const results: BenchResults = emptyResults(meta, partitions ?? scale.partitions);
  log(`scale ${scale.name}: ${scale.smallRecords} × 100 B, ${scale.largeRecords} × 1 KiB, best of ${scale.repeats}; sections ${[...sections].join(', ')}; output ${outDir}`);

  if (sections.has('disk')) {
    log('disk: sequential write');
    results.disk = diskWrite(work, scale.diskMiB);
  }

  const workloads = [
    { name: '100 B, acks=1', size: 100, acks: '1', records: scale.smallRecords, consume: true },
    { name: '100 B, acks=all', size: 100, acks: '-1', records: scale.smallRecords, consume: false },
    { name: '1 KiB, acks=1', size: 1024, acks: '1', records: scale.largeRecords, consume: true },
    { name: '1 KiB, acks=all', size: 1024, acks: '-1', records: scale.largeRecords, consume: false },
  ];

  if (sections.has('produce')) {
    const samsa = await startBroker('samsa', join(work, 'samsa-produce'));
    const nul = await startBroker('null', join(work, 'null'));
    // The same-run floor of targets 1 and 4 (bench/floors.ts): produce only, no consume (its fetch is the null broker's).
    const store = await startBroker('store', join(work, 'store-produce'));
    await sleep(2000);
    results.memory.samsaIdleMB = rssMB(samsa.child.pid);
    results.memory.nullIdleMB = rssMB(nul.child.pid);
    try {
      for (const [i, w] of workloads.entries()) {
        const res: Record<'samsa' | 'null', { p: Throughput; c: Throughput | null; rss: number }> = {} as never;
        // Repeats alternate between the brokers; each keeps its best run, which filters out
        // interference from other work on a shared machine.
        for (let rep = 0; rep < scale.repeats; rep++) {
          const topic = `produce-${i}-${rep}`;
          for (const b of [samsa, nul, store]) {
            await createTopic(b.port, topic, PARTITIONS);
            log(`produce ${w.name} × ${w.records} → ${b.kind}${scale.repeats > 1 ? ` (run ${rep + 1}/${scale.repeats})` : ''}`);
            const sampler = new RssSampler(b.child.pid);
            // Broker CPU (all threads) across each run: issue 22 target 4 (CPU-seconds per GB).
            const cpu0 = processCpuMs(b.child.pid);
            const p = await perfProduce(bin, b.port, topic, w.size, w.records, w.acks);
            const cpu1 = processCpuMs(b.child.pid);
            const rss = sampler.stop();
            let c: Throughput | null = null;
            let cpu2: number | null = null;
            if (w.consume && b.kind !== 'store') {
              log(`consume ${w.name} × ${p.records} ← ${b.kind}`);
              c = await perfConsume(bin, b.port, topic, p.records);
              cpu2 = processCpuMs(b.child.pid);
            }
            const produceCpuMs = cpu0 !== null && cpu1 !== null ? cpu1 - cpu0 : null;
            const consumeCpuMs = cpu1 !== null && cpu2 !== null ? cpu2 - cpu1 : null;
            log(`  ${b.kind}: produce ${Math.round(p.recordsPerSec)} rec/s ${p.mbPerSec.toFixed(1)} MB/s${produceCpuMs !== null ? `, broker CPU ${(produceCpuMs / 1000).toFixed(2)} s` : ''}${c ? `, consume ${Math.round(c.recordsPerSec)} rec/s` : ''}${p.error ? ` (${p.error})` : ''}`);
            results.runs.push({ workload: w.name, broker: b.kind, run: rep + 1, produce: p, consume: c, produceCpuMs, consumeCpuMs });
            if (b.kind === 'store' || b.kind === 'serve') continue;
            const prev = res[b.kind];
            const best = (x: Throughput | null | undefined, y: Throughput | null): Throughput | null => (!x ? y : !y ? x : y.recordsPerSec > x.recordsPerSec && !y.error ? y : x);
            res[b.kind] = { p: best(prev?.p, p) as Throughput, c: best(prev?.c, c), rss: Math.max(prev?.rss ?? 0, rss) };
          }
        }
        const s = res.samsa;
        const nb = res.null;
        if (w.size === 1024) {
          results.memory.samsaLoadMB = Math.max(results.memory.samsaLoadMB ?? 0, s.rss);
          results.memory.nullLoadMB = Math.max(results.memory.nullLoadMB ?? 0, nb.rss);
        }
        const row = (a: Throughput, b: Throughput): ComparedRow => ({ name: w.name, recordSize: w.size, acks: w.acks === '-1' ? 'all' : w.acks, records: w.records, samsa: a, nullBroker: b, ratio: b.recordsPerSec > 0 ? a.recordsPerSec / b.recordsPerSec : 0 });
        results.produce.push(row(s.p, nb.p));
        if (s.c && nb.c) results.consume.push({ ...row(s.c, nb.c), name: w.name.replace(/, acks=.*/, '') });
      }
    } finally {
      await samsa.stop();
      await nul.stop();
      await store.stop();
      rmSync(join(work, 'samsa-produce'), { recursive: true, force: true });
      rmSync(join(work, 'store-produce'), { recursive: true, force: true });
    }
  }

  if (sections.has('latency')) {
    // Issue 22 target 2: 100 B records, acks=all, linger.ms=1, at 10k and 50k records/s; every
    // rate runs `repeats` times (a new topic each), Samsa and the null brokers alternating: the
    // null broker in serve mode (null-serve.ts) with the same consumer + producer pair, the
    // end-to-end floor, and the plain null broker with the producer only (produce→ack). The
    // metrics listener gives the broker's side of each run (latency-breakdown.ts).
    const samsa = await startBroker('samsa', join(work, 'samsa-latency'), [], { 'metrics.listeners': 'http://127.0.0.1:0' });
    const nul = await startBroker('null', join(work, 'null'));
    const serve = await startBroker('serve', join(work, 'null'));
    const settings = ['-X', 'linger.ms=1', '-X', 'fetch.wait.max.ms=100'];
    const acks = '-1';
    /** A consumer at the end of every partition, then a producer at `rate` (latencyPair): the records' stamps in the consumer's file. */
    const e2ePair = async (port: number, topic: string, rate: number, records: number, tag: string): Promise<{ cfile: string; pfile: string; received: number; producerCode: number | null }> => {
      const pair = await latencyPair(bin, work, `127.0.0.1:${port}`, topic, rate, records, 100, acks, settings, tag);
      return { ...pair, received: readLatencies(pair.cfile, new LatencyHistogram()) };
    };
    try {
      for (const rate of [10_000, 50_000]) {
        const records = rate * scale.latencySeconds;
        const e2e = new LatencyHistogram();
        const scraped = await scrapeBroker(samsa); // the broker's side of this rate (latency-breakdown.ts)
        const ack = new LatencyHistogram();
        const nack = new LatencyHistogram();
        const floor = new LatencyHistogram();
        const row: LatencyRow = { rate, records, samsaEndToEnd: null, samsaProduceAck: null, nullProduceAck: null, floorEndToEnd: null, received: 0, acks: 'all', lingerMs: 1, runs: [] };
        for (let rep = 0; rep < scale.repeats; rep++) {
          const topic = `latency-${rate}-${rep}`;
          await createTopic(samsa.port, topic, PARTITIONS);
          await createTopic(nul.port, topic, PARTITIONS);
          await createTopic(serve.port, topic, PARTITIONS);
          log(`latency ${rate} rec/s × ${scale.latencySeconds} s → samsa (run ${rep + 1}/${scale.repeats})`);
          const samsaCpu0 = processCpuMs(samsa.child.pid);
          const { cfile, pfile, received, producerCode } = await e2ePair(samsa.port, topic, rate, records, `${rate}-${rep}`);
          const samsaCpu1 = processCpuMs(samsa.child.pid);
          const runE2e = new LatencyHistogram();
          const runAck = new LatencyHistogram();
          const runNack = new LatencyHistogram();
          readLatencies(cfile, runE2e);
          readLatencies(cfile, e2e);
          readLatencies(pfile, runAck);
          readLatencies(pfile, ack);
          row.received += received;
          if (received < records) row.error = `consumer saw ${received} of ${records} in run ${rep + 1}`;
          if (producerCode !== 0) row.error = `producer exited ${producerCode} in run ${rep + 1}`;
          // The floor: the same pair against the null broker serving from memory.
          log(`latency ${rate} rec/s → null broker serving from memory (run ${rep + 1}/${scale.repeats})`);
          const floorCpu0 = processCpuMs(serve.child.pid);
          const f = await e2ePair(serve.port, topic, rate, records, `${rate}-${rep}-serve`);
          const floorCpu1 = processCpuMs(serve.child.pid);
          const cpuOf = (a: number | null, b: number | null): number | null => (a !== null && b !== null ? Math.round(b - a) : null);
          const runFloor = new LatencyHistogram();
          readLatencies(f.cfile, runFloor);
          readLatencies(f.cfile, floor);
          if (f.received < records) row.floorError = `consumer saw ${f.received} of ${records} in run ${rep + 1}`;
          if (f.producerCode !== 0) row.floorError = `producer exited ${f.producerCode} in run ${rep + 1}`;
          log(`latency ${rate} rec/s → null broker (run ${rep + 1}/${scale.repeats})`);
          const npfile = join(work, `lat-${rate}-${rep}-null-producer.txt`);
          await run(bin, ['-P', '-l', '-A', npfile, '-t', topic, '-b', `127.0.0.1:${nul.port}`, '-s', '100', '-a', acks, '-r', String(rate), '-c', String(records), '-q', ...NO_WARN, ...settings], (scale.latencySeconds + 60) * 1000).done;
          readLatencies(npfile, runNack);
          readLatencies(npfile, nack);
          const one = { endToEnd: summary(runE2e), produceAck: summary(runAck), nullProduceAck: summary(runNack), floorEndToEnd: summary(runFloor), samsaCpuMs: cpuOf(samsaCpu0, samsaCpu1), floorCpuMs: cpuOf(floorCpu0, floorCpu1) };
          row.runs?.push(one);
          log(`  run ${rep + 1}: e2e p50 ${one.endToEnd?.p50.toFixed(2)} p99 ${one.endToEnd?.p99.toFixed(2)} p99.9 ${one.endToEnd?.p999.toFixed(2)} ms; received ${received}; floor p50 ${one.floorEndToEnd?.p50.toFixed(2)} p99 ${one.floorEndToEnd?.p99.toFixed(2)} p99.9 ${one.floorEndToEnd?.p999.toFixed(2)} ms; received ${f.received}; broker CPU samsa ${one.samsaCpuMs} ms, floor ${one.floorCpuMs} ms`);
        }
        row.samsaEndToEnd = summary(e2e);
        row.samsaProduceAck = summary(ack);
        row.breakdown = breakdown(scraped, await scrapeBroker(samsa));
        row.nullProduceAck = summary(nack);
        row.floorEndToEnd = summary(floor);
        results.latency.push(row);
        results.latencySeries.push(seriesFrom(`Samsa produce→consume @ ${rate.toLocaleString('en-US')}/s`, e2e), seriesFrom(`Samsa produce→ack @ ${rate.toLocaleString('en-US')}/s`, ack), seriesFrom(`Null broker produce→ack @ ${rate.toLocaleString('en-US')}/s`, nack), seriesFrom(`Null broker serving produce→consume @ ${rate.toLocaleString('en-US')}/s`, floor));
        const per = (pick: (x: { endToEnd: LatencySummary | null; floorEndToEnd?: LatencySummary | null }) => number | undefined): string => (row.runs ?? []).map((x) => pick(x)?.toFixed(2) ?? 'n/a').join(', ');
        results.meta.notes.push(`Latency at ${rate.toLocaleString('en-US')} rec/s, Samsa end-to-end per run: p99 ${per((x) => x.endToEnd?.p99)} ms; p99.9 ${per((x) => x.endToEnd?.p999)} ms; the null broker serving from memory: p99 ${per((x) => x.floorEndToEnd?.p99)} ms; p99.9 ${per((x) => x.floorEndToEnd?.p999)} ms; broker CPU (user+sys) per run, Samsa ${(row.runs ?? []).map((x) => x.samsaCpuMs ?? 'n/a').join(', ')} ms, the floor ${(row.runs ?? []).map((x) => x.floorCpuMs ?? 'n/a').join(', ')} ms.`);
      }
    } finally {
      await samsa.stop();
      await nul.stop();
      await serve.stop();
      rmSync(join(work, 'samsa-latency'), { recursive: true, force: true });
    }
  }

  if (sections.has('startup')) {
    const cold: number[] = [];
    const warm: number[] = [];
    const nul: number[] = [];
    const cpu = { cold: [] as number[], warm1k: [] as number[], nul: [] as number[] };
    const addCpu = (xs: number[], v: number | null): void => void (v !== null && xs.push(v));
    for (let i = 0; i < scale.startupRuns; i++) {
      const dir = join(work, `samsa-startup-${i}`);
      log(`startup run ${i + 1}/${scale.startupRuns}`);
      let r = await timeToFirstProduce('samsa', dir);
      cold.push(r.ms);
      addCpu(cpu.cold, r.cpuMs);
      await r.proc.stop();
      r = await timeToFirstProduce('samsa', dir);
      warm.push(r.ms);
      await r.proc.stop();
      r = await timeToFirstProduce('null', dir);
      nul.push(r.ms);
      addCpu(cpu.nul, r.cpuMs);
      await r.proc.stop();
      rmSync(dir, { recursive: true, force: true });
    }
    const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
    // Issue 22 target 3: an existing data dir of 1,000 partitions (one topic, written to every partition once).
    const bigDir = join(work, 'samsa-startup-1k');
    const seed = await startBroker('samsa', bigDir);
    try {
      await createTopic(seed.port, 'startup-1k', 1_000);
    } finally {
      await seed.stop();
    }
    const warm1k: number[] = [];
    for (let i = 0; i < scale.startupRuns; i++) {
      log(`startup with 1,000 partitions, run ${i + 1}/${scale.startupRuns}`);
      const r = await timeToFirstProduce('samsa', bigDir);
      warm1k.push(r.ms);
      addCpu(cpu.warm1k, r.cpuMs);
      await r.proc.stop();
    }
    rmSync(bigDir, { recursive: true, force: true });
    results.startup = { samsaColdMs: median(cold), samsaWarmMs: median(warm), samsaWarm1kMs: median(warm1k), nullMs: median(nul) };
    results.startupRuns = { samsaCold: cold, samsaWarm1k: warm1k, nul };
    const list = (xs: number[]): string => xs.map((x) => Math.round(x)).join(', ');
    results.meta.notes.push(`Start-up: median of ${scale.startupRuns} runs; Samsa cold ${list(cold)} ms; warm ${list(warm)} ms; with 1,000 partitions ${list(warm1k)} ms; null broker ${list(nul)} ms.`);
    if (cpu.cold.length > 0) results.meta.notes.push(`Start-up, broker CPU time (user+sys, all threads) at the first acknowledged produce: Samsa cold ${list(cpu.cold)} ms; with 1,000 partitions ${list(cpu.warm1k)} ms; null broker ${list(cpu.nul)} ms.`);
  }

  if (sections.has('partitions')) {
    const count = results.partitions.count;
    log(`partition scale: ${count} partitions → samsa`);
    results.partitions.samsa = await partitionScale('samsa', join(work, 'samsa-scale'), count);
    rmSync(join(work, 'samsa-scale'), { recursive: true, force: true });
    log(`partition scale: ${count} partitions → null broker`);
    results.partitions.nullBroker = await partitionScale('null', join(work, 'null'), count);
  }

  if (sections.has('cluster')) {
    results.cluster = await clusterScenario({
      log,
      work,
      recordSize: 1024,
      records: scale.largeRecords,
      repeats: scale.repeats,
      partitions: PARTITIONS,
      latencyRate: 1000,
      latencySeconds: scale.latencySeconds,
      startBroker: async (dataDir, overrides) => {
        // SAMSA_BENCH_CLUSTER_PROFILE=DIR: every broker of the section under node --cpu-prof, profiles in DIR.
        const prof = process.env['SAMSA_BENCH_CLUSTER_PROFILE'];
        const b = await startBroker('samsa', dataDir, prof ? ['--cpu-prof', `--cpu-prof-dir=${resolve(prof, String(overrides['node.id'] ?? 'single'))}`] : [], overrides);
        return { port: b.port, pid: b.child.pid, output: b.output, stop: b.stop };
      },
      produce: (bootstrap, topic, size, records, acks) => perfProduce(bin, bootstrap, topic, size, records, acks),
      latency: (bootstrap, topic, rate, records, size, acks, tag) => e2eLatency(bin, work, bootstrap, topic, rate, records, size, acks, tag),
      onAbort,
    });
  }

  if (sections.has('kafka')) {
    results.kafka = await kafkaScenario({ log, work, kafkaHome: process.env['SAMSA_BENCH_KAFKA_HOME'], recordSize: 1024, records: scale.largeRecords, repeats: scale.repeats, partitions: PARTITIONS, produce: (bootstrap, topic, size, records, acks) => perfProduce(bin, bootstrap, topic, size, records, acks), onAbort });
  }

  if (sections.has('metrics')) {
    // Metrics on vs off in the same run (bench/metrics-cost.ts): the acks=1 produce workloads.
    results.metricsCost = await metricsCostScenario({
      log,
      work,
      repeats: Math.max(3, scale.repeats),
      partitions: PARTITIONS,
      workloads: workloads.filter((w) => w.acks === '1'),
      freePort,
      startBroker: async (dataDir, overrides) => startBroker('samsa', dataDir, [], overrides),
      createTopic: (port, name, partitions) => createTopic(port, name, partitions),
      produce: (port, topic, size, records, acks) => perfProduce(bin, port, topic, size, records, acks),
    });
  }

  if (sections.has('security')) {
    // TLS and SASL_SSL against PLAINTEXT on one broker (bench/security.ts): the acks=1 workloads, produce and consume.
    results.security = await securityScenario({
      log,
      work,
      repeats: scale.repeats,
      partitions: PARTITIONS,
      workloads: workloads.filter((w) => w.acks === '1'),
      freePort,
      startBroker: async (dataDir, overrides) => {
        const b = await startBroker('samsa', dataDir, [], overrides);
        return { stop: b.stop, cpuMs: () => processCpuMs(b.child.pid) };
      },
      startNullBroker: async (keystorePem) => {
        // The null broker with an SSL listener too (bench/null-tls.ts): the same-run TLS floor.
        const sslPort = await freePort();
        const b = await startBroker('null', join(work, 'null'), [], { 'ssl-port': String(sslPort), 'ssl-keystore': keystorePem });
        return { ports: { PLAINTEXT: b.port, SSL: sslPort }, output: b.output, stop: b.stop, cpuMs: () => processCpuMs(b.child.pid) };
      },
      createTopic: (port, name, partitions) => createTopic(port, name, partitions),
      produce: (port, topic, size, records, acks, extra) => perfProduce(bin, port, topic, size, records, acks, extra),
      consume: (port, topic, records, extra) => perfConsume(bin, port, topic, records, extra),
    });
  }

  if (sections.has('rebalance')) {
    // One member joins a 10-member group: classic (eager, cooperative) vs consumer protocol (bench/rebalance.ts).
    results.rebalance = await rebalanceScenario({
      log,
      work,
      repeats: Math.max(3, scale.repeats),
      startBroker: async (dataDir, overrides) => startBroker('samsa', dataDir, [], overrides),
      createTopic: (port, name, partitions) => createTopic(port, name, partitions),
    });
  }

  if (sections.has('streams')) {
    // samsa/streams topologies against a plain consumer → producer loop on the same client (bench/streams.ts).
    const env = process.env['SAMSA_BENCH_RECORDS'];
    results.streams = await streamsScenario({
      log,
      work,
      records: env ? Number(env) : scale.name === 'quick' ? 200_000 : scale.name === 'full' ? 2_000_000 : 1_000_000,
      startBroker: async (dataDir, overrides) => startBroker('samsa', dataDir, [], overrides),
    });
  }

  if (sections.has('partitions100k')) {
    const limit = Number(execFileSync('sh', ['-c', 'ulimit -n']).toString().trim());
    log(`partitions100k: growth curve ${topics.join(', ')} single-partition topics on one broker (fd limit ${Number.isFinite(limit) ? limit : 'unlimited'})`);
    results.manyTopics = await manyTopicsCurve({ cli: CLI, cwd: ROOT, dataDir: join(work, 'samsa-100k'), port: freePort, counts: topics, fdLimit: null, log });
    if (Number.isFinite(limit)) for (const s of results.manyTopics.steps) s.fdLimit = limit;
  }

  if (sections.has('profile')) {
    const profDir = join(work, 'profile');
    const records = scale.largeRecords;
    const now = (): number => Number(process.hrtime.bigint() / 1000n);
    // Each workload runs in its own broker under --cpu-prof; only samples inside the workload's
    // time window count, so start-up and shutdown drop out.
    const workloads: { name: string; file: string; prepare?: (port: number) => Promise<void>; run: (port: number) => Promise<void> }[] = [
      {
        name: `produce 1 KiB acks=1 × ${records.toLocaleString('en-US')} records`,
        file: 'produce',
        prepare: (port) => createTopic(port, 'profile', PARTITIONS),
        run: async (port) => void (await perfProduce(bin, port, 'profile', 1024, records, '1')),
      },
      {
        name: `consume 1 KiB × ${records.toLocaleString('en-US')} records`,
        file: 'consume',
        prepare: async (port) => {
          await createTopic(port, 'profile', PARTITIONS);
          await perfProduce(bin, port, 'profile', 1024, records, '1');
        },
        run: async (port) => void (await perfConsume(bin, port, 'profile', records)),
      },
      {
        name: `create a topic of ${results.partitions.count.toLocaleString('en-US')} partitions`,
        file: 'create-partitions',
        run: (port) => createTopic(port, 'profile', results.partitions.count),
      },
    ];
    for (const w of workloads) {
      const dir = join(profDir, w.file);
      mkdirSync(dir, { recursive: true });
      log(`profile: samsa under --cpu-prof, ${w.name}`);
      const samsa = await startBroker('samsa', join(work, 'samsa-profile'), ['--cpu-prof', `--cpu-prof-dir=${dir}`]);
      let window: { fromUs: number; toUs: number } | undefined;
      try {
        await w.prepare?.(samsa.port);
        const fromUs = now();
        await w.run(samsa.port);
        window = { fromUs, toUs: now() };
      } finally {
        await samsa.stop();
        rmSync(join(work, 'samsa-profile'), { recursive: true, force: true });
      }
      const prof = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'));
      if (prof[0]) {
        results.profiles.push({ workload: w.name, ...summariseProfile(join(dir, prof[0]), ROOT, 12, window) });
        mkdirSync(outDir, { recursive: true });
        cpSync(join(dir, prof[0]), join(outDir, `broker-${w.file}.cpuprofile`));
      } else results.meta.notes.push(`Profile of ${w.name}: the broker wrote no .cpuprofile (did it exit cleanly on SIGTERM?).`);
    }
  }

  results.targets = acceptanceTargets(results);
  results.meta.notes.push('Produce runs each start from a settled page cache (`sync`, and `drop_caches` when run as root), so a run measures its own writes, not the kernel writing back or reclaiming what earlier runs wrote.');
  if (scale.repeats > 1) results.meta.notes.push(`Throughput: ${scale.repeats} runs per workload and broker, alternating; the tables show each broker's best run, the acceptance targets the median of the per-run ratios with their spread; every run is in results.json (runs).`);
  results.meta.durationSec = (performance.now() - started) / 1000;
  if (loadavg()[0] !== undefined && (results.meta.loadAvgAtStart[0] ?? 0) > cpus().length) {
    results.meta.notes.push(`The machine was busy when the run started (load average ${results.meta.loadAvgAtStart[0]?.toFixed(2)} on ${cpus().length} CPUs): absolute figures are pessimistic; ratios are fairer since both brokers ran under the same conditions.`);
  }

  const paths = writeReport(outDir, results);
  const latest = join(ROOT, '.bench-out', 'latest');
  rmSync(latest, { recursive: true, force: true });
  cpSync(outDir, latest, { recursive: true });
  rmSync(work, { recursive: true, force: true });
  process.stdout.write(readFileSync(paths.markdown, 'utf8'));
  log(`report: ${paths.markdown}\n        json: ${paths.json}\n        chart: ${paths.svg}`);
}

main().catch((e: unknown) => {
  process.stderr.write(`bench: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exitCode = 1;
});

