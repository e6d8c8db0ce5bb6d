/**
 * Deleting a share group (issue 18): DeleteGroups / `samsa groups --delete` refuses a group with
 * members (NON_EMPTY_GROUP), deletes an Empty one (its share-partitions' state at the share
 * coordinator, then its ShareGroup* records), and deleted data never comes back: not after a
 * broker `kill -9`, and a new share group with the same id starts from
 * `group.share.auto.offset.reset`, not from the old state. Also the share coordinator's
 * inter-broker APIs at the wire: InitializeShareGroupState (83), ReadShareGroupState (84),
 * WriteShareGroupState (85), DeleteShareGroupState (86), ReadShareGroupStateSummary (87).
 * The consumers are the project's own ShareConsumer (no independent client speaks share groups);
 * records are produced with kafkajs.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { Kafka, logLevel } from 'kafkajs';
import { removeDir, startBrokerProcess, type BrokerProcess } from '../helpers/broker-process.js';
import { assertOk, samsaCli } from '../helpers/samsa-cli.js';
import { ShareConsumer, type ShareRecord } from '../../src/client/share-consumer.js';
import { WireClient } from '../helpers/wire.js';
import { startBroker, type RunningBroker } from '../../src/index.js';
import type { ShareGroupDescribeResponse } from '../../src/protocol/generated/messages/share-group-describe.js';
import type { ReadShareGroupStateSummaryResponse } from '../../src/protocol/generated/messages/read-share-group-state-summary.js';
import type { ReadShareGroupStateResponse } from '../../src/protocol/generated/messages/read-share-group-state.js';
import type { InitializeShareGroupStateResponse } from '../../src/protocol/generated/messages/initialize-share-group-state.js';
import type { DeleteShareGroupStateResponse } from '../../src/protocol/generated/messages/delete-share-group-state.js';
import type { WriteShareGroupStateResponse } from '../../src/protocol/generated/messages/write-share-group-state.js';
import type { MetadataResponse } from '../../src/protocol/generated/messages/metadata.js';

const OVERRIDES = {
  'group.coordinator.rebalance.protocols': 'classic,consumer,share',
  'offsets.topic.num.partitions': 2,
  'share.coordinator.state.topic.num.partitions': 2,
  'group.share.auto.offset.reset': 'earliest',
  'group.share.heartbeat.interval.ms': 2_000,
  'group.share.record.lock.duration.ms': 600_000,
};
const COUNT = 10;
const brokers: BrokerProcess[] = [];
const dirs: string[] = [];
const inProcess: RunningBroker[] = [];

after(async () => {
  for (const b of brokers) await b.kill();
  for (const d of dirs) removeDir(d);
  for (const b of inProcess) await b.stop();
});

async function createAndProduce(bootstrap: string, topic: string, count: number): Promise<void> {
  const kafka = new Kafka({ clientId: 'share-delete', brokers: [bootstrap], logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: 1 }] });
  await admin.disconnect();
  if (count === 0) return;
  const producer = kafka.producer();
  await producer.connect();
  await producer.send({ topic, acks: -1, messages: Array.from({ length: count }, (_, i) => ({ value: `v${i}` })) });
  await producer.disconnect();
}

/** Polls (accepting everything) until `count` records came; returns them in delivery order. */
async function consumeAll(c: ShareConsumer, count: number): Promise<ShareRecord[]> {
  const out: ShareRecord[] = [];
  const deadline = Date.now() + 30_000;
  while (out.length < count) {
    assert.ok(Date.now() < deadline, `only ${out.length} of ${count} records`);
    const got = await c.poll();
    for (const r of got) c.ack(r);
    out.push(...got);
    if (got.length > 0) await c.commit();
  }
  return out;
}

/** Retries `ask` while the coordinator loads (COORDINATOR_LOAD_IN_PROGRESS / NOT_AVAILABLE / NOT_COORDINATOR). */
async function settled<T>(ask: () => Promise<T>, codeOf: (t: T) => number): Promise<T> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const r = await ask();
    const code = codeOf(r);
    if (code !== 14 && code !== 15 && code !== 16) return r;
    assert.ok(Date.now() < deadline, `still answering ${code}`);
    await new Promise((res) => setTimeout(res, 50));
  }
}

