/**
 * Controlled shutdown and preferred leaders on three in-process brokers and a real etcd:
 * - stopping the leader moves leadership to another ISR member before the broker exits (every
 *   survivor's metadata shows the new leader when stop() returns), while a kafkajs idempotent
 *   acks=all producer keeps producing: no error reaches the application, no acknowledged record
 *   is lost; the retriable NOT_LEADER_OR_FOLLOWER answers it saw are counted;
 * - the restarted broker rejoins as follower, catches up, rejoins the ISR, and
 *   auto.leader.rebalance gives it back the leadership of the partitions it is preferred for.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import kafkajs from 'kafkajs';
import { useEtcd } from '../helpers/etcd.js';
import { startCluster, type TestCluster } from '../helpers/cluster.js';
import { WireClient } from '../helpers/wire.js';
import { createTopic, partitionOn, until } from '../helpers/cluster-partitions.js';

const { Kafka, logLevel } = kafkajs;
const fx = useEtcd({ before, after });

test('stopping the leader moves its leadership before it exits; kafkajs acks=all loses nothing; auto rebalance gives leadership back after its restart', async (t) => {
  const cluster = await startCluster({
    endpoints: fx.etcd.endpoints,
    prefix: fx.prefix(),
    size: 3,
    config: { 'leader.imbalance.check.interval.seconds': 1, 'min.insync.replicas': 2 },
  });
  t.after(() => cluster.stop());
  try {
    await createTopic(cluster.broker(1).port, 'cs', [1, 2, 3]);
    await until('a full ISR of cs-0 led by broker 1 everywhere', () => [1, 2, 3].every((n) => partitionOn(cluster, n, 'cs')?.isr.length === 3 && partitionOn(cluster, n, 'cs')?.leader === 1));
    const epochBefore = partitionOn(cluster, 2, 'cs')?.leaderEpoch ?? -1;

    // kafkajs idempotent producer, acks=all, one record per send, retrying as clients do.
    let notLeader = 0;
    const logCreator = () => (entry: { log: { message?: string; error?: string } }): void => {
      const text = `${entry.log.message ?? ''} ${entry.log.error ?? ''}`;
      if (/not the leader/i.test(text)) notLeader++;
    };
    const kafka = new Kafka({ clientId: 'cs-producer', brokers: cluster.bootstrap().split(','), logLevel: logLevel.ERROR, logCreator, retry: { initialRetryTime: 50, retries: 20 } });
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    t.after(() => producer.disconnect());
    const acked = new Map<number, string>();
    const failures: unknown[] = [];
    let stop = false;
    let maxSendMs = 0;
    const producing = (async () => {
      for (let i = 0; !stop && i < 20_000; i++) {
        const value = `m${i}`;
        const started = performance.now();
        try {
          const [r] = await producer.send({ topic: 'cs', acks: -1, messages: [{ value, partition: 0 }] });
          acked.set(Number(r?.baseOffset), value);
        } catch (e) {
          failures.push(e);
        }
        maxSendMs = Math.max(maxSendMs, performance.now() - started);
      }
    })();
    await until('20 acknowledged records', () => acked.size >= 20);

    // Controlled shutdown of the leader: when stop() returns, the others already name a new leader.
    const stopStarted = performance.now();
    await cluster.stopBroker(1);
    const stopMs = performance.now() - stopStarted;
    for (const n of [2, 3]) {
      const p = partitionOn(cluster, n, 'cs');
      assert.ok(p !== undefined && p.leader !== 1 && p.leader > 0, `broker ${n} names a new leader as soon as broker 1 stopped: ${JSON.stringify(p)}`);
      assert.ok(p.leaderEpoch > epochBefore);
      assert.ok(!p.isr.includes(1), `broker 1 left the ISR: ${JSON.stringify(p.isr)}`);
    }
    const ackedAtStop = acked.size;
    await until('20 more acknowledged records after the stop', () => acked.size >= ackedAtStop + 20);

    // Restart: broker 1 rejoins as follower, catches up, rejoins the ISR; the rebalance gives it back the leadership.
    await cluster.startBroker(1);
    const back = await until('broker 1 to lead cs-0 again (auto.leader.rebalance)', () => {
      const p = partitionOn(cluster, 2, 'cs');
      return p !== undefined && p.leader === 1 && p.isr.includes(1) ? p : undefined;
    });
    assert.ok(back.leaderEpoch > epochBefore + 1);
    stop = true;
    await producing;
    assert.deepEqual(failures, [], 'no error reached the producer');

    // Every acknowledged record is at its offset on the new leader, no duplicates.
    const reader = await WireClient.connect(cluster.broker(1).port);
    t.after(() => reader.close());
    const hw = BigInt(Math.max(...acked.keys()) + 1);
    const got = await until('broker 1 to serve every acknowledged record', async () => {
      const f = await reader.fetchAll('cs', 0).catch(() => undefined);
      return f !== undefined && f.highWatermark >= hw ? f : undefined;
    });
    const stored = new Map<number, string>();
    for (const b of got.batches) b.records.forEach((r, i) => stored.set(Number(b.baseOffset) + i, r.value?.toString() ?? ''));
    for (const [offset, value] of acked) assert.equal(stored.get(offset), value, `acknowledged record at ${offset}`);
    assert.equal(new Set(stored.values()).size, stored.size, 'no duplicates');
    console.log(`controlled shutdown: stop() took ${stopMs.toFixed(0)} ms; ${acked.size} records acknowledged; kafkajs saw ${notLeader} NOT_LEADER_OR_FOLLOWER log line(s); slowest send ${maxSendMs.toFixed(0)} ms`);
  } catch (e) {
    console.log(cluster.dumpLogs());
    throw e;
  }
});
