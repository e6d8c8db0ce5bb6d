/**
 * The group size limits of KIP-848 online migration (Kafka's validateOnlineUpgrade /
 * validateOnlineDowngrade), on the wire against real in-process brokers:
 * - a classic group with more members than group.consumer.max.size is not upgraded: the
 *   consumer-protocol member joining it gets GROUP_ID_NOT_FOUND and the group stays classic;
 * - a consumer group whose last consumer-protocol member leaves stays a consumer group when its
 *   classic members outnumber group.max.size (it would otherwise become a classic group).
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { startBroker, type RunningBroker } from '../../src/index.js';
import { ErrorCode } from '../../src/common/error-codes.js';
import { encodeAssignment, encodeSubscription } from '../../src/protocol/consumer-protocol.js';
import { WireClient } from '../helpers/wire.js';

const TOPIC = 'lim';
const brokers: RunningBroker[] = [];
const clients: WireClient[] = [];

after(async () => {
  for (const c of clients) c.close();
  for (const b of brokers) await b.stop();
});

async function brokerWith(config: Record<string, number>): Promise<WireClient> {
  const b = await startBroker({ port: 0, config: { 'group.initial.rebalance.delay.ms': 0, 'offsets.topic.num.partitions': 1, 'group.consumer.heartbeat.interval.ms': 200, ...config } });
  brokers.push(b);
  const w = await WireClient.connect(b.port);
  clients.push(w);
  assert.equal(await w.createTopic(TOPIC, 4), ErrorCode.NONE);
  return w;
}

interface JoinAnswer {
  errorCode: number;
  generationId: number;
  leader: string;
  memberId: string;
}

function classicJoin(w: WireClient, group: string, memberId: string): Promise<JoinAnswer> {
  const metadata = encodeSubscription({ topics: [TOPIC], userData: null, ownedPartitions: [] }, 1);
  return w.request<JoinAnswer>(11, 5, { groupId: group, sessionTimeoutMs: 10000, rebalanceTimeoutMs: 10000, memberId, groupInstanceId: null, protocolType: 'consumer', protocols: [{ name: 'range', metadata }] });
}

function classicSync(w: WireClient, group: string, memberId: string, generationId: number, assignments: { memberId: string; assignment: Buffer }[] = []): Promise<{ errorCode: number }> {
  return w.request(14, 3, { groupId: group, generationId, memberId, groupInstanceId: null, assignments });
}

function cgh(w: WireClient, group: string, body: Record<string, unknown>): Promise<{ errorCode: number; errorMessage: string | null; memberEpoch: number }> {
  return w.request(68, 1, { groupId: group, memberEpoch: 0, instanceId: null, rackId: null, rebalanceTimeoutMs: -1, subscribedTopicNames: null, subscribedTopicRegex: null, serverAssignor: null, topicPartitions: null, ...body });
}

async function groupType(w: WireClient, group: string): Promise<string | undefined> {
  const r = await w.request<{ groups: { groupId: string; groupType: string }[] }>(16, 5, { statesFilter: [], typesFilter: [] });
  return r.groups.find((g) => g.groupId === group)?.groupType;
}

/** A member id from the coordinator (JoinGroup v4+ answers MEMBER_ID_REQUIRED to a new member). */
async function memberId(w: WireClient, group: string): Promise<string> {
  const j = await classicJoin(w, group, '');
  assert.equal(j.errorCode, ErrorCode.MEMBER_ID_REQUIRED);
  return j.memberId;
}

test('a classic group larger than group.consumer.max.size is not upgraded (GROUP_ID_NOT_FOUND), and stays classic', async () => {
  const w = await brokerWith({ 'group.consumer.max.size': 1 });
  const group = 'lim-up';
  const a = await memberId(w, group);
  const first = await classicJoin(w, group, a);
  assert.equal(first.generationId, 1);
  assert.equal((await classicSync(w, group, a, 1, [{ memberId: a, assignment: encodeAssignment({ assignedPartitions: [{ topic: TOPIC, partitions: [0, 1, 2, 3] }], userData: null }) }])).errorCode, ErrorCode.NONE);
  // A second member: both (re)join generation 2; the leader assigns two partitions each.
  const b = await memberId(w, group);
  const [ja, jb] = await Promise.all([classicJoin(w, group, a), classicJoin(w, group, b)]);
  assert.equal(ja.generationId, 2);
  assert.equal(jb.generationId, 2);
  const half = (ps: number[]): Buffer => encodeAssignment({ assignedPartitions: [{ topic: TOPIC, partitions: ps }], userData: null });
  const [sa, sb] = await Promise.all([
    classicSync(w, group, a, 2, [{ memberId: a, assignment: half([0, 1]) }, { memberId: b, assignment: half([2, 3]) }]),
    classicSync(w, group, b, 2),
  ]);
  assert.equal(sa.errorCode, ErrorCode.NONE);
  assert.equal(sb.errorCode, ErrorCode.NONE);

  const hb = await cgh(w, group, { memberId: 'kip848', rebalanceTimeoutMs: 5000, subscribedTopicNames: [TOPIC], topicPartitions: [] });
  assert.equal(hb.errorCode, ErrorCode.GROUP_ID_NOT_FOUND);
  assert.equal(hb.errorMessage, `Cannot upgrade classic group ${group} to consumer group because the group size exceeds the consumer group maximum size.`);
  assert.equal(await groupType(w, group), 'classic');
});

test('a consumer group whose classic members outnumber group.max.size stays a consumer group when its last consumer-protocol member leaves', async () => {
  const w = await brokerWith({ 'group.max.size': 1 });
  const group = 'lim-down';
  const c = await cgh(w, group, { memberId: 'kip848', rebalanceTimeoutMs: 5000, subscribedTopicNames: [TOPIC], topicPartitions: [] });
  assert.equal(c.errorCode, ErrorCode.NONE);
  // Two classic members join the consumer group (answered at once, Kafka's classicGroupJoinToConsumerGroup).
  for (let i = 0; i < 2; i++) {
    const id = await memberId(w, group);
    assert.equal((await classicJoin(w, group, id)).errorCode, ErrorCode.NONE);
  }
  const left = await cgh(w, group, { memberId: 'kip848', memberEpoch: -1 });
  assert.equal(left.errorCode, ErrorCode.NONE);
  assert.equal(await groupType(w, group), 'consumer', 'two classic members would exceed group.max.size=1: no downgrade');
});