function describe(wire: WireClient, group: string): Promise<ShareGroupDescribeResponse['groups'][number]> {
  return settled(
    async () => {
      const d = (await wire.request<ShareGroupDescribeResponse>(77, 0, { groupIds: [group], includeAuthorizedOperations: false })).groups[0];
      assert.ok(d !== undefined);
      return d;
    },
    (d) => d.errorCode,
  );
}

async function topicId(wire: WireClient, topic: string): Promise<string> {
  const m = await wire.request<MetadataResponse>(3, 12, { topics: [{ topicId: null, name: topic }], allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false });
  const id = m.topics[0]?.topicId;
  assert.ok(id !== undefined);
  return id;
}

type Summary = ReadShareGroupStateSummaryResponse['results'][number]['partitions'][number];

function summary(wire: WireClient, group: string, id: string, leaderEpoch = -1): Promise<Summary> {
  return settled(
    async () => {
      const p = (await wire.request<ReadShareGroupStateSummaryResponse>(87, 0, { groupId: group, topics: [{ topicId: id, partitions: [{ partition: 0, leaderEpoch }] }] })).results[0]?.partitions[0];
      assert.ok(p !== undefined);
      return p;
    },
    (p) => p.errorCode,
  );
}

test('DeleteGroups of a share group: NON_EMPTY_GROUP with members; once Empty it is deleted with its state, stays deleted across a kill -9, and a new group of that id starts from the auto offset reset', { timeout: 180_000 }, async () => {
  let broker = await startBrokerProcess({ overrides: OVERRIDES });
  brokers.push(broker);
  dirs.push(broker.dataDir);
  const dataDir = broker.dataDir;
  const topic = 'share-del';
  const group = 'share-del-g';
  await createAndProduce(broker.bootstrap, topic, COUNT);
  let wire = await WireClient.connect(broker.port);
  const id = await topicId(wire, topic);

  const a = await ShareConsumer.connect({ broker: broker.bootstrap, groupId: group, topics: [topic] });
  const first = await consumeAll(a, COUNT);
  assert.deepEqual(first.map((r) => Number(r.offset)).sort((x, y) => x - y), Array.from({ length: COUNT }, (_, i) => i));
  assert.deepEqual(await summary(wire, group, id), { partition: 0, errorCode: 0, errorMessage: null, stateEpoch: 0, startOffset: BigInt(COUNT) }, 'every record accepted: the state starts after them');

  let r = await samsaCli(['groups', '--delete', '--group', group, '--bootstrap-server', broker.bootstrap]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /Group 'share-del-g' could not be deleted: it still has active members \(NON_EMPTY_GROUP\)/);
  assert.equal((await describe(wire, group)).members.length, 1, 'a refused delete changes nothing');

  await a.close();
  assert.equal((await describe(wire, group)).groupState, 'Empty');
  r = await samsaCli(['groups', '--delete', '--group', group, '--bootstrap-server', broker.bootstrap]);
  assertOk(r, 'delete');
  assert.match(r.stdout, /Deletion of requested consumer groups \('share-del-g'\) was successful/);
  assert.equal((await describe(wire, group)).errorCode, 69, 'GROUP_ID_NOT_FOUND');
  assert.equal((await summary(wire, group, id)).startOffset, -1n, 'the share-partition state is deleted');
  r = await samsaCli(['groups', '--list', '--json', '--bootstrap-server', broker.bootstrap]);
  assertOk(r, 'list');
  assert.equal((JSON.parse(r.stdout) as { group: string }[]).some((g) => g.group === group), false);

  // Deleted data never comes back: not after a kill -9 (both topics are replayed on load).
  wire.close();
  await broker.kill();
  broker = await startBrokerProcess({ overrides: OVERRIDES, dataDir });
  brokers.push(broker);
  wire = await WireClient.connect(broker.port);
  try {
    assert.equal((await describe(wire, group)).errorCode, 69, 'still GROUP_ID_NOT_FOUND after the restart');
    assert.equal((await summary(wire, group, id)).startOffset, -1n, 'still no share-partition state after the restart');
    const b = await ShareConsumer.connect({ broker: broker.bootstrap, groupId: group, topics: [topic] });
    try {
      const again = await consumeAll(b, COUNT);
      assert.deepEqual(again.map((x) => Number(x.offset)).sort((x, y) => x - y), Array.from({ length: COUNT }, (_, i) => i), 'a new group of the same id starts at the earliest offset');
      assert.ok(again.every((x) => x.deliveryCount === 1), 'first deliveries, not the old state');
      const d = await describe(wire, group);
      assert.equal(d.groupEpoch, 1, 'a new group: epoch 1');
    } finally {
      await b.close();
    }
  } finally {
    wire.close();
  }
  await broker.kill();
});

