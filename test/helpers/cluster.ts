/**
 * In-process clusters for tests: N brokers in one process on one etcd (test/helpers/etcd.ts),
 * each with its own data dir, logger and free port. Every broker and directory is stopped and
 * removed by `stop()`. Lines of each broker go to its own captured sink, shown by `dumpLogs()`
 * when a test fails.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBroker, type RunningBroker } from '../../src/index.js';

export interface ClusterBroker {
  readonly nodeId: number;
  readonly dataDir: string;
  running: RunningBroker | null;
  readonly lines: string[];
}

export interface TestCluster {
  readonly brokers: ClusterBroker[];
  readonly prefix: string;
  bootstrap(): string;
  broker(nodeId: number): RunningBroker;
  /** Stops broker `nodeId` (a clean stop; its registration is revoked). */
  stopBroker(nodeId: number): Promise<void>;
  /** Starts broker `nodeId` again on its data dir. */
  startBroker(nodeId: number): Promise<RunningBroker>;
  dumpLogs(): string;
  stop(): Promise<void>;
}

export interface ClusterOptions {
  endpoints: string;
  prefix: string;
  size: number;
  /** Broker properties for every broker. */
  config?: Record<string, string | number | boolean>;
  /** More properties for one broker (e.g. its broker.rack), over `config`. */
  brokerConfig?: (nodeId: number) => Record<string, string | number | boolean>;
}

/** Defaults that make failover fast enough for tests (a user would tune them the same way). */
export const FAST_CLUSTER_CONFIG: Record<string, string | number> = {
  'broker.session.timeout.ms': 2000,
  'replica.lag.time.max.ms': 3000,
  'replica.fetch.wait.max.ms': 100,
  'replica.fetch.backoff.ms': 100,
  'offsets.topic.num.partitions': 3,
  'transaction.state.log.num.partitions': 3,
  'group.initial.rebalance.delay.ms': 0,
  // Controlled shutdown retries quickly (brokers of a test cluster often stop together).
  'controlled.shutdown.retry.backoff.ms': 200,
};

export async function startCluster(opts: ClusterOptions): Promise<TestCluster> {
  const brokers: ClusterBroker[] = [];
  for (let i = 1; i <= opts.size; i++) brokers.push({ nodeId: i, dataDir: mkdtempSync(join(tmpdir(), `samsa-cluster-${i}-`)), running: null, lines: [] });
  const start = async (b: ClusterBroker): Promise<RunningBroker> => {
    b.running = await startBroker({
      port: 0,
      dataDir: b.dataDir,
      logger: { sink: (line) => void b.lines.push(line), level: 'info' },
      config: { ...FAST_CLUSTER_CONFIG, ...(opts.config ?? {}), ...(opts.brokerConfig?.(b.nodeId) ?? {}), 'node.id': b.nodeId, 'etcd.endpoints': opts.endpoints, 'etcd.prefix': opts.prefix },
    });
    return b.running;
  };
  const cluster: TestCluster = {
    brokers,
    prefix: opts.prefix,
    bootstrap: () => brokers.filter((b) => b.running !== null).map((b) => (b.running as RunningBroker).bootstrap).join(','),
    broker(nodeId) {
      const r = brokers[nodeId - 1]?.running;
      if (r == null) throw new Error(`broker ${nodeId} is not running`);
      return r;
    },
    async stopBroker(nodeId) {
      const b = brokers[nodeId - 1] as ClusterBroker;
      const r = b.running;
      b.running = null;
      await r?.stop();
    },
    startBroker: (nodeId) => start(brokers[nodeId - 1] as ClusterBroker),
    dumpLogs: () => brokers.map((b) => `--- broker ${b.nodeId} ---\n${b.lines.join('')}`).join('\n'),
    async stop() {
      await Promise.all(brokers.map(async (b) => {
        const r = b.running;
        b.running = null;
        await r?.stop().catch(() => undefined);
      }));
      for (const b of brokers) rmSync(b.dataDir, { recursive: true, force: true });
    },
  };
  try {
    // One at a time: the first creates the cluster id; all must be registered before topics are placed.
    for (const b of brokers) await start(b);
    // Registrations reach each broker through its etcd watch: wait until every broker sees all of
    // them, so that a topic created next (on any broker) can be placed on every node.
    const deadline = Date.now() + 30_000;
    while (!brokers.every((b) => brokers.every((o) => b.running?.broker.metadata.image().broker(o.nodeId) !== undefined))) {
      if (Date.now() > deadline) throw new Error('timed out waiting for every broker to see every registration');
      await new Promise((r) => setTimeout(r, 20));
    }
  } catch (e) {
    await cluster.stop();
    throw e;
  }
  return cluster;
}
