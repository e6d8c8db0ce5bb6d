/**
 * A cluster of broker *processes* on one etcd (test/helpers/etcd.ts), so that kill -9 and
 * SIGSTOP/SIGCONT are real: each broker is `samsa start` (broker-process.ts) with its own node.id,
 * data dir and port, and the fast failover settings of FAST_CLUSTER_CONFIG (the settings a user
 * would tune for quick failover: broker.session.timeout.ms — how long a dead or frozen broker
 * keeps its registration lease; replica.lag.time.max.ms — how long a follower may lag before it
 * leaves the ISR; replica.fetch.wait.max.ms / replica.fetch.backoff.ms — follower fetch pacing).
 * A restarted broker keeps its data dir and port (as a real host would), so clients find it again.
 * Each process's output is captured and shown only when a test fails (log-capture.ts); stop()
 * kills every process (and the exit hook does, should the test process end early) and removes
 * every data dir.
 * With `faults` (fault-net.ts) every link goes through a proxy of that FaultNet: each broker's
 * listener (it advertises the proxy's port, so clients and other brokers connect through it; a
 * restarted broker binds a new port behind the same proxy) and each broker's link to every etcd
 * member (party `etcd`), so a test can cut `b1`-`b2`, `b1`-`etcd`, or isolate `b1`.
 */
import { fixedPeer, kafkaPeer, type FaultNet, type Proxy } from './fault-net.js';
import { removeDir, startBrokerProcess, tempDir, type BrokerProcess } from './broker-process.js';
import { FAST_CLUSTER_CONFIG } from './cluster.js';
import { WireClient } from './wire.js';

export interface ProcessBroker {
  readonly nodeId: number;
  readonly dataDir: string;
  /** Its port (fixed after the first start; with `faults`, its proxy's port). */
  port: number;
  /** The running process, null while killed. */
  proc: BrokerProcess | null;
  /** Whether it is SIGSTOPped. */
  paused: boolean;
}

export interface PartitionState {
  leader: number;
  leaderEpoch: number;
  isr: number[];
  replicas: number[];
}

export interface ProcessCluster {
  readonly brokers: ProcessBroker[];
  readonly prefix: string;
  /** host:port of every broker (running or not), comma separated: clients skip the dead ones. */
  bootstrap(): string;
  broker(nodeId: number): ProcessBroker;
  /** Brokers running and not paused. */
  live(): ProcessBroker[];
  /** kill -9, waiting for the exit. */
  kill(nodeId: number): Promise<void>;
  /** Starts a killed broker again on its data dir and port (or one not started yet: see `initial`). */
  restart(nodeId: number): Promise<void>;
  pause(nodeId: number): void;
  resume(nodeId: number): void;
  /** Metadata (v12) of `topics` as broker `via` (default: the first live broker) sees it. */
  metadata(topics: string[], via?: number): Promise<ClusterMetadata>;
  /** The coordinator node of a group (FindCoordinator v4 to a live broker); -1 when none. */
  groupCoordinator(group: string, via?: number): Promise<number>;
  /** Everything the processes printed, each under a header. */
  output(): string;
  stop(): Promise<void>;
}

export interface ClusterMetadata {
  controllerId: number;
  brokers: number[];
  partitions: Map<string, PartitionState>;
}

export interface ProcessClusterOptions {
  endpoints: string;
  prefix: string;
  size: number;
  /** Broker properties for every broker (over FAST_CLUSTER_CONFIG). */
  config?: Record<string, string | number>;
  /** How many brokers start at once (default `size`); the others start with restart(nodeId), as brokers added later. */
  initial?: number;
  /** Route every broker's listener and etcd links through proxies of this FaultNet (parties `b<id>` and `etcd`). */
  faults?: FaultNet;
}

const FIND_COORDINATOR = 10;

