/**
 * kafkajs with its default retries through group coordinator failover: three broker processes on
 * a real etcd, a kafkajs consumer group (one member, committing after each record) on an RF 3
 * topic, and rounds of kill -9 of the group's coordinator (the leader of its __consumer_offsets
 * partition, found with FindCoordinator), a kafkajs producer adding records after each kill; the
 * victim restarts before the next round (KAFKAJS_FAILOVER_ROUNDS, default 1). The consumer carries
 * on with no retry tuning: it reads every record, nothing it had committed (acknowledged) is
 * delivered again, and it never crashes for good. kafkajs keeps sending commits to the node it
 * joined through (its offset manager caches the coordinator by node id) until its retries run out
 * ("Broker N not found in the cached metadata"), then the consumer restarts and finds the new
 * coordinator: a client behaviour, the same against Kafka, which makes each round take 15-40 s.
 * Printed: per round, kill to the first record consumed and to all consumed, and the crashes.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Kafka, logLevel } from 'kafkajs';
import { useEtcd } from '../helpers/etcd.js';
import { createReplicatedTopics, startProcessCluster, until, type ProcessCluster } from '../helpers/cluster-process.js';

const fx = useEtcd({ before, after });
const ROUNDS = Number(process.env['KAFKAJS_FAILOVER_ROUNDS'] ?? 1);
const TOPIC = 'kjs-failover';
const PARTITIONS = 3;
const GROUP = 'kjs-failover-group';
const PER_ROUND = 20;

async function fullIsr(cluster: ProcessCluster): Promise<void> {
  await until(
    'every partition led with a full ISR',
    async () => {
      const md = await cluster.metadata([TOPIC, '__consumer_offsets']);
      if (md.brokers.length !== cluster.brokers.length) return false;
      for (const [t, n] of [[TOPIC, PARTITIONS], ['__consumer_offsets', 3]] as const) {
        for (let p = 0; p < n; p++) {
          const s = md.partitions.get(`${t}-${p}`);
          if (s === undefined || s.leader < 0 || s.isr.length !== cluster.brokers.length) return false;
        }
      }
      return true;
    },
    60_000,
  );
}

test(`a kafkajs consumer group with default retries carries on through ${ROUNDS} kill -9 rounds of its coordinator`, { timeout: 10 * 60_000 }, async (t) => {
  const cluster = await startProcessCluster({ endpoints: fx.etcd.endpoints, prefix: fx.prefix(), size: 3, config: { 'offsets.topic.replication.factor': 3 } });
  const kafka = new Kafka({ clientId: 'kjs-failover', brokers: cluster.bootstrap().split(','), logLevel: process.env['KJS_DEBUG'] !== undefined ? logLevel.DEBUG : logLevel.NOTHING });
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  const consumer = kafka.consumer({ groupId: GROUP, sessionTimeout: 10_000, heartbeatInterval: 500 });
  t.after(async () => {
    await consumer.disconnect().catch(() => undefined);
    await producer.disconnect().catch(() => undefined);
    await cluster.stop();
  });
  try {
    await createReplicatedTopics(cluster.broker(1).port, [{ name: TOPIC, partitions: PARTITIONS }]);
    await producer.connect();
    let sent = 0;
    const send = async (n: number): Promise<void> => {
      for (let i = 0; i < n; i++, sent++) await producer.send({ topic: TOPIC, acks: -1, messages: [{ key: `k${sent}`, value: `v${sent}` }] });
    };
    await send(PER_ROUND);

    const delivered: { v: string; at: number }[] = [];
    const committed = new Set<string>();
    const afterCommit: string[] = [];
    const crashes: string[] = [];
    consumer.on(consumer.events.CRASH, (e) => void crashes.push(`${String(e.payload.error)} (restart: ${String(e.payload.restart)})`));
    await consumer.connect();
    await consumer.subscribe({ topic: TOPIC, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachMessage: async ({ partition, message }) => {
        const v = message.value?.toString() ?? '';
        if (committed.has(v)) afterCommit.push(v);
        delivered.push({ v, at: performance.now() });
        await consumer.commitOffsets([{ topic: TOPIC, partition, offset: String(BigInt(message.offset) + 1n) }]);
        committed.add(v);
      },
    });
    const seen = (): number => new Set(delivered.map((d) => d.v)).size;
    await until('the first records consumed and committed', () => committed.size >= PER_ROUND, 60_000);

    const resumeMs: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      await fullIsr(cluster);
      const coordinator = await until('a group coordinator', async () => {
        const c = await cluster.groupCoordinator(GROUP);
        return c >= 0 ? c : undefined;
      });
      const killedAt = performance.now();
      const before = delivered.length;
      await cluster.kill(coordinator);
      await send(PER_ROUND);
      await until(`round ${round}: all ${sent} records consumed after the coordinator (broker ${coordinator}) was killed`, () => seen() >= sent, 120_000).catch((e: unknown) => {
        throw new Error(`${String(e)}; consumed ${seen()}; consumer crashes: ${crashes.join(' | ')}`);
      });
      resumeMs.push(Math.round((delivered[before]?.at ?? NaN) - killedAt));
      console.log(`# round ${round}: all consumed ${Math.round(performance.now() - killedAt)} ms after the kill`);
      await cluster.restart(coordinator);
    }
    console.log(`# ${ROUNDS} rounds: kill of the group coordinator to the next record consumed (ms): ${resumeMs.join(' ')}; ${delivered.length - seen()} delivered twice (commit not acknowledged); crashes: ${crashes.length} ${crashes.join(" | ")}`);
    assert.deepEqual(afterCommit, [], 'records delivered again after their offset commit was acknowledged');
    assert.deepEqual(crashes.filter((c) => c.includes('restart: false')), [], 'the consumer crashed for good');
  } catch (e) {
    console.log(cluster.output());
    throw e;
  }
});
