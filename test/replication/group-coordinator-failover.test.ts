/**
 * The group and transaction coordinators fail over with their `__consumer_offsets` /
 * `__transaction_state` partitions (three in-process brokers on a real etcd, real kafkajs clients):
 * - a consumer group consumes an RF 3 topic committing after each record; the broker that is its
 *   coordinator stops; the group goes on at the new leader of its offsets partition with its
 *   committed offsets (nothing committed is delivered again, everything is delivered);
 * (The transaction case is in txn-coordinator-failover.test.ts; each runs in its own process.)
 * - a transactional producer commits transactions spanning partitions led by different brokers
 *   (markers to other leaders go as WriteTxnMarkers); the broker coordinating its transactional id
 *   stops mid-way; the producer carries on at the new coordinator, and read_committed readers see
 *   every committed transaction whole, no aborted one, nothing twice.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { useEtcd } from '../helpers/etcd.js';
import type { TestCluster } from '../helpers/cluster.js';
import { until, withCluster as withClusterOn, kafkaFor, leaderOf, createTopic, type Defer } from '../helpers/coordinator-failover.js';
import { partitionForGroup } from '../../src/group/java-hash.js';
import { partitionForTransactionalId } from '../../src/txn/txn-log.js';
import { readPartition, visibleRecords } from '../txn/helpers.js';

const fx = useEtcd({ before, after });

const withCluster = (body: (cluster: TestCluster, defer: Defer) => Promise<void>): Promise<void> => withClusterOn(fx, body);

test('a consumer group keeps its committed offsets when its coordinator stops', () => withCluster(groupFailover));

async function groupFailover(cluster: TestCluster, defer: Defer): Promise<void> {
  const topic = 'gf';
  const groupId = 'group-failover';
  const kafka = kafkaFor(cluster, 'gf-test');
  await createTopic(kafka, cluster, topic, 3);
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  defer(() => producer.disconnect());
  const send = async (from: number, to: number): Promise<void> => {
    for (let i = from; i < to; i++) await producer.send({ topic, acks: -1, messages: [{ key: `k${i}`, value: `v${i}` }] });
  };
  await send(0, 30);

  const delivered: string[] = [];
  const committed = new Set<string>();
  const afterCommit: string[] = [];
  // The consumer keeps kafkajs's default retries: a stopping coordinator hands its partition over
  // first (controlled shutdown) and answers NOT_COORDINATOR meanwhile, so kafkajs finds the new
  // one at once. (After a kill -9 kafkajs keeps committing to the dead node until its retries run
  // out and the consumer restarts, as against Kafka: test/compat/cluster-kafkajs-group-kill.test.ts.)
  const consumer = kafka.consumer({ groupId, sessionTimeout: 6000, heartbeatInterval: 500 });
  const crashes: string[] = [];
  consumer.on(consumer.events.CRASH, (e) => void crashes.push(String(e.payload.error)));
  await consumer.connect();
  defer(() => consumer.disconnect());
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    autoCommit: false,
    eachMessage: async ({ partition, message }) => {
      const v = message.value?.toString() ?? '';
      if (committed.has(v)) afterCommit.push(v);
      delivered.push(v);
      await consumer.commitOffsets([{ topic, partition, offset: String(BigInt(message.offset) + 1n) }]);
      committed.add(v);
    },
  });
  await until('the first 30 records consumed and committed', () => committed.size >= 30);

  // The coordinator is the leader of the group's __consumer_offsets partition; it stops.
  const offsetsPartition = partitionForGroup(groupId, 3);
  const coordinator = leaderOf(cluster, '__consumer_offsets', offsetsPartition);
  assert.ok(coordinator > 0, 'the group has a coordinator');
  const stoppedAt = performance.now();
  await cluster.stopBroker(coordinator);
  const newCoordinator = await until('a new leader of the offsets partition', () => {
    const l = leaderOf(cluster, '__consumer_offsets', offsetsPartition);
    return l > 0 && l !== coordinator ? l : undefined;
  });
  await send(30, 60);
  await until('all 60 records consumed', () => new Set(delivered).size >= 60, 60_000).catch((e: unknown) => {
    throw new Error(`${String(e)}; consumed ${new Set(delivered).size}; consumer crashes: ${crashes.join(' | ')}`);
  });
  const resumedMs = performance.now() - stoppedAt;
  console.log(`group coordinator ${coordinator} -> ${newCoordinator}: all records consumed ${resumedMs.toFixed(0)} ms after the stop`);

  // Nothing whose commit was acknowledged came again (the new coordinator had the offsets).
  assert.deepEqual(afterCommit, [], `records delivered again after their offset was committed: ${afterCommit.join(', ')}`);
  console.log(`${delivered.length - new Set(delivered).size} record(s) delivered twice (their commit was not acknowledged)`);

  // The new coordinator answers the committed offsets: 60 records in all.
  const admin = kafka.admin();
  await admin.connect();
  defer(() => admin.disconnect());
  await until('committed offsets summing to 60 at the new coordinator', async () => {
    const r = await admin.fetchOffsets({ groupId, topics: [topic] }).catch(() => undefined);
    const sum = r?.[0]?.partitions.reduce((s, p) => s + Number(p.offset), 0);
    return sum === 60 ? true : undefined;
  });
}