export async function startProcessCluster(opts: ProcessClusterOptions): Promise<ProcessCluster> {
  const brokers: ProcessBroker[] = [];
  for (let i = 1; i <= opts.size; i++) brokers.push({ nodeId: i, dataDir: tempDir(`samsa-pcluster-${i}-`), port: 0, proc: null, paused: false });
  const outputs: string[][] = brokers.map(() => []);
  const onExit = (): void => {
    for (const b of brokers) b.proc?.child.kill('SIGKILL');
  };
  process.once('exit', onExit);
  const proxies = new Map<number, { kafka: Proxy; etcd: string }>();
  const faults = opts.faults;
  if (faults !== undefined) {
    for (const b of brokers) {
      const kafka = await faults.proxy(`b${b.nodeId}`, { host: '127.0.0.1', port: 0 }, kafkaPeer);
      const etcd: string[] = [];
      for (const e of opts.endpoints.split(',')) {
        const u = new URL(e.trim());
        const p = await faults.proxy('etcd', { host: u.hostname, port: Number(u.port) }, fixedPeer(`b${b.nodeId}`));
        etcd.push(`http://127.0.0.1:${p.port}`);
      }
      proxies.set(b.nodeId, { kafka, etcd: etcd.join(',') });
      b.port = kafka.port;
    }
  }
  const start = async (b: ProcessBroker): Promise<void> => {
    const proxy = proxies.get(b.nodeId);
    const proc = await startBrokerProcess({
      dataDir: b.dataDir,
      port: proxy === undefined ? b.port : 0,
      overrides: {
        ...FAST_CLUSTER_CONFIG,
        ...(opts.config ?? {}),
        'node.id': b.nodeId,
        'etcd.endpoints': proxy === undefined ? opts.endpoints : proxy.etcd,
        'etcd.prefix': opts.prefix,
        ...(proxy === undefined ? {} : { 'advertised.listeners': `PLAINTEXT://127.0.0.1:${proxy.kafka.port}` }),
      },
      startTimeoutMs: 30_000,
    });
    b.proc = proc;
    if (proxy === undefined) b.port = proc.port;
    else proxy.kafka.target = { host: '127.0.0.1', port: proc.port };
    b.paused = false;
    (outputs[b.nodeId - 1] as string[]).push('');
  };
  const byId = (nodeId: number): ProcessBroker => {
    const b = brokers[nodeId - 1];
    if (b === undefined) throw new Error(`no broker ${nodeId}`);
    return b;
  };
  const live = (): ProcessBroker[] => brokers.filter((b) => b.proc !== null && !b.paused);
  const withLive = async <T>(via: number | undefined, fn: (c: WireClient) => Promise<T>): Promise<T> => {
    const b = via === undefined ? live()[0] : byId(via);
    if (b === undefined || b.proc === null) throw new Error('no live broker to ask');
    const c = await WireClient.connect(b.port);
    try {
      return await fn(c);
    } finally {
      c.close();
    }
  };
  const cluster: ProcessCluster = {
    brokers,
    prefix: opts.prefix,
    bootstrap: () => brokers.map((b) => `127.0.0.1:${b.port}`).join(','),
    broker: byId,
    live,
    async kill(nodeId) {
      const b = byId(nodeId);
      const p = b.proc;
      b.proc = null;
      b.paused = false;
      if (p !== null) {
        await p.kill();
        outputs[nodeId - 1]?.push(p.output());
      }
    },
    async restart(nodeId) {
      const b = byId(nodeId);
      if (b.proc !== null) throw new Error(`broker ${nodeId} is running`);
      await start(b);
    },
    pause(nodeId) {
      const b = byId(nodeId);
      b.proc?.child.kill('SIGSTOP');
      b.paused = true;
    },
    resume(nodeId) {
      const b = byId(nodeId);
      b.proc?.child.kill('SIGCONT');
      b.paused = false;
    },
    metadata: (topics, via) =>
      withLive(via, async (c) => {
        const md = await c.metadata(topics);
        const partitions = new Map<string, PartitionState>();
        for (const t of md.topics as { name: string; errorCode: number; partitions: { partitionIndex: number; leaderId: number; leaderEpoch: number; isrNodes: number[]; replicaNodes: number[] }[] }[]) {
          for (const p of t.partitions) partitions.set(`${t.name}-${p.partitionIndex}`, { leader: p.leaderId, leaderEpoch: p.leaderEpoch, isr: [...p.isrNodes].sort(), replicas: p.replicaNodes });
        }
        return { controllerId: md.controllerId as number, brokers: (md.brokers as { nodeId: number }[]).map((b) => b.nodeId).sort(), partitions };
      }),
    groupCoordinator: (group, via) =>
      withLive(via, async (c) => {
        const res = await c.request(FIND_COORDINATOR, 4, { keyType: 0, coordinatorKeys: [group] });
        const co = res.coordinators[0] as { errorCode: number; nodeId: number };
        return co.errorCode === 0 ? co.nodeId : -1;
      }),
    output: () =>
      brokers
        .map((b, i) => `--- broker ${b.nodeId} ---\n${[...(outputs[i] ?? []), b.proc?.output() ?? ''].join('\n--- (restarted) ---\n')}`)
        .join('\n'),
    async stop() {
      process.removeListener('exit', onExit);
      await Promise.all(brokers.map((b) => cluster.kill(b.nodeId).catch(() => undefined)));
      for (const b of brokers) removeDir(b.dataDir);
    },
  };
  try {
    // One at a time: the first creates the cluster id.
    for (const b of brokers.slice(0, opts.initial ?? opts.size)) await start(b);
  } catch (e) {
    await cluster.stop();
    throw e;
  }
  return cluster;
}

