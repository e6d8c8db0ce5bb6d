/**
 * KIP-932 share groups end to end over TCP (issue 18, must-show 3). No independent client speaks
 * share groups (kafkajs, @platformatic/kafka and librdkafka 2.12 do not), so the consumers are the
 * project's own ShareConsumer (src/client/share-consumer.ts) and wire-level requests following
 * KIP-932's documented sequences; records are produced with kafkajs.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Kafka, logLevel } from 'kafkajs';
import { startBroker, type RunningBroker } from '../../src/index.js';
import { AcknowledgeType, ShareConsumer, type ShareRecord } from '../../src/client/share-consumer.js';
import { WireClient } from '../helpers/wire.js';
import type { ShareFetchResponse } from '../../src/protocol/generated/messages/share-fetch.js';
import type { ShareGroupHeartbeatResponse } from '../../src/protocol/generated/messages/share-group-heartbeat.js';
import type { ShareGroupDescribeResponse } from '../../src/protocol/generated/messages/share-group-describe.js';
import type { ShareAcknowledgeResponse } from '../../src/protocol/generated/messages/share-acknowledge.js';
import type { ListGroupsResponse } from '../../src/protocol/generated/messages/list-groups.js';
import { CLI } from '../helpers/broker-process.js';
import { runProcess } from '../helpers/run-process.js';
import { waitUntil } from './group-harness.js';

const LOCK_MS = 1500;
let broker: RunningBroker;

before(async () => {
  broker = await startBroker({
    port: 0,
    config: {
      'group.coordinator.rebalance.protocols': 'classic,consumer,share',
      'offsets.topic.num.partitions': 1,
      'share.coordinator.state.topic.num.partitions': 1,
      'group.share.record.lock.duration.ms': LOCK_MS,
      'group.share.auto.offset.reset': 'earliest',
    },
  });
});

after(async () => {
  await broker.stop();
});

async function createAndProduce(topic: string, count: number): Promise<void> {
  const kafka = new Kafka({ clientId: 'share-test', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: 1 }] });
  await admin.disconnect();
  const p = kafka.producer();
  await p.connect();
  for (let i = 0; i < count; i += 1000) {
    await p.send({ topic, acks: -1, messages: Array.from({ length: Math.min(1000, count - i) }, (_, k) => ({ value: `v${i + k}` })) });
  }
  await p.disconnect();
}

function sharePartition(group: string, topic: string): ReturnType<RunningBroker['broker']['shares']['sharePartitions']['peek']> {
  const id = broker.broker.metadata.image().topic(topic)?.topicId as string;
  return broker.broker.shares.sharePartitions.peek(group, id, 0);
}

test('4 share consumers on a 1-partition topic: every record accepted exactly once; released ones redelivered; a dead consumer’s records redelivered after the lock timeout; rejected and over-limit ones archived', { timeout: 150_000 }, async () => {
  const topic = 'share-10k';
  const group = 'share-g1';
  const N = 10_000;
  await createAndProduce(topic, N);
  const consumers = await Promise.all([0, 1, 2, 3].map((i) => ShareConsumer.connect({ broker: broker.bootstrap, groupId: group, topics: [topic], clientId: `share-${i}` })));
  const accepted = new Map<bigint, number>(); // offset -> consumer
  const rejected = new Set<bigint>();
  const deliveries: { c: number; offset: bigint; deliveryCount: number; at: number }[] = [];
  const releasedOnce = new Set<bigint>();
  let killedHeld: bigint[] = [];
  let killedAt = 0;
  let stop = false;
  // Consumer 3 takes one batch and dies holding it (no acknowledgement, no leave).
  // The lock starts when the broker acquires the records, after this moment.
  const fetchSentAt = performance.now();
  const first = await consumers[3]!.poll();
  killedHeld = first.map((r) => r.offset);
  killedAt = performance.now();
  for (const r of first) deliveries.push({ c: 3, offset: r.offset, deliveryCount: r.deliveryCount, at: killedAt });
  consumers[3]!.kill();
  assert.ok(killedHeld.length > 0, 'the consumer that dies held records');
  const loop = async (i: number): Promise<void> => {
    const c = consumers[i] as ShareConsumer;
    while (!stop) {
      const records = await c.poll();
      for (const r of records) {
        deliveries.push({ c: i, offset: r.offset, deliveryCount: r.deliveryCount, at: performance.now() });
        if (r.offset % 100n === 5n && !releasedOnce.has(r.offset)) {
          // Consumer-independent: the first delivery of every 100th record is released.
          releasedOnce.add(r.offset);
          c.ack(r, AcknowledgeType.Release);
        } else if (r.offset % 1000n === 7n) {
          rejected.add(r.offset);
          c.ack(r, AcknowledgeType.Reject);
        } else {
          assert.ok(!accepted.has(r.offset), `offset ${r.offset} accepted twice`);
          accepted.set(r.offset, i);
          c.ack(r, AcknowledgeType.Accept);
        }
      }
      if (records.length > 0) await c.commit();
    }
  };
  const consumeStarted = performance.now();
  const loops = [0, 1, 2].map((i) => loop(i));
  try {
    await waitUntil(() => accepted.size + rejected.size >= N, 120_000, () => `all ${N} records settled: ${accepted.size} accepted, ${rejected.size} rejected`);
  } finally {
    stop = true;
    await Promise.all(loops);
  }
  const consumeMs = performance.now() - consumeStarted;
  await Promise.all([0, 1, 2].map((i) => consumers[i]!.close()));
  assert.equal(accepted.size + rejected.size, N);
  for (let o = 0n; o < BigInt(N); o++) assert.ok(accepted.has(o) !== rejected.has(o), `offset ${o} settled exactly once`);
  // Released records came back (delivery count 2), and nothing else was delivered twice except the dead consumer's.
  for (const o of releasedOnce) assert.ok(deliveries.some((d) => d.offset === o && d.deliveryCount === 2), `released offset ${o} redelivered`);
  const held = new Set(killedHeld);
  for (const o of killedHeld) {
    const d = deliveries.find((x) => x.offset === o && x.c !== 3);
    assert.ok(d !== undefined && d.deliveryCount >= 2, `the dead consumer's offset ${o} redelivered with a higher delivery count`);
  }
  const redeliveredHeldAt = Math.min(...deliveries.filter((d) => d.c !== 3 && held.has(d.offset)).map((d) => d.at));
  const waited = redeliveredHeldAt - fetchSentAt;
  assert.ok(waited >= LOCK_MS, `the dead consumer's records came back only after the lock (${waited.toFixed(0)} ms after its fetch)`);
  for (const d of deliveries) {
    if (!held.has(d.offset) && !releasedOnce.has(d.offset)) assert.equal(d.deliveryCount, 1, `offset ${d.offset} delivered once`);
  }
  for (const o of rejected) assert.equal(deliveries.filter((d) => d.offset === o).length, held.has(o) ? 2 : 1, `rejected offset ${o} not redelivered`);
  const total = deliveries.length;
  const per = [0, 1, 2].map((i) => [...accepted.values()].filter((c) => c === i).length);
  console.log(`share-10k: settled in ${consumeMs.toFixed(0)} ms (lock wait included); accepted per consumer ${per.join('/')}, rejected ${rejected.size}, released ${releasedOnce.size}, ${total} deliveries in all, dead consumer held ${killedHeld.length} records, redelivered ${waited.toFixed(0)} ms after its fetch, ${(redeliveredHeldAt - killedAt).toFixed(0)} ms after its death (lock ${LOCK_MS} ms)`);
  assert.ok(per.filter((n) => n > 0).length >= 2, `records were shared among the consumers: ${per.join('/')}`);
  const sp = sharePartition(group, topic);
  assert.equal(sp?.startOffset, N, 'the share-partition start offset moved past every record');
  // ListGroups type share, ShareGroupDescribe.
  const wire = await WireClient.connect(broker.port);
  try {
    const lg = await wire.request<ListGroupsResponse>(16, 5, { statesFilter: [], typesFilter: ['share'] });
    assert.deepEqual(lg.groups.map((g) => [g.groupId, g.groupType]), [[group, 'share']]);
  } finally {
    wire.close();
  }
});

test('over-limit records are archived: released at the delivery-count limit, never delivered again', { timeout: 60_000 }, async () => {
  const topic = 'share-limit';
  const group = 'share-g2';
  await createAndProduce(topic, 10);
  const c = await ShareConsumer.connect({ broker: broker.bootstrap, groupId: group, topics: [topic] });
  try {
    const counts = new Map<bigint, number>();
    // group.share.delivery.count.limit is 5: each delivery is released.
    for (let round = 0; round < 8; round++) {
      const got: ShareRecord[] = await c.poll();
      for (const r of got) {
        counts.set(r.offset, Math.max(counts.get(r.offset) ?? 0, r.deliveryCount));
        c.ack(r, AcknowledgeType.Release);
      }
      await c.commit();
      if (got.length === 0 && round > 5) break;
    }
    assert.deepEqual([...counts.values()], Array(10).fill(5), 'each record was delivered exactly 5 times');
    assert.deepEqual(await c.poll(), [], 'archived records are not delivered again');
    assert.equal(sharePartition(group, topic)?.startOffset, 10);
  } finally {
    await c.close();
  }
});

test('acknowledging a record the member does not hold is INVALID_RECORD_STATE; share session epochs are checked', { timeout: 30_000 }, async () => {
  const topic = 'share-wire';
  await createAndProduce(topic, 5);
  const id = broker.broker.metadata.image().topic(topic)?.topicId as string;
  const wire = await WireClient.connect(broker.port);
  try {
    const hb = await wire.request<ShareGroupHeartbeatResponse>(76, 0, { groupId: 'share-g3', memberId: 'm-1', memberEpoch: 0, rackId: null, subscribedTopicNames: [topic] });
    assert.equal(hb.errorCode, 0);
    assert.deepEqual(hb.assignment?.topicPartitions, [{ topicId: id, partitions: [0] }]);
    const fetch = (epoch: number, acks: { firstOffset: bigint; lastOffset: bigint; acknowledgeTypes: number[] }[] = []): Promise<ShareFetchResponse> =>
      wire.request<ShareFetchResponse>(78, 0, { groupId: 'share-g3', memberId: 'm-1', shareSessionEpoch: epoch, maxWaitMs: 100, minBytes: 1, maxBytes: 1 << 20, topics: [{ topicId: id, partitions: [{ partitionIndex: 0, partitionMaxBytes: 1 << 20, acknowledgementBatches: acks }] }], forgottenTopicsData: [] });
    assert.equal((await fetch(3)).errorCode, 122, 'SHARE_SESSION_NOT_FOUND without a session');
    const f0 = await fetch(0);
    assert.equal(f0.errorCode, 0);
    assert.deepEqual(f0.responses[0]?.partitions[0]?.acquiredRecords, [{ firstOffset: 0n, lastOffset: 4n, deliveryCount: 1 }]);
    assert.equal((await fetch(5)).errorCode, 123, 'INVALID_SHARE_SESSION_EPOCH');
    const bad = await wire.request<ShareAcknowledgeResponse>(79, 0, { groupId: 'share-g3', memberId: 'm-2', shareSessionEpoch: 0, topics: [] });
    assert.equal(bad.errorCode, 123, 'ShareAcknowledge cannot open a session');
    const f1 = await fetch(1, [{ firstOffset: 0n, lastOffset: 5n, acknowledgeTypes: [1] }]);
    assert.equal(f1.responses[0]?.partitions[0]?.acknowledgeErrorCode, 121, 'offset 5 was never acquired: INVALID_RECORD_STATE');
    const ack = await wire.request<ShareAcknowledgeResponse>(79, 0, { groupId: 'share-g3', memberId: 'm-1', shareSessionEpoch: 2, topics: [{ topicId: id, partitions: [{ partitionIndex: 0, acknowledgementBatches: [{ firstOffset: 0n, lastOffset: 4n, acknowledgeTypes: [1, 1, 3, 1, 2] }] }] }] });
    assert.equal(ack.responses[0]?.partitions[0]?.errorCode, 0);
    assert.deepEqual(sharePartition('share-g3', topic)?.counts(), { available: 1, acquired: 0, acknowledged: 0, archived: 0 });
    const d = await wire.request<ShareGroupDescribeResponse>(77, 0, { groupIds: ['share-g3', 'nope'], includeAuthorizedOperations: false });
    assert.equal(d.groups[0]?.groupState, 'Stable');
    assert.equal(d.groups[0]?.members[0]?.memberId, 'm-1');
    assert.equal(d.groups[1]?.errorCode, 69);
    const leave = await wire.request<ShareGroupHeartbeatResponse>(76, 0, { groupId: 'share-g3', memberId: 'm-1', memberEpoch: -1, rackId: null, subscribedTopicNames: null });
    assert.equal(leave.memberEpoch, -1);
    const versions = await wire.apiVersions();
    for (const key of [76, 77, 78, 79]) assert.ok(versions.apiKeys.some((k: { apiKey: number }) => k.apiKey === key), `ApiVersions lists ${key}`);
  } finally {
    wire.close();
  }
});

test('samsa consume --share-group: records printed by one run are accepted, the rest of its batch released to the next', { timeout: 90_000 }, async () => {
  const topic = 'share-cli';
  await createAndProduce(topic, 20);
  const run = async (n: number): Promise<string[]> => {
    const r = await runProcess(process.execPath, [CLI, 'consume', '--bootstrap-server', broker.bootstrap, '--topic', topic, '--share-group', 'share-cli-g', '--max-messages', String(n), '--timeout-ms', '5000'], { timeoutMs: 60_000 });
    assert.equal(r.code, 0, r.stderr.toString());
    return r.stdout.toString().split('\n').filter((l) => l !== '');
  };
  const first = await run(5);
  assert.equal(first.length, 5);
  const second = await run(15);
  assert.equal(second.length, 15);
  assert.deepEqual([...first, ...second].sort(), Array.from({ length: 20 }, (_, i) => `v${i}`).sort(), 'every record printed once across both runs');
  const wire = await WireClient.connect(broker.port);
  try {
    const lg = await wire.request<ListGroupsResponse>(16, 5, { statesFilter: [], typesFilter: [] });
    assert.ok(lg.groups.some((g) => g.groupId === 'share-cli-g' && g.groupType === 'share' && g.groupState === 'Empty'));
  } finally {
    wire.close();
  }
});

test('deleting a topic removes its share-partitions and tombstones their persisted state', { timeout: 60_000 }, async () => {
  const topic = 'share-deleted';
  await createAndProduce(topic, 3);
  const id = broker.broker.metadata.image().topic(topic)?.topicId as string;
  const c = await ShareConsumer.connect({ broker: broker.bootstrap, groupId: 'share-g5', topics: [topic] });
  try {
    while ((await c.poll()).length === 0);
    await c.commit();
  } finally {
    await c.close();
  }
  const key = { groupId: 'share-g5', topicId: id, partition: 0 };
  assert.equal(broker.broker.shares.store.read(key)?.startOffset, 3);
  const admin = new Kafka({ clientId: 'share-del', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    await admin.deleteTopics({ topics: [topic] });
  } finally {
    await admin.disconnect();
  }
  await waitUntil(() => broker.broker.shares.store.read(key) === undefined, 10_000, () => 'the share state of the deleted topic removed');
  assert.equal(broker.broker.shares.sharePartitions.peek('share-g5', id, 0), undefined);
});
