/**
 * The `streams` section of `npm run bench` (issue 21, must-show 4): records/s of samsa/streams
 * topologies against a plain consumer→producer loop on the same client, machine, broker and run.
 *
 * One `samsa start` process; an input topic of 6 partitions filled with `records` records (keys
 * `k0..k9999`, ~60-byte string values). Each workload reads the whole input from the beginning in
 * its own group and writes to its own output topic:
 * - baseline: src/client's GroupConsumer polling, each polled batch filtered and mapped like the
 *   stateless topology and written with produceRecords (acks=all), offsets committed every second;
 * - stateless: `stream → filter → mapValues → to` (at_least_once, commit.interval.ms 1,000);
 * - count: `stream → groupByKey → count → toStream → mapValues → to` (LMDB store + changelog);
 * - count, exactly_once_v2: the same in transactions (commit.interval.ms 100, Kafka's EOS default).
 * Measured: from the first record processed to the group's committed offsets covering the whole
 * input (so the last commit interval is included). Ratio = workload ÷ baseline.
 *
 * Standalone (profiling): `node [--cpu-prof] dist/bench/streams.js [records] [workload...]`
 * starts its own broker process.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { ClusterClient } from '../src/client/cluster-client.js';
import { GroupConsumer } from '../src/client/group-consumer.js';
import { produceRecords, type RecordToProduce } from '../src/client/record-producer.js';
import { createTopic } from '../src/client/topic-admin.js';
import { KafkaStreams, Serdes, StreamsBuilder, type Topology } from '../src/streams/index.js';

export interface StreamsBenchRow {
  workload: string;
  records: number;
  ms: number;
  recordsPerSec: number;
  /** CPU time of the bench process (the client side: consumer, topology, producer) per input record, in µs. */
  cpuUsPerRecord: number;
  /** recordsPerSec ÷ the baseline's. */
  ratio: number | null;
  error?: string;
}

export interface StreamsBenchResult {
  records: number;
  partitions: number;
  rows: StreamsBenchRow[];
}

export interface StreamsBenchDeps {
  log(msg: string): void;
  work: string;
  records: number;
  startBroker(dataDir: string, overrides: Record<string, string>): Promise<{ port: number; stop(): Promise<void> }>;
}

const PARTITIONS = 6;
const KEYS = 10_000;
const INPUT = 'streams-bench-in';

export const STREAMS_WORKLOADS = ['baseline', 'stateless', 'count', 'count-eos'] as const;
type Workload = (typeof STREAMS_WORKLOADS)[number];

const LABELS: Record<Workload, string> = {
  baseline: 'consumer → producer (baseline)',
  stateless: 'stateless filter + mapValues',
  count: 'stateful count (groupByKey)',
  'count-eos': 'stateful count, exactly_once_v2',
};

/** The stateless transformation, shared by the baseline loop and the topology. */
const keep = (v: string): boolean => !v.endsWith('7');
const transform = (v: string): string => v.toUpperCase();

function statelessTopology(output: string): Topology {
  const b = new StreamsBuilder();
  b.stream<string, string>(INPUT, { keySerde: Serdes.String(), valueSerde: Serdes.String() })
    .filter((_k, v) => keep(v))
    .mapValues((v) => transform(v))
    .to(output, { keySerde: Serdes.String(), valueSerde: Serdes.String() });
  return b.build();
}

function countTopology(output: string): Topology {
  const b = new StreamsBuilder();
  b.stream<string, string>(INPUT, { keySerde: Serdes.String(), valueSerde: Serdes.String() })
    .groupByKey()
    .count({ storeName: 'bench-counts' })
    .toStream()
    .mapValues((n) => String(n))
    .to(output, { keySerde: Serdes.String(), valueSerde: Serdes.String() });
  return b.build();
}

async function fillInput(cluster: ClusterClient, records: number): Promise<void> {
  const chunk = 10_000;
  const pad = 'x'.repeat(40);
  for (let i = 0; i < records; i += chunk * 4) {
    const sends: Promise<unknown>[] = [];
    for (let j = i; j < Math.min(records, i + chunk * 4); j += chunk) {
      const batch: RecordToProduce[] = [];
      for (let n = j; n < Math.min(records, j + chunk); n++) batch.push({ key: Buffer.from(`k${n % KEYS}`), value: Buffer.from(`value-${n}-${pad}`) });
      sends.push(produceRecords(cluster, INPUT, batch));
    }
    await Promise.all(sends);
  }
}

