/**
 * Bench section `kafka` (opt-in: `--only kafka --kafka-home DIR`, or SAMSA_BENCH_KAFKA_HOME=DIR):
 * Apache Kafka itself on this machine as the reference for the `cluster` section. DIR is a folder
 * of Kafka 4.4 broker jars with their dependencies (or a Kafka home with such a libs/ folder; how
 * to fetch them with Maven: bench/README.md). Without it the section is skipped with the reason.
 *
 * What runs: one KRaft combined-mode node (process.roles=broker,controller) with a 6-partition
 * topic of replication factor 1, and three combined nodes (static controller.quorum.voters, one
 * log dir each) with a 6-partition topic of replication factor 3 and min.insync.replicas=2; the
 * JVM flags of kafka-run-class.sh / kafka-server-start.sh (1 GiB heap, G1). The workload is the
 * `cluster` section's, through the same function (bench/rdkafka-perf.ts perfProduce: 1 KiB
 * records, acks=all, linger.ms=5, page cache settled before each run), alternating single /
 * cluster, and the CPU seconds (user + system from /proc) of the Kafka JVMs during each run.
 *
 * Kafka's rule: the configs are Kafka's defaults plus those its config/server.properties example
 * sets for a KRaft node (internal topics' replication factor matched to the node count). Samsa's
 * deviations: none in the workload; Kafka nodes are started all at once (static voters) and
 * checked for readiness with a Metadata request listing every node, not by their log lines.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from '../src/common/free-port.js';
import { ApiKey } from '../src/protocol/generated/api-keys.js';
import type { MetadataResponse } from '../src/protocol/generated/messages/metadata.js';
import { cpuSec, watchChild } from './bench-processes.js';
import { createReplicatedTopic, waitReplicated } from './cluster.js';
import type { Throughput } from './report.js';
import { WireClient } from './wire-client.js';

/** kafka-run-class.sh's defaults (KAFKA_HEAP_OPTS of kafka-server-start.sh, KAFKA_JVM_PERFORMANCE_OPTS). */
export const KAFKA_JVM_OPTS = ['-Xmx1G', '-Xms1G', '-server', '-XX:+UseG1GC', '-XX:MaxGCPauseMillis=20', '-XX:InitiatingHeapOccupancyPercent=35', '-XX:+ExplicitGCInvokesConcurrent', '-Djava.awt.headless=true'];
/** Kafka 4.x's storage tool: in core (Scala) up to some release, in tools (Java) after; whichever the jars have. */
const STORAGE_TOOLS = ['kafka.tools.StorageTool', 'org.apache.kafka.tools.StorageTool'];

export interface KafkaBenchDeps {
  log(msg: string): void;
  work: string;
  /** A libs folder of jars, or a folder holding libs/. */
  kafkaHome: string | undefined;
  java?: string;
  recordSize: number;
  records: number;
  repeats: number;
  partitions: number;
  produce(bootstrap: string, topic: string, size: number, records: number, acks: string): Promise<Throughput>;
  onAbort(fn: () => Promise<void>): () => void;
}

export interface KafkaBenchRun {
  target: 'single' | 'cluster';
  run: number;
  produce: Throughput;
  /** CPU seconds (user + system) of the Kafka JVM(s) during the run. */
  brokerCpuSec: number;
}

export interface KafkaBenchResult {
  skipped?: string;
  libs?: string;
  version?: string;
  single: Throughput | null;
  cluster: Throughput | null;
  ratio: number | null;
  runs: KafkaBenchRun[];
  /** server.properties of node 1 of the cluster (the others differ in node.id, ports and log dir). */
  clusterConfig?: string;
  error?: string;
}

/** The libs folder under `home`, or why there is none. */
export function kafkaLibs(home: string | undefined): { libs: string; version: string } | { skipped: string } {
  if (home === undefined || home === '') return { skipped: 'no Kafka jars given (--kafka-home DIR or SAMSA_BENCH_KAFKA_HOME; see bench/README.md)' };
  for (const dir of [join(home, 'libs'), home]) {
    if (!existsSync(dir)) continue;
    const jars = readdirSync(dir).filter((f) => f.endsWith('.jar'));
    const core = jars.find((f) => /^kafka_2\.1\d-[\d.]+\.jar$/.test(f));
    if (core) return { libs: dir, version: /-([\d.]+)\.jar$/.exec(core)?.[1] ?? '?' };
  }
  return { skipped: `no kafka_2.13-<version>.jar in ${home} or ${join(home, 'libs')}` };
}

/** A KRaft cluster id: 16 random bytes, URL-safe base64 without padding (Kafka's Uuid text form). */
function clusterId(): string {
  return randomBytes(16).toString('base64url');
}

interface NodePorts {
  id: number;
  port: number;
  controllerPort: number;
}

