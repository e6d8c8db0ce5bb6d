/**
 * Issue 14 (log dirs) in a cluster: three brokers on etcd, RF 3, min.insync.replicas=2; broker 1
 * has two log dirs, the second on a real ext4 disk that is made to fail under it (FS_IOC_SHUTDOWN:
 * every I/O then fails with EIO, test/helpers/failing-disk.ts). Broker 1 leads every partition.
 * After the disk fails:
 * - a kafkajs producer with acks=all to a partition of the failed dir gets its records
 *   acknowledged: broker 1 answers KAFKA_STORAGE_ERROR, reports the dir and its replicas offline
 *   in its etcd registration, the controller moves leadership to another ISR member and takes
 *   broker 1 out of the ISR, and the client's retry lands on the new leader;
 * - Metadata lists broker 1 in offline_replicas of those partitions (and only of those);
 * - broker 1 keeps leading and serving the partitions of its other dir (acks=all produce works);
 * - DescribeLogDirs on broker 1 answers the failed dir with KAFKA_STORAGE_ERROR and no partitions;
 * - every acknowledged record of the moved partition is read back from its new leader.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { useEtcd } from '../helpers/etcd.js';
import { startCluster, type TestCluster } from '../helpers/cluster.js';
import { FailingDisk } from '../helpers/failing-disk.js';
import { WireClient, API, waitFor } from '../helpers/wire.js';
import { ErrorCode } from '../../src/common/error-codes.js';
import type { DescribeLogDirsResponse } from '../../src/protocol/generated/messages/describe-log-dirs.js';
import type { MetadataResponse } from '../../src/protocol/generated/messages/metadata.js';

const fx = useEtcd({ before, after });
const TOPIC = 'ldf';
const PARTITIONS = 6;
/** Broker 1 leads partitions 0-3 and follows broker 2 on 4 and 5. */
const replicasOf = (p: number): number[] => (p < 4 ? [1, 2, 3] : [2, 1, 3]);

