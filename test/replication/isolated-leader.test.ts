/**
 * The network-faults must-show: a partition leader cut off from etcd (hence from the controller)
 * and from the other brokers, but still reachable by producers (test/helpers/fault-net.ts). Three
 * broker processes, a topic with RF 3 and min.insync.replicas=2, and a producer sending acks=all
 * requests straight to the old leader for the whole test while a second one follows the leader the
 * rest of the cluster elects. Checked:
 * - the isolated leader acknowledges nothing once its followers stop fetching (it cannot shrink its
 *   ISR without etcd), and nothing at all after the other side elected a new leader: no two
 *   leaders acknowledge acks=all writes at the same time (no split brain);
 * - the other side elects a new leader with a higher leader epoch, which acknowledges writes;
 * - healed, the old leader learns it was replaced and answers NOT_LEADER_OR_FOLLOWER, drops the
 *   tail it appended while isolated, follows, and rejoins the ISR;
 * - every acknowledged record is in every replica's log at its offset, once.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { useEtcd } from '../helpers/etcd.js';
import { createReplicatedTopics, fullIsrLeader, startProcessCluster, until } from '../helpers/cluster-process.js';
import { FaultNet } from '../helpers/fault-net.js';
import { auditPartition, type Ack } from '../helpers/acked-records.js';
import { WireClient } from '../helpers/wire.js';
import { producerLoop, type Outcome } from '../helpers/wire-producer.js';

const fx = useEtcd({ before, after });
const TOPIC = 'isolated';
const NOT_LEADER_OR_FOLLOWER = 6;

test('a leader cut off from etcd and the other brokers stops acknowledging acks=all writes; no split brain, nothing acknowledged lost', { timeout: 5 * 60_000 }, async (t) => {
  const net = new FaultNet();
  const cluster = await startProcessCluster({ endpoints: fx.etcd.endpoints, prefix: fx.prefix(), size: 3, faults: net });
  t.after(async () => {
    await cluster.stop();
    await net.close();
  });
  await createReplicatedTopics(cluster.broker(1).port, [{ name: TOPIC }]);
  const first = await fullIsrLeader(cluster, TOPIC);
  const old = first.leader;
  const others = [1, 2, 3].filter((n) => n !== old);
  const outcomes: Outcome[] = [];
  // One producer stays on the old leader throughout; the other follows whatever the others say.
  let current = old;
  const stubborn = producerLoop((n) => cluster.broker(n).port, TOPIC, () => old, 'old-', outcomes);
  const follower = producerLoop((n) => cluster.broker(n).port, TOPIC, () => current, 'new-', outcomes);
  await until('acknowledgements from the leader', () => outcomes.filter((o) => o.code === 0).length >= 20);

  const cutAt = performance.now();
  net.isolate(`b${old}`, [...others.map((n) => `b${n}`), 'etcd']);
  const next = await until(
    'the other brokers to elect a new leader',
    async () => {
      const s = (await cluster.metadata([TOPIC], others[0])).partitions.get(`${TOPIC}-0`);
      return s !== undefined && s.leader >= 0 && s.leader !== old ? { ...s, at: performance.now() } : undefined;
    },
    60_000,
  );
  console.log(`# new leader ${next.leader} (epoch ${next.leaderEpoch} > ${first.leaderEpoch}, ISR ${next.isr.join(',')}) ${Math.round(next.at - cutAt)} ms after the cut`);
  assert.ok(next.leaderEpoch > first.leaderEpoch);
  current = next.leader;
  await until('the new leader to acknowledge writes', () => outcomes.some((o) => o.code === 0 && o.via === next.leader && o.at > next.at), 60_000);
  // The old leader keeps getting requests for a while: none is acknowledged.
  const heldFrom = performance.now();
  await until('the isolated leader to answer (or time out) several more writes', () => outcomes.filter((o) => o.via === old && o.at > heldFrom).length >= 2 || performance.now() - heldFrom > 25_000, 40_000);
  const lastOldAck = Math.max(...outcomes.filter((o) => o.code === 0 && o.via === old).map((o) => o.at));
  console.log(`# last acknowledgement by the isolated leader ${Math.round(lastOldAck - cutAt)} ms after the cut; its answers since: ${[...new Set(outcomes.filter((o) => o.via === old && o.at > cutAt && o.code !== 0).map((o) => o.code))].join(',')}`);
  assert.ok(lastOldAck < next.at, 'the isolated leader acknowledged a write after another leader was elected (split brain)');
  const firstNewAck = Math.min(...outcomes.filter((o) => o.code === 0 && o.via === next.leader).map((o) => o.at));
  assert.ok(lastOldAck < firstNewAck, 'two leaders acknowledged writes at overlapping times');

  net.heal();
  const healedAt = performance.now();
  await until('the old leader to answer NOT_LEADER_OR_FOLLOWER', () => outcomes.some((o) => o.via === old && o.at > healedAt && o.code === NOT_LEADER_OR_FOLLOWER), 60_000);
  await until('the old leader back in the ISR', async () => {
    const s = (await cluster.metadata([TOPIC], others[0])).partitions.get(`${TOPIC}-0`);
    return s !== undefined && s.isr.length === 3;
  }, 60_000);
  console.log(`# healed: the old leader answered NOT_LEADER_OR_FOLLOWER and rejoined the ISR ${Math.round(performance.now() - healedAt)} ms later`);
  await stubborn.stop();
  await follower.stop();

  const acks: Ack[] = outcomes.filter((o) => o.code === 0).map((o) => ({ p: 0, o: o.offset, v: o.v }));
  const leaderNow = (await cluster.metadata([TOPIC])).partitions.get(`${TOPIC}-0`)?.leader as number;
  const c = await WireClient.connect(cluster.broker(leaderNow).port);
  try {
    const { batches } = await c.fetchAll(TOPIC, 0);
    const audit = auditPartition(0, batches, acks);
    const byOld = acks.filter((a) => a.v.startsWith('old-')).length;
    console.log(`# ${acks.length} writes acknowledged (${byOld} by the old leader), ${audit.records} records in the log, lost ${audit.lost.length}, duplicated ${audit.duplicated.length}`);
    assert.deepEqual(audit.lost, [], 'acknowledged records lost');
    assert.deepEqual(audit.duplicated, [], 'records duplicated');
  } finally {
    c.close();
  }
});

test('a leader replaced before it appended anything follows its successor and rejoins the ISR', { timeout: 5 * 60_000 }, async (t) => {
  const net = new FaultNet();
  const cluster = await startProcessCluster({ endpoints: fx.etcd.endpoints, prefix: fx.prefix(), size: 3, faults: net });
  t.after(async () => {
    await cluster.stop();
    await net.close();
  });
  const topic = 'empty-epoch';
  await createReplicatedTopics(cluster.broker(1).port, [{ name: topic, configs: { 'min.insync.replicas': '1' } }]);
  const state = async (via?: number) => (await cluster.metadata([topic], via)).partitions.get(`${topic}-0`);
  const first = await fullIsrLeader(cluster, topic);
  // Some records at the first leader's epoch, replicated everywhere.
  const outcomes: Outcome[] = [];
  const loop = producerLoop((n) => cluster.broker(n).port, topic, () => first.leader, 'r', outcomes);
  await until('records acknowledged', () => outcomes.filter((o) => o.code === 0).length >= 20);
  await loop.stop();
  // The leader dies: another takes over at a new epoch (recording its start) and appends nothing.
  await cluster.kill(first.leader);
  const rest = [1, 2, 3].filter((n) => n !== first.leader);
  const second = await until('a second leader', async () => {
    const s = await state(rest[0]);
    return s !== undefined && s.leader >= 0 && s.leader !== first.leader && s.leaderEpoch > first.leaderEpoch ? s : undefined;
  });
  const third = rest.find((n) => n !== second.leader) as number;
  // Before anything is written at its epoch it is cut off; the remaining broker takes over.
  net.isolate(`b${second.leader}`, [...[1, 2, 3].filter((n) => n !== second.leader).map((n) => `b${n}`), 'etcd']);
  await until('the third broker to lead', async () => (await state(third))?.leader === third, 60_000);
  net.heal();
  const healed = performance.now();
  await until(`broker ${second.leader} back in the ISR`, async () => (await state(third))?.isr.includes(second.leader) === true, 60_000);
  console.log(`# the replaced leader rejoined the ISR ${Math.round(performance.now() - healed)} ms after the heal`);
});