/** server.properties for one combined node of `nodes`. */
export function kafkaProperties(node: NodePorts, nodes: NodePorts[], logDir: string, partitions: number): string {
  const rf = String(Math.min(3, nodes.length));
  const props: Record<string, string> = {
    'process.roles': 'broker,controller',
    'node.id': String(node.id),
    'controller.quorum.voters': nodes.map((n) => `${n.id}@127.0.0.1:${n.controllerPort}`).join(','),
    listeners: `PLAINTEXT://127.0.0.1:${node.port},CONTROLLER://127.0.0.1:${node.controllerPort}`,
    'advertised.listeners': `PLAINTEXT://127.0.0.1:${node.port}`,
    'inter.broker.listener.name': 'PLAINTEXT',
    'controller.listener.names': 'CONTROLLER',
    'listener.security.protocol.map': 'CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT',
    // As config/server.properties sets them.
    'num.network.threads': '3',
    'num.io.threads': '8',
    'socket.send.buffer.bytes': '102400',
    'socket.receive.buffer.bytes': '102400',
    'socket.request.max.bytes': '104857600',
    'log.dirs': logDir,
    'num.partitions': String(partitions),
    'num.recovery.threads.per.data.dir': '1',
    'offsets.topic.replication.factor': rf,
    'share.coordinator.state.topic.replication.factor': rf,
    'share.coordinator.state.topic.min.isr': '1',
    'transaction.state.log.replication.factor': rf,
    'transaction.state.log.min.isr': '1',
    'log.retention.hours': '168',
    'log.segment.bytes': '1073741824',
    'log.retention.check.interval.ms': '300000',
    'group.initial.rebalance.delay.ms': '0',
  };
  return Object.entries(props).map(([k, v]) => `${k}=${v}`).join('\n') + '\n';
}

interface KafkaNode {
  ports: NodePorts;
  child: ChildProcess;
  output(): string;
  stop(): Promise<void>;
}

/** Formats each node's log dir and starts the nodes (all at once: static voters need a quorum). */
async function startNodes(java: string, libs: string, dir: string, count: number, partitions: number): Promise<{ nodes: KafkaNode[]; config: string }> {
  const ports: NodePorts[] = [];
  for (let id = 1; id <= count; id++) ports.push({ id, port: await freePort(), controllerPort: await freePort() });
  const cid = clusterId();
  const cp = `${libs}/*`;
  const nodes: KafkaNode[] = [];
  let config = '';
  for (const p of ports) {
    const nodeDir = join(dir, `node-${p.id}`);
    mkdirSync(nodeDir, { recursive: true });
    const file = join(nodeDir, 'server.properties');
    const props = kafkaProperties(p, ports, join(nodeDir, 'logs'), partitions);
    if (p.id === 1) config = props;
    writeFileSync(file, props);
    let formatted = '';
    for (const tool of STORAGE_TOOLS) {
      const r = spawnSync(java, ['-cp', cp, tool, 'format', '-t', cid, '-c', file], { encoding: 'utf8', timeout: 120_000 });
      formatted = `${tool}: exit ${r.status} ${r.stdout}${r.stderr}`;
      if (r.status === 0) break;
      if (!/ClassNotFound|Could not find or load main class/.test(formatted)) throw new Error(`formatting ${nodeDir} failed: ${formatted.slice(-2000)}`);
    }
    if (!/exit 0/.test(formatted)) throw new Error(`no storage tool found in ${libs}: ${formatted.slice(-500)}`);
    const child = spawn(java, [...KAFKA_JVM_OPTS, `-Dkafka.logs.dir=${join(nodeDir, 'app-logs')}`, '-cp', cp, 'kafka.Kafka', file], { stdio: ['ignore', 'pipe', 'pipe'] });
    nodes.push({ ports: p, child, ...watchChild(child, 30_000) });
  }
  // Up: every node answers Metadata listing all `count` brokers.
  const deadline = performance.now() + 120_000;
  for (const n of nodes) {
    for (;;) {
      if (n.child.exitCode !== null) throw new Error(`Kafka node ${n.ports.id} exited during start:\n${n.output().slice(-3000)}`);
      try {
        const c = await WireClient.connect(n.ports.port);
        try {
          const md = await c.request<MetadataResponse>(ApiKey.Metadata, 9, { topics: [], allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false });
          if (md.brokers.length === count) break;
        } finally {
          c.close();
        }
      } catch {
        /* not listening yet */
      }
      if (performance.now() > deadline) throw new Error(`Kafka node ${n.ports.id} not up in 120 s:\n${n.output().slice(-3000)}`);
      await sleep(200);
    }
  }
  return { nodes, config };
}

