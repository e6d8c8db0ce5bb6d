/**
 * Shared set-up of the coordinator failover tests (group and transaction): three in-process
 * brokers on the file's etcd, kafkajs clients with short retries, leaders as the brokers' images
 * have them, RF 3 topics with a full ISR.
 */
import { Kafka, logLevel } from 'kafkajs';
import type { EtcdFixture } from './etcd.js';
import { startCluster, type TestCluster } from './cluster.js';

export async function until<T>(what: string, fn: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export type Defer = (cleanup: () => Promise<unknown>) => void;

/**
 * Three brokers for `body`; what it defers (clients) is closed first, newest first, and then the
 * brokers are stopped (a client closed after its brokers would keep retrying). Their logs are
 * printed when it fails.
 */
export async function withCluster(fx: EtcdFixture, body: (cluster: TestCluster, defer: Defer) => Promise<void>): Promise<void> {
  const cluster = await startCluster({ endpoints: fx.etcd.endpoints, prefix: fx.prefix(), size: 3 });
  const cleanups: (() => Promise<unknown>)[] = [];
  try {
    await body(cluster, (c) => void cleanups.push(c));
  } catch (e) {
    console.log(cluster.dumpLogs());
    throw e;
  } finally {
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
    await cluster.stop();
  }
}

export function kafkaFor(cluster: TestCluster, clientId: string): Kafka {
  return new Kafka({ clientId, brokers: cluster.bootstrap().split(','), logLevel: process.env["KJS_DEBUG"] ? logLevel.DEBUG : logLevel.NOTHING, retry: { initialRetryTime: 100, maxRetryTime: 1000, retries: 30 } });
}

/** The leader of `topic`-`partition` as any running broker sees it (-1 when none). */
export function leaderOf(cluster: TestCluster, topic: string, partition: number): number {
  for (const b of cluster.brokers) {
    const p = b.running?.broker.metadata.image().topic(topic)?.partitions[partition];
    if (p !== undefined) return p.leader;
  }
  return -1;
}

export async function createTopic(kafka: Kafka, cluster: TestCluster, topic: string, numPartitions: number): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.createTopics({ topics: [{ topic, numPartitions, replicationFactor: 3, configEntries: [{ name: 'min.insync.replicas', value: '2' }] }], waitForLeaders: true });
  } finally {
    await admin.disconnect();
  }
  await until(`a full ISR on every partition of ${topic}`, () =>
    cluster.brokers.every((b) => {
      const t = b.running?.broker.metadata.image().topic(topic);
      return t !== undefined && t.partitions.every((p) => p.isr.length === 3);
    }),
  );
}