/** Sum of the group's committed offsets on the input. */
async function committedTotal(probe: GroupConsumer): Promise<number> {
  const tps = Array.from({ length: PARTITIONS }, (_, partition) => ({ topic: INPUT, partition }));
  return (await probe.committed(tps)).reduce((n, c) => n + Number(c.offset), 0);
}

async function waitCommitted(cluster: ClusterClient, group: string, records: number, deadlineMs: number, alive: () => string | null): Promise<void> {
  const probe = new GroupConsumer(cluster, { groupId: group });
  const deadline = performance.now() + deadlineMs;
  for (;;) {
    const failed = alive();
    if (failed !== null) throw new Error(failed);
    if ((await committedTotal(probe).catch(() => 0)) >= records) return;
    if (performance.now() > deadline) throw new Error(`group ${group}: input not fully committed in ${Math.round(deadlineMs / 1000)} s`);
    await sleep(20);
  }
}

/** The plain loop: poll, filter + map, produce (awaited), commit every second. */
async function baseline(cluster: ClusterClient, records: number, output: string): Promise<{ ms: number }> {
  const consumer = new GroupConsumer(cluster, { groupId: 'bench-baseline', autoCommit: false, autoOffsetReset: 'earliest', sessionTimeoutMs: 30_000, heartbeatIntervalMs: 1_000 });
  await consumer.subscribe([INPUT]);
  let first = 0;
  let seen = 0;
  let lastCommit = performance.now();
  const deadline = performance.now() + 600_000;
  try {
    while (seen < records) {
      if (performance.now() > deadline) throw new Error(`baseline: ${seen} of ${records} records in 600 s`);
      const polled = await consumer.poll({ maxWaitMs: 100, maxBytes: 4 << 20 });
      if (polled.length === 0) continue;
      if (first === 0) first = performance.now();
      seen += polled.length;
      const out: RecordToProduce[] = [];
      for (const r of polled) {
        const v = r.value?.toString('utf8') ?? '';
        if (keep(v)) out.push({ key: r.key, value: Buffer.from(transform(v)), timestamp: r.timestamp });
      }
      await produceRecords(cluster, output, out);
      if (seen >= records || performance.now() - lastCommit >= 1_000) {
        await consumer.commit();
        lastCommit = performance.now();
      }
    }
    return { ms: performance.now() - first };
  } finally {
    await consumer.close();
  }
}

async function streamsRun(cluster: ClusterClient, bootstrap: string, records: number, work: Workload, output: string, stateDir: string): Promise<{ ms: number }> {
  const eos = work === 'count-eos';
  const topology = work === 'stateless' ? statelessTopology(output) : countTopology(output);
  const applicationId = `bench-${work}`;
  let failure: unknown = null;
  const app = new KafkaStreams(topology, {
    applicationId,
    bootstrapServers: bootstrap,
    stateDir,
    commitIntervalMs: eos ? 100 : 1_000,
    processingGuarantee: eos ? 'exactly_once_v2' : 'at_least_once',
    sessionTimeoutMs: 30_000,
    heartbeatIntervalMs: 1_000,
    onError: (e) => (failure = e),
  });
  await app.start();
  try {
    let first = 0;
    const started = performance.now();
    while (app.processedRecords === 0) {
      if (app.error !== null && app.error !== undefined) throw app.error;
      if (performance.now() - started > 120_000) throw new Error(`${work}: no record processed in 120 s`);
      await sleep(5);
    }
    first = performance.now();
    await waitCommitted(cluster, applicationId, records, 600_000, () => (app.error ? `${work}: ${String(app.error)}` : null));
    return { ms: performance.now() - first };
  } finally {
    await app.close();
    void failure;
  }
}