test('the share coordinator at the wire: InitializeShareGroupState, ReadShareGroupState(Summary), WriteShareGroupState, DeleteShareGroupState', { timeout: 60_000 }, async () => {
  const broker = await startBroker({ port: 0, config: { ...OVERRIDES } });
  inProcess.push(broker);
  await createAndProduce(broker.bootstrap, 'share-wire', 0);
  const wire = await WireClient.connect(broker.port);
  try {
    const id = await topicId(wire, 'share-wire');
    const group = 'share-wire-g';
    const part = (p: Record<string, unknown>): Record<string, unknown>[] => [{ partition: 0, ...p }];
    const init = (stateEpoch: number, startOffset: bigint): Promise<InitializeShareGroupStateResponse> => wire.request<InitializeShareGroupStateResponse>(83, 0, { groupId: group, topics: [{ topicId: id, partitions: part({ stateEpoch, startOffset }) }] });
    const write = (leaderEpoch: number): Promise<WriteShareGroupStateResponse> =>
      wire.request<WriteShareGroupStateResponse>(85, 0, { groupId: group, topics: [{ topicId: id, partitions: part({ stateEpoch: 0, leaderEpoch, startOffset: 7n, stateBatches: [{ firstOffset: 7n, lastOffset: 9n, deliveryState: 0, deliveryCount: 2 }] }) }] });
    const read = async (leaderEpoch: number): Promise<ReadShareGroupStateResponse['results'][number]['partitions'][number]> => {
      const p = (await wire.request<ReadShareGroupStateResponse>(84, 0, { groupId: group, topics: [{ topicId: id, partitions: part({ leaderEpoch }) }] })).results[0]?.partitions[0];
      assert.ok(p !== undefined);
      return p;
    };
    const codeOfFirst = (res: { results: { partitions: { errorCode: number }[] }[] }): number | undefined => res.results[0]?.partitions[0]?.errorCode;

    assert.equal(codeOfFirst(await write(1)), 124, 'FENCED_STATE_EPOCH: a write needs an initialised share-partition');
    assert.deepEqual(await summary(wire, group, id), { partition: 0, errorCode: 0, errorMessage: null, stateEpoch: -1, startOffset: -1n });
    assert.equal(codeOfFirst(await settled(() => init(3, 5n), (res) => codeOfFirst(res) ?? -1)), 0);
    assert.deepEqual(await summary(wire, group, id), { partition: 0, errorCode: 0, errorMessage: null, stateEpoch: 3, startOffset: 5n });
    assert.equal(codeOfFirst(await init(2, 0n)), 124, 'FENCED_STATE_EPOCH: an older state epoch');
    assert.equal(codeOfFirst(await init(3, 0n)), 124, 'FENCED_STATE_EPOCH: the same state epoch (initialised already)');
    assert.equal(codeOfFirst(await write(1)), 0);
    const r = await read(1);
    assert.equal(r.errorCode, 0);
    assert.equal(r.stateEpoch, 3);
    assert.equal(r.startOffset, 7n);
    assert.deepEqual(r.stateBatches, [{ firstOffset: 7n, lastOffset: 9n, deliveryState: 0, deliveryCount: 2 }]);
    assert.equal((await summary(wire, group, id, 0)).errorCode, 74, 'FENCED_LEADER_EPOCH: an older leader epoch');
    assert.deepEqual(await summary(wire, group, id, 1), { partition: 0, errorCode: 0, errorMessage: null, stateEpoch: 3, startOffset: 7n }, 'the summary has no batches');

    const del = await wire.request<DeleteShareGroupStateResponse>(86, 0, { groupId: group, topics: [{ topicId: id, partitions: part({}) }] });
    assert.equal(codeOfFirst(del), 0);
    assert.equal((await read(1)).startOffset, -1n, 'deleted');
    assert.equal(codeOfFirst(await write(1)), 124, 'a deleted share-partition is not written again');
    assert.equal(codeOfFirst(await wire.request<DeleteShareGroupStateResponse>(86, 0, { groupId: group, topics: [{ topicId: id, partitions: part({}) }] })), 0, 'deleting nothing succeeds');
  } finally {
    wire.close();
  }
});