export async function kafkaScenario(d: KafkaBenchDeps): Promise<KafkaBenchResult> {
  const result: KafkaBenchResult = { single: null, cluster: null, ratio: null, runs: [] };
  const found = kafkaLibs(d.kafkaHome);
  if ('skipped' in found) {
    result.skipped = found.skipped;
    d.log(`kafka: skipped: ${found.skipped}`);
    return result;
  }
  result.libs = found.libs;
  result.version = found.version;
  const java = d.java ?? 'java';
  const dir = join(d.work, 'kafka');
  let single: KafkaNode[] = [];
  let cluster: KafkaNode[] = [];
  const cleanup = async (): Promise<void> => {
    await Promise.all([...single, ...cluster].map((n) => n.stop().catch(() => undefined)));
    single = [];
    cluster = [];
    rmSync(dir, { recursive: true, force: true });
  };
  const unregister = d.onAbort(cleanup);
  try {
    d.log(`kafka: Apache Kafka ${found.version} from ${found.libs}: starting 1 + 3 KRaft combined nodes`);
    single = (await startNodes(java, found.libs, join(dir, 'single'), 1, d.partitions)).nodes;
    const c = await startNodes(java, found.libs, join(dir, 'cluster'), 3, d.partitions);
    cluster = c.nodes;
    result.clusterConfig = c.config;
    const singlePort = (single[0] as KafkaNode).ports.port;
    const ports = cluster.map((n) => n.ports.port);
    const bootstrap = ports.map((p) => `127.0.0.1:${p}`).join(',');
    const prepare = async (topic: string): Promise<void> => {
      await createReplicatedTopic(ports, topic, d.partitions, 3, [{ name: 'min.insync.replicas', value: '2' }]);
      await waitReplicated(ports, topic, d.partitions, 3);
      await createReplicatedTopic([singlePort], topic, d.partitions, 1, []);
      await waitReplicated([singlePort], topic, d.partitions, 1);
    };
    await prepare('kafka-warmup');
    const best = (a: Throughput | null, b: Throughput): Throughput => (a === null || (!b.error && (a.error !== undefined || b.recordsPerSec > a.recordsPerSec)) ? b : a);
    for (let rep = 0; rep < d.repeats; rep++) {
      const topic = `kafka-${rep}`;
      await prepare(topic);
      for (const target of ['single', 'cluster'] as const) {
        const to = target === 'single' ? `127.0.0.1:${singlePort}` : bootstrap;
        const pids = (target === 'single' ? single : cluster).map((n) => n.child.pid);
        d.log(`kafka: produce ${d.recordSize} B acks=all × ${d.records} → Kafka ${target === 'single' ? 'single node' : '3 nodes, RF 3'} (run ${rep + 1}/${d.repeats})`);
        const cpu0 = pids.reduce<number>((a, pid) => a + cpuSec(pid), 0);
        const p = await d.produce(to, topic, d.recordSize, d.records, '-1');
        const brokerCpuSec = pids.reduce<number>((a, pid) => a + cpuSec(pid), 0) - cpu0;
        const perGb = p.bytes > 0 ? ` = ${(brokerCpuSec / (p.bytes / 1e9)).toFixed(2)} s per GB` : '';
        d.log(`  kafka ${target}: ${Math.round(p.recordsPerSec)} rec/s ${p.mbPerSec.toFixed(1)} MB/s, broker CPU ${brokerCpuSec.toFixed(2)} s${perGb}${p.error ? ` (${p.error})` : ''}`);
        result.runs.push({ target, run: rep + 1, produce: p, brokerCpuSec });
        result[target] = best(result[target], p);
      }
    }
    if (result.single && result.cluster && !result.single.error && !result.cluster.error && result.single.recordsPerSec > 0) result.ratio = result.cluster.recordsPerSec / result.single.recordsPerSec;
  } catch (e) {
    result.error = (e as Error).message;
    d.log(`kafka: failed: ${result.error}`);
  } finally {
    unregister();
    await cleanup();
  }
  return result;
}

/** The report's rows for the section (markdown). */
export function renderKafka(k: KafkaBenchResult): string {
  const out = ['## Apache Kafka on this machine (reference)\n'];
  if (k.skipped !== undefined) return `${out[0]}\nSkipped: ${k.skipped}.\n`;
  out.push(`Apache Kafka ${k.version ?? '?'} (jars from ${k.libs ?? '?'}), KRaft combined nodes, JVM ${KAFKA_JVM_OPTS.join(' ')}; the cluster section's workload (1 KiB, acks=all, linger.ms=5), alternating.\n`);
  if (k.error !== undefined) out.push(`Failed: ${k.error.slice(0, 500)}\n`);
  const rate = (t: Throughput | null): string => (t === null ? 'n/a' : `${Math.round(t.recordsPerSec).toLocaleString('en-US')} rec/s`);
  const perGb = (target: 'single' | 'cluster'): string => {
    const runs = k.runs.filter((r) => r.target === target && r.produce.bytes > 0);
    return runs.length === 0 ? 'n/a' : runs.map((r) => (r.brokerCpuSec / (r.produce.bytes / 1e9)).toFixed(2)).join(' / ');
  };
  out.push('| Target | Best | Broker CPU-s per GB (each run) |\n| --- | --- | --- |');
  out.push(`| Apache Kafka ${k.version ?? ''} single | ${rate(k.single)} | ${perGb('single')} |`);
  out.push(`| Apache Kafka ${k.version ?? ''} 3-broker, RF 3 | ${rate(k.cluster)} | ${perGb('cluster')} |`);
  out.push(`\nCluster ÷ single: ${k.ratio === null ? 'n/a' : k.ratio.toFixed(2)}\n`);
  if (k.clusterConfig !== undefined) out.push(`Node 1's server.properties:\n\n\`\`\`\n${k.clusterConfig}\`\`\`\n`);
  return out.join('\n');
}