/** Runs the workloads (all by default) against a broker at `bootstrap` whose input topic is empty. */
export async function runStreamsWorkloads(bootstrap: string, records: number, stateDir: string, log: (m: string) => void, only: readonly Workload[] = STREAMS_WORKLOADS): Promise<StreamsBenchRow[]> {
  const cluster = new ClusterClient({ bootstrap: [bootstrap], clientId: 'streams-bench' });
  const rows: StreamsBenchRow[] = [];
  try {
    await createTopic(cluster, { name: INPUT, partitions: PARTITIONS, replicationFactor: -1, configs: [] });
    const t0 = performance.now();
    await fillInput(cluster, records);
    log(`streams: ${records.toLocaleString('en-US')} input records written in ${Math.round(performance.now() - t0)} ms`);
    for (const work of only) {
      const output = `streams-bench-out-${work}`;
      await createTopic(cluster, { name: output, partitions: PARTITIONS, replicationFactor: -1, configs: [] });
      log(`streams: ${LABELS[work]} × ${records.toLocaleString('en-US')}`);
      try {
        const cpu0 = process.cpuUsage();
        const { ms } = work === 'baseline' ? await baseline(cluster, records, output) : await streamsRun(cluster, bootstrap, records, work, output, join(stateDir, work));
        const cpu = process.cpuUsage(cpu0);
        const cpuUsPerRecord = (cpu.user + cpu.system) / records;
        rows.push({ workload: LABELS[work], records, ms, recordsPerSec: (records * 1000) / ms, cpuUsPerRecord, ratio: null });
        log(`  ${Math.round((records * 1000) / ms).toLocaleString('en-US')} rec/s (${Math.round(ms)} ms), ${cpuUsPerRecord.toFixed(1)} µs CPU per record`);
      } catch (e) {
        rows.push({ workload: LABELS[work], records, ms: 0, recordsPerSec: 0, cpuUsPerRecord: 0, ratio: null, error: e instanceof Error ? e.message : String(e) });
        log(`  failed: ${String(e)}`);
      }
    }
  } finally {
    cluster.close();
  }
  const base = rows.find((r) => r.workload === LABELS.baseline && r.error === undefined)?.recordsPerSec;
  for (const r of rows) r.ratio = base && r.error === undefined ? r.recordsPerSec / base : null;
  return rows;
}

export async function streamsScenario(deps: StreamsBenchDeps): Promise<StreamsBenchResult> {
  const dataDir = join(deps.work, 'samsa-streams');
  const stateDir = join(deps.work, 'streams-state');
  const broker = await deps.startBroker(dataDir, { 'group.initial.rebalance.delay.ms': '0' });
  try {
    const rows = await runStreamsWorkloads(`127.0.0.1:${broker.port}`, deps.records, stateDir, deps.log);
    return { records: deps.records, partitions: PARTITIONS, rows };
  } finally {
    await broker.stop();
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(stateDir, { recursive: true, force: true });
  }
}

export function renderStreams(r: StreamsBenchResult, table: (head: string[], rows: string[][]) => string): string {
  const out: string[] = ['## Streams: topologies against a plain consumer → producer loop\n'];
  out.push(
    `${r.records.toLocaleString('en-US')} records (~60 B values, ${KEYS.toLocaleString('en-US')} keys) on ${r.partitions} partitions, one samsa/streams instance (one stream thread) per workload in the bench process, one broker process. Time from the first record processed to the input fully committed. Ratio = workload ÷ baseline. Client CPU = CPU time of the bench process (consumer, topology, producer; not the broker) per input record, from the workload's start (group join and restore included), steadier than records/s on a loaded machine.\n`,
  );
  out.push(table(['Workload', 'Records/s', 'Time (ms)', '÷ baseline', 'Client CPU µs/record'], r.rows.map((x) => [x.workload, x.error ? `error: ${x.error}` : Math.round(x.recordsPerSec).toLocaleString('en-US'), Math.round(x.ms).toLocaleString('en-US'), x.ratio === null ? 'n/a' : x.ratio.toFixed(2), x.error ? 'n/a' : x.cpuUsPerRecord.toFixed(1)])));
  return out.join('\n');
}

// Standalone: node dist/bench/streams.js [records] [workload...]
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const records = Number(process.argv[2] ?? 200_000);
  const only = process.argv.slice(3).filter((w): w is Workload => (STREAMS_WORKLOADS as readonly string[]).includes(w));
  const { startBrokerProcess, tempDir, removeDir } = await import('../test/helpers/broker-process.js');
  const dir = tempDir('samsa-streams-bench-');
  const broker = await startBrokerProcess({ dataDir: join(dir, 'data'), overrides: { 'group.initial.rebalance.delay.ms': 0 } });
  try {
    const rows = await runStreamsWorkloads(broker.bootstrap, records, join(dir, 'state'), (m) => process.stderr.write(`${m}\n`), only.length > 0 ? only : STREAMS_WORKLOADS);
    process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
  } finally {
    await broker.stop();
    removeDir(dir);
  }
}