/** Polls `fn` (every 50 ms) until it returns a value other than undefined/false; throws after `timeoutMs`. */
export async function until<T>(what: string, fn: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined && v !== false) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last !== undefined ? ` (last error: ${String(last)})` : ''}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Waits until partition 0 of `topic` has a leader and its three replicas in the ISR (as any live broker sees it); returns that state. */
export function fullIsrLeader(cluster: ProcessCluster, topic: string, timeoutMs?: number): Promise<PartitionState> {
  return until(`${topic}-0 led with a full ISR`, async () => {
    const s = (await cluster.metadata([topic])).partitions.get(`${topic}-0`);
    return s !== undefined && s.leader >= 0 && s.isr.length === 3 ? s : undefined;
  }, timeoutMs);
}

/** A topic for createReplicatedTopics: `partitions` × RF 3, or explicit `assignments` (one replica list per partition). */
export interface ReplicatedTopic {
  name: string;
  partitions?: number;
  assignments?: number[][];
  /** Topic configs; min.insync.replicas defaults to 2. */
  configs?: Record<string, string>;
}

/** Creates `topics` through the broker on `port` (CreateTopics v7) and asserts each was created. */
export async function createReplicatedTopics(port: number, topics: ReplicatedTopic[]): Promise<void> {
  const admin = await WireClient.connect(port);
  try {
    const created = await admin.request(19, 7, {
      topics: topics.map((t) => ({
        name: t.name,
        numPartitions: t.assignments === undefined ? (t.partitions ?? 1) : -1,
        replicationFactor: t.assignments === undefined ? 3 : -1,
        assignments: (t.assignments ?? []).map((brokerIds, partitionIndex) => ({ partitionIndex, brokerIds })),
        configs: Object.entries({ 'min.insync.replicas': '2', ...t.configs }).map(([name, value]) => ({ name, value })),
      })),
      timeoutMs: 10_000,
      validateOnly: false,
    });
    for (const x of created.topics) if (x.errorCode !== 0) throw new Error(`creating ${x.name}: error ${x.errorCode} ${x.errorMessage ?? ''}`);
  } finally {
    admin.close();
  }
}