test('a failed log dir moves its partitions\' leadership off the broker, which keeps serving its other dir', { timeout: 150_000 }, async (t) => {
  const disk = FailingDisk.create();
  const dirA = mkdtempSync(join(tmpdir(), 'samsa-ldf-a-'));
  const dirB = disk.dir('logs');
  let cluster: TestCluster | undefined;
  // Brokers first, then their directories.
  t.after(async () => {
    await cluster?.stop();
    disk.remove();
    rmSync(dirA, { recursive: true, force: true });
  });
  cluster = await startCluster({
    endpoints: fx.etcd.endpoints,
    prefix: fx.prefix(),
    size: 3,
    brokerConfig: (id) => (id === 1 ? { 'log.dirs': `${dirA},${dirB}` } : {}),
  });
  const stall = setTimeout(() => console.log(`stalled:\n${cluster.dumpLogs()}`), 120_000);
  t.after(() => clearTimeout(stall));
  try {
    const admin = await WireClient.connect(cluster.broker(1).port);
    t.after(() => admin.close());
    const created = await admin.request(API.CreateTopics, 7, {
      topics: [{ name: TOPIC, numPartitions: -1, replicationFactor: -1, assignments: [...Array(PARTITIONS).keys()].map((i) => ({ partitionIndex: i, brokerIds: replicasOf(i) })), configs: [{ name: 'min.insync.replicas', value: '2' }] }],
      timeoutMs: 10_000,
      validateOnly: false,
    });
    assert.equal(created.topics[0].errorCode, 0, created.topics[0].errorMessage);
    await waitFor(
      () => cluster.brokers.every((b) => b.running?.broker.metadata.image().topic(TOPIC)?.partitions.every((p) => p.isr.length === 3 && p.leader === replicasOf(p.partition)[0])) || null,
      30_000,
      'every partition led by its first replica with a full ISR',
    );
    const inA = [...Array(PARTITIONS).keys()].filter((p) => existsSync(join(dirA, `${TOPIC}-${p}`)));
    const inB = [...Array(PARTITIONS).keys()].filter((p) => existsSync(join(dirB, `${TOPIC}-${p}`)));
    assert.ok(inA.length > 0 && inB.length > 0, `partitions in both dirs of broker 1: A ${inA}, B ${inB}`);
    const pA = inA.find((p) => p < 4) as number;
    const pB = inB.find((p) => p < 4) as number;
    const followedInB = inB.filter((p) => p >= 4);
    assert.ok(pA !== undefined && pB !== undefined && followedInB.length > 0, `led and followed partitions in both dirs of broker 1: A ${inA}, B ${inB}`);

    const kafka = new Kafka({ clientId: 'ldf', brokers: cluster.bootstrap().split(','), logLevel: logLevel.NOTHING, retry: { initialRetryTime: 100, maxRetryTime: 1000, retries: 30 } });
    const producer = kafka.producer({ allowAutoTopicCreation: false });
    await producer.connect();
    t.after(() => producer.disconnect());
    const sent: string[] = [];
    const send = async (partition: number, value: string): Promise<void> => {
      await producer.send({ topic: TOPIC, acks: -1, messages: [{ partition, value }] });
      if (partition === pB) sent.push(value);
    };
    for (let i = 0; i < 5; i++) {
      await send(pA, `a-${i}`);
      await send(pB, `b-${i}`);
    }

    disk.fail();
    const failedAt = performance.now();
    await send(pB, 'b-after-failure');
    const movedMs = performance.now() - failedAt;
    const state = cluster.broker(2).broker.metadata.image().topic(TOPIC)?.partitions[pB];
    assert.ok(state !== undefined && state.leader !== 1 && state.leader >= 0, `new leader of ${TOPIC}-${pB}: ${state?.leader}`);
    assert.ok(!state.isr.includes(1), `broker 1 left the ISR of ${TOPIC}-${pB}: [${state.isr}]`);
    for (let i = 0; i < 5; i++) await send(pB, `b-later-${i}`);

    // Metadata: broker 1 is an offline replica of the failed dir's partitions only.
    const md = await waitFor(
      async () => {
        const r: MetadataResponse = await admin.metadata([TOPIC]);
        const parts = r.topics[0]?.partitions ?? [];
        return inB.every((p) => {
          const x = parts.find((y) => y.partitionIndex === p);
          return x !== undefined && x.leaderId !== 1 && !x.isrNodes.includes(1);
        })
          ? parts
          : null;
      },
      20_000,
      'every partition of the failed dir to move',
    );
    for (const p of md) {
      if (inB.includes(p.partitionIndex)) {
        assert.deepEqual(p.offlineReplicas, [1], `offline replicas of ${TOPIC}-${p.partitionIndex}`);
        assert.ok(p.leaderId === 2 || p.leaderId === 3);
        assert.ok(!p.isrNodes.includes(1));
      } else {
        assert.deepEqual(p.offlineReplicas, []);
        assert.equal(p.leaderId, replicasOf(p.partitionIndex)[0]);
        assert.deepEqual([...p.isrNodes].sort(), [1, 2, 3]);
      }
    }

    // A partition broker 1 followed from the failed dir: it left the ISR, acks=all goes on without it.
    for (const p of followedInB) await producer.send({ topic: TOPIC, acks: -1, messages: [{ partition: p, value: 'followed' }] });
    // Broker 1 still leads its other dir's partitions: acks=all produce is acknowledged there.
    for (let i = 0; i < 5; i++) await send(pA, `a-after-${i}`);
    const a = (await admin.fetchAll(TOPIC, pA, 0n)).batches.flatMap((b) => b.records.map((r) => r.value?.toString()));
    assert.deepEqual(a, [...Array(5).keys()].map((i) => `a-${i}`).concat([...Array(5).keys()].map((i) => `a-after-${i}`)));

    // DescribeLogDirs on broker 1: the failed dir with KAFKA_STORAGE_ERROR and no partitions.
    const dirs = await admin.request<DescribeLogDirsResponse>(35, 4, { topics: null });
    const failed = dirs.results.find((d) => d.logDir === dirB);
    assert.equal(failed?.errorCode, ErrorCode.KAFKA_STORAGE_ERROR);
    assert.deepEqual(failed?.topics, []);
    const online = dirs.results.find((d) => d.logDir === dirA);
    assert.equal(online?.errorCode, ErrorCode.NONE);
    assert.deepEqual(online?.topics.find((x) => x.name === TOPIC)?.partitions.map((p) => p.partitionIndex).sort(), inA);

    // Every acknowledged record of the moved partition, from its new leader.
    const leader = await WireClient.connect(cluster.broker(state.leader).port);
    t.after(() => leader.close());
    const got = await waitFor(
      async () => {
        const f = await leader.fetchAll(TOPIC, pB, 0n).catch(() => undefined);
        return f !== undefined && f.highWatermark === BigInt(sent.length) ? f : null;
      },
      20_000,
      'the new leader to serve every acknowledged record',
    );
    assert.deepEqual(got.batches.flatMap((b) => b.records.map((r) => r.value?.toString())), sent);
    assert.ok(cluster.broker(1).broker.metadata.image().broker(1) !== undefined, 'broker 1 is still registered');
    t.diagnostic(`acks=all produce to ${TOPIC}-${pB} acknowledged ${movedMs.toFixed(0)} ms after broker 1's disk failed (new leader ${state.leader})`);
  } catch (e) {
    console.log(cluster.dumpLogs());
    throw e;
  }
});
