/**
 * A three-member etcd works as well as one (etcd.endpoints lists all three): three brokers on it,
 * an acks=all producer running, and each etcd member in turn killed and started again. With any
 * one member down (a quorum of two remains) topics are created, produce continues, no broker loses
 * its registration and no partition changes leader; with a member down a broker failover (the
 * partition leader stops) still elects a new leader that acknowledges writes. Every acknowledged
 * record is in the log once.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { useEtcd } from '../helpers/etcd.js';
import { startCluster } from '../helpers/cluster.js';
import { until } from '../helpers/cluster-process.js';
import { auditPartition } from '../helpers/acked-records.js';
import { producerLoop, type Outcome } from '../helpers/wire-producer.js';
import { API, WireClient } from '../helpers/wire.js';

const fx = useEtcd({ before, after }, { members: 3 });
const TOPIC = 'three-members';

async function createTopic(port: number, name: string): Promise<{ errorCode: number; errorMessage: string | null }> {
  const c = await WireClient.connect(port);
  try {
    const res = await c.request(API.CreateTopics, 7, {
      topics: [{ name, numPartitions: 1, replicationFactor: 3, assignments: [], configs: [{ name: 'min.insync.replicas', value: '2' }] }],
      timeoutMs: 30_000,
      validateOnly: false,
    });
    return res.topics[0];
  } finally {
    c.close();
  }
}

async function healthy(endpoint: string): Promise<boolean> {
  try {
    const res = await fetch(`${endpoint}/health`, { signal: AbortSignal.timeout(1000) });
    return res.ok && ((await res.json()) as { health?: unknown }).health === 'true';
  } catch {
    return false;
  }
}

test('brokers on a three-member etcd keep working while any one member is down', { timeout: 5 * 60_000 }, async (t) => {
  assert.equal(fx.etcd.endpoints.split(',').length, 3);
  const cluster = await startCluster({ endpoints: fx.etcd.endpoints, prefix: fx.prefix(), size: 3 });
  t.after(() => cluster.stop());
  t.after(async () => {
    for (const m of fx.etcd.members) await m.start();
  });
  const image = (n: number) => cluster.broker(n).broker.metadata.image();
  const running = (): number[] => cluster.brokers.filter((b) => b.running !== null).map((b) => b.nodeId);
  const created = await createTopic(cluster.broker(1).port, TOPIC);
  assert.equal(created.errorCode, 0, created.errorMessage ?? '');
  await until('a full ISR seen by every broker', () => running().every((n) => image(n).topic(TOPIC)?.partitions[0]?.isr.length === 3), 30_000);
  const state = (): string => JSON.stringify(running().map((n) => image(n).topic(TOPIC)?.partitions.map((p) => [p.leader, p.leaderEpoch, [...p.isr].sort()])));
  const leaderOf = (): number => image(running()[0] as number).topic(TOPIC)?.partitions[0]?.leader ?? -1;
  const outcomes: Outcome[] = [];
  let target = leaderOf();
  const producer = producerLoop((n) => cluster.broker(n).port, TOPIC, () => target, 'v', outcomes);
  t.after(() => producer.stop());
  await until('acknowledged writes', () => outcomes.filter((o) => o.code === 0).length >= 10);
  const before_ = state();

  for (const [i, member] of fx.etcd.members.entries()) {
    await member.kill();
    const down = performance.now();
    const acked = outcomes.filter((o) => o.code === 0).length;
    const c = await until(`a topic created with etcd member ${member.name} down`, async () => {
      const r = await createTopic(cluster.broker(1).port, `with-${i}-down`);
      return r.errorCode === 0 || r.errorCode === 36 ? r : undefined;
    }, 30_000);
    const createdMs = Math.round(performance.now() - down);
    await until(`every broker to see topic with-${i}-down`, () => running().every((n) => image(n).topic(`with-${i}-down`) !== undefined), 30_000);
    // Longer than a broker lease (broker.session.timeout.ms 2 s) with the member down.
    await until('writes acknowledged 4 s after the member went down', () => outcomes.some((o) => o.code === 0 && o.at > down + 4000) && outcomes.filter((o) => o.code === 0).length > acked, 30_000);
    console.log(`# etcd member ${member.name} down: topic created (code ${c.errorCode}) ${createdMs} ms in, produce continued`);
    assert.equal(state(), before_, `leadership changed while ${member.name} was down`);
    assert.deepEqual(image(1).brokers().map((b) => b.nodeId), [1, 2, 3], 'every broker registered');
    await member.start();
    await until(`etcd member ${member.name} healthy again`, () => healthy(member.endpoint), 30_000);
  }

  // A broker failover with one member down: the leader stops, another takes over.
  const first = fx.etcd.members[0];
  assert.ok(first !== undefined);
  await first.kill();
  const old = leaderOf();
  const epoch = image(old).topic(TOPIC)?.partitions[0]?.leaderEpoch ?? -1;
  await cluster.stopBroker(old);
  const stopped = performance.now();
  const next = await until('a new leader', () => {
    const p = image(running()[0] as number).topic(TOPIC)?.partitions[0];
    return p !== undefined && p.leader >= 0 && p.leader !== old && p.leaderEpoch > epoch ? p.leader : undefined;
  }, 30_000);
  target = next;
  await until('the new leader to acknowledge writes', () => outcomes.some((o) => o.code === 0 && o.via === next && o.at > stopped), 30_000);
  console.log(`# with ${first.name} down, leader ${old} stopped: broker ${next} leads and acknowledges ${Math.round(performance.now() - stopped)} ms later`);
  await producer.stop();

  const acks = outcomes.filter((o) => o.code === 0).map((o) => ({ p: 0, o: o.offset, v: o.v }));
  const c = await WireClient.connect(cluster.broker(next).port);
  try {
    const { batches } = await c.fetchAll(TOPIC, 0);
    const audit = auditPartition(0, batches, acks);
    console.log(`# ${acks.length} writes acknowledged, lost ${audit.lost.length}, duplicated ${audit.duplicated.length}`);
    assert.deepEqual(audit.lost, []);
    assert.deepEqual(audit.duplicated, []);
  } finally {
    c.close();
  }
});
