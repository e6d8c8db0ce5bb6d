/**
 * The cluster parts of the etcd store against a real etcd (test/helpers/etcd.ts):
 * - AlterPartition: compare-and-swap on the partition's own state key (Kafka's zkVersion check):
 *   a stale partition epoch is INVALID_UPDATE_VERSION, an older leader epoch FENCED_LEADER_EPOCH,
 *   of two leaders racing with the same epoch exactly one wins, and ISR changes do not conflict
 *   with topic commits.
 * - Broker registration bound to a lease: a second live broker with the same node.id is refused
 *   (DUPLICATE_BROKER_REGISTRATION); when the holder stops keep-alives the key expires with the
 *   lease and the watching stores drop the broker.
 * - Controller election: two candidates; the first loses its lease, the second wins with
 *   epoch + 1, and the first's fenced write is refused (NOT_CONTROLLER).
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { campaignForController, controllerEpoch, currentController } from '../../src/cluster/etcd/election.js';
import { EtcdMetadataStore } from '../../src/cluster/etcd/metadata-store.js';
import { registerBroker } from '../../src/cluster/etcd/registration.js';
import { EtcdSession } from '../../src/cluster/etcd/session.js';
import { ErrorCode } from '../../src/common/error-codes.js';
import { KafkaError } from '../../src/common/kafka-error.js';
import type { BrokerImage, MetadataImage, TopicImage } from '../../src/metadata/image.js';
import { holdLease, useEtcd, imageWhen } from '../helpers/etcd.js';

const fx = useEtcd({ before, after });

function session(prefix: string): EtcdSession {
  const s = new EtcdSession({ endpoints: fx.etcd.endpoints, prefix });
  fx.closeLater(() => s.close());
  return s;
}

async function open(prefix: string): Promise<EtcdMetadataStore> {
  const store = await EtcdMetadataStore.open(session(prefix), () => 'cluster', { waitTimeoutMs: 10_000 });
  fx.closeLater(() => store.close());
  return store;
}

function topic(name: string, id: string, partitions = 1): TopicImage {
  return {
    name,
    topicId: id,
    partitions: Array.from({ length: partitions }, (_, p) => ({ partition: p, leader: 1, leaderEpoch: 0, replicas: [1, 2, 3], isr: [1, 2, 3], partitionEpoch: 0 })),
    configs: {},
    internal: false,
  };
}

const until = (store: EtcdMetadataStore, cond: (i: MetadataImage) => boolean, what: string, ms = 15_000): Promise<MetadataImage> => imageWhen(store, cond, what, ms);

const isCode = (code: number) => (e: unknown) => e instanceof KafkaError && e.code === code;

const broker = (nodeId: number, port = 9092): BrokerImage => ({ nodeId, rack: 'r1', endpoints: [{ listenerName: 'PLAINTEXT', host: '127.0.0.1', port }] });

test('AlterPartition: CAS on the partition state key; stale partition epoch and older leader epoch are refused', async () => {
  const prefix = fx.prefix();
  const [a, b] = await Promise.all([open(prefix), open(prefix)]);
  await a.commit({ createdTopics: [topic('t', 'id-t', 2)] });
  await until(b, (i) => i.topic('t') !== undefined, 'b sees t');
  const seen: MetadataImage[] = [];
  b.watch((image, delta) => {
    if (delta.changedPartitions !== undefined) seen.push(image);
  });

  const shrunk = await a.alterPartition('id-t', 0, 0, { leader: 1, leaderEpoch: 0, isr: [1, 2] });
  assert.deepEqual(shrunk.topic('t')?.partitions[0]?.isr, [1, 2]);
  assert.equal(shrunk.topic('t')?.partitions[0]?.partitionEpoch, 1);
  assert.deepEqual(shrunk.topic('t')?.partitions[1]?.isr, [1, 2, 3], 'the other partition is untouched');

  // A leader still at partition epoch 0 (it missed the change) is refused.
  await assert.rejects(a.alterPartition('id-t', 0, 0, { leader: 1, leaderEpoch: 0, isr: [1] }), isCode(ErrorCode.INVALID_UPDATE_VERSION));
  await assert.rejects(a.alterPartition('id-t', 0, 1, { leader: 1, leaderEpoch: -1, isr: [1] }), isCode(ErrorCode.FENCED_LEADER_EPOCH));
  await assert.rejects(a.alterPartition('id-nope', 0, 0, { leader: 1, leaderEpoch: 0, isr: [1] }), isCode(ErrorCode.UNKNOWN_TOPIC_ID));
  await assert.rejects(a.alterPartition('id-t', 5, 0, { leader: 1, leaderEpoch: 0, isr: [1] }), isCode(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION));

  // Two writers with the same expected epoch (e.g. an old leader and the new one): exactly one wins;
  // the loser's compare on the key's mod revision fails, it sees the newer epoch, INVALID_UPDATE_VERSION.
  await until(b, (i) => i.topic('t')?.partitions[0]?.partitionEpoch === 1, 'b sees epoch 1');
  const race = await Promise.allSettled([
    a.alterPartition('id-t', 0, 1, { leader: 1, leaderEpoch: 0, isr: [1] }),
    b.alterPartition('id-t', 0, 1, { leader: 2, leaderEpoch: 1, isr: [2] }),
  ]);
  assert.equal(race.filter((r) => r.status === 'fulfilled').length, 1, JSON.stringify(race.map((r) => r.status)));
  const loser = race.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  assert.ok(isCode(ErrorCode.INVALID_UPDATE_VERSION)(loser?.reason), String(loser?.reason));

  // An ISR change and a topic commit at the same time do not conflict (different keys).
  const [afterIsr] = await Promise.all([
    b.alterPartition('id-t', 1, 0, { leader: 1, leaderEpoch: 0, isr: [1, 3] }),
    a.commit({ createdTopics: [topic('u', 'id-u')] }),
  ]);
  assert.equal(afterIsr.topic('t')?.partitions[1]?.partitionEpoch, 1);
  const final = await until(b, (i) => i.topic('u') !== undefined && i.topic('t')?.partitions[1]?.partitionEpoch === 1, 'b sees both');
  assert.equal(final.topic('t')?.partitions[0]?.partitionEpoch, 2);
  assert.equal(seen.length, 3, 'the watcher heard each ISR change once');
});

test('a commit changing a partition bumps its partition epoch; a leader holding the old epoch is then refused', async () => {
  const a = await open(fx.prefix());
  await a.commit({ createdTopics: [topic('t', 'id-t')] });
  const elected = await a.commit({ changedPartitions: [{ topicId: 'id-t', partitions: [{ partition: 0, leader: 2, leaderEpoch: 1, replicas: [1, 2, 3], isr: [2, 3] }] }] });
  const p = elected.topic('t')?.partitions[0];
  assert.deepEqual([p?.leader, p?.leaderEpoch, p?.partitionEpoch, p?.isr], [2, 1, 1, [2, 3]]);
  await assert.rejects(a.alterPartition('id-t', 0, 0, { leader: 1, leaderEpoch: 0, isr: [1] }), isCode(ErrorCode.INVALID_UPDATE_VERSION));
});

test('a second live broker with the same node.id is refused; the registration goes when its lease expires and the images follow', async () => {
  const prefix = fx.prefix();
  const watcher = await open(prefix);
  // The holder of node 1 is another process, so that it can stop keep-alives as a crash does.
  const holder = await holdLease(fx.etcd.endpoints, prefix, 'register', 1, 2000);
  fx.closeLater(() => holder.kill());
  const started = performance.now();
  await until(watcher, (i) => i.broker(1) !== undefined, 'broker 1 registered');
  assert.equal(watcher.image().broker(1)?.endpoints[0]?.port, 9092);

  await assert.rejects(registerBroker(session(prefix), broker(1, 9093), 2000), isCode(ErrorCode.DUPLICATE_BROKER_REGISTRATION));
  const other = await registerBroker(session(prefix), broker(2), 2000);
  await until(watcher, (i) => i.broker(2) !== undefined, 'broker 2 registered');

  // The holder dies without revoking (kill -9): etcd expires the lease after the TTL.
  let unregistered: readonly number[] | undefined;
  watcher.watch((_i, delta) => {
    if (delta.unregisteredBrokers !== undefined) unregistered = delta.unregisteredBrokers;
  });
  const stopped = performance.now();
  await holder.kill();
  const gone = await until(watcher, (i) => i.broker(1) === undefined, 'broker 1 expires', 20_000);
  const expiredAfterMs = Math.round(performance.now() - stopped);
  console.log(`# lease (TTL 2 s) expired ${expiredAfterMs} ms after keep-alives stopped (registered ${Math.round(stopped - started)} ms before)`);
  assert.deepEqual(unregistered, [1]);
  assert.ok(gone.broker(2) !== undefined, 'broker 2 is still alive');
  assert.ok(expiredAfterMs >= 1000, `not before the TTL (${expiredAfterMs} ms)`);

  // The node id is free again; a clean close (revoke) removes it at once.
  const again = await registerBroker(session(prefix), broker(1, 9094), 2000);
  await until(watcher, (i) => i.broker(1)?.endpoints[0]?.port === 9094, 'broker 1 again');
  await again.close();
  await other.close();
  await until(watcher, (i) => i.brokers().length === 0, 'both gone after revoke', 5000);
});

test('controller election: the first candidate loses its lease, the second wins with epoch + 1, the first one\'s fenced write is refused', async () => {
  const prefix = fx.prefix();
  const store1 = await open(prefix); // the first controller's store (its own client)
  // The first candidate campaigns from another process, so that it can lose its lease as a crash does.
  const c1 = await holdLease(fx.etcd.endpoints, prefix, 'campaign', 1, 2000);
  fx.closeLater(() => c1.kill());
  const l1 = { epoch: c1.ready['epoch'] ?? -1 };
  assert.equal(l1.epoch, 1);
  assert.equal(await currentController(session(prefix)), 1);

  const c2 = campaignForController(session(prefix), 2, 2000);
  let c2Won = false;
  const won2 = c2.elected().then((l) => {
    c2Won = true;
    return l;
  });
  const asController1 = store1.fenced(l1.epoch);
  await asController1.commit({ createdTopics: [topic('by-1', 'id-1')] });
  assert.equal(c2Won, false, 'the second candidate waits while the first holds its lease');

  // The first candidate's lease dies (its keep-alives stop); the second takes over with a new epoch.
  const stopped = performance.now();
  await c1.kill();
  const l2 = await won2;
  console.log(`# controller failover took ${Math.round(performance.now() - stopped)} ms (campaign TTL 2 s)`);
  assert.equal(l2.nodeId, 2);
  assert.equal(l2.epoch, l1.epoch + 1);
  assert.equal(await controllerEpoch(session(prefix)), 2);
  assert.equal(await currentController(session(prefix)), 2);

  // The deposed controller's writes are refused; the new controller's go through.
  await assert.rejects(asController1.commit({ createdTopics: [topic('by-1-late', 'id-late')] }), isCode(ErrorCode.NOT_CONTROLLER));
  await assert.rejects(asController1.alterPartition('id-1', 0, 0, { leader: 1, leaderEpoch: 0, isr: [1] }), isCode(ErrorCode.NOT_CONTROLLER));
  const store2 = await open(prefix);
  const img = await store2.fenced(l2.epoch).commit({ createdTopics: [topic('by-2', 'id-2')] });
  assert.deepEqual([...img.topics()].map((t) => t.name).sort(), ['by-1', 'by-2']);
  assert.equal(store1.image().topic('by-1-late'), undefined);
  await l2.resign();
});
