/**
 * What an incremental (cooperative) rebalance needs from the broker, over the wire, step by step
 * like a cooperative-sticky consumer group does it: members keep consuming and committing while
 * the group rebalances, so every record they keep must stay accounted for.
 *   - Heartbeat answers REBALANCE_IN_PROGRESS while the group prepares a rebalance, NONE after the
 *     JoinGroup answer (CompletingRebalance) and in Stable.
 *   - OffsetCommit with the current generation is accepted during PreparingRebalance (members keep
 *     their partitions and keep committing); during CompletingRebalance the new generation gets
 *     REBALANCE_IN_PROGRESS and the old one ILLEGAL_GENERATION (Kafka's validateOffsetCommit).
 *   - The leader's JoinGroup answer carries each member's latest subscription, with the owned
 *     partitions it sent when rejoining (the cooperative assignor decides on them).
 *   - SyncGroup hands each member exactly the leader's assignment for it.
 *   - A fetch at an offset inside a batch starts with that batch (never the next one).
 * These were the broker-side suspects when confluent-kafka consumers skipped records across
 * cooperative rebalances; the cause was librdkafka 2.0.2 (see test/compat/groups-confluent.test.ts).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Kafka, logLevel } from 'kafkajs';
import { startBroker, type RunningBroker } from '../../src/index.js';
import { ErrorCode } from '../../src/common/error-codes.js';
import { decodeAssignment, decodeSubscription, encodeAssignment, encodeSubscription } from '../../src/group/consumer-protocol.js';
import { WireClient } from '../helpers/wire.js';

let broker: RunningBroker;
const clients: WireClient[] = [];
const TOPIC = 'incr-topic';
const GROUP = 'incr-group';

before(async () => {
  broker = await startBroker({ port: 0, config: { 'group.initial.rebalance.delay.ms': 50, 'group.min.session.timeout.ms': 1000, 'offsets.topic.num.partitions': 3 } });
  const kafka = new Kafka({ clientId: 'incr', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: 4 }] });
  await admin.disconnect();
});

after(async () => {
  for (const c of clients) c.close();
  await broker?.stop();
});

async function client(): Promise<WireClient> {
  const c = await WireClient.connect(broker.port);
  clients.push(c);
  return c;
}

const subscription = (owned: number[]): Buffer => encodeSubscription({ topics: [TOPIC], userData: null, ownedPartitions: owned.length ? [{ topic: TOPIC, partitions: owned }] : [] }, 1);
const assignment = (parts: number[]): Buffer => encodeAssignment({ assignedPartitions: parts.length ? [{ topic: TOPIC, partitions: parts }] : [], userData: null }, 1);

class Member {
  memberId = '';
  generation = -1;
  constructor(readonly c: WireClient) {}

  /** JoinGroup v9 (the MEMBER_ID_REQUIRED round trip included); resolves when the join phase ends. */
  async join(owned: number[]): Promise<any> {
    const req = (memberId: string) =>
      this.c.request<any>(11, 9, { groupId: GROUP, sessionTimeoutMs: 10_000, rebalanceTimeoutMs: 5_000, memberId, groupInstanceId: null, protocolType: 'consumer', protocols: [{ name: 'cooperative-sticky', metadata: subscription(owned) }], reason: null });
    let r = await req(this.memberId);
    if (r.errorCode === ErrorCode.MEMBER_ID_REQUIRED) r = await req(r.memberId);
    assert.equal(r.errorCode, ErrorCode.NONE, 'JoinGroup');
    this.memberId = r.memberId;
    this.generation = r.generationId;
    return r;
  }

  sync(assignments: { memberId: string; assignment: Buffer }[] = []): Promise<any> {
    return this.c.request<any>(14, 5, { groupId: GROUP, generationId: this.generation, memberId: this.memberId, groupInstanceId: null, protocolType: 'consumer', protocolName: 'cooperative-sticky', assignments });
  }

  async heartbeat(): Promise<number> {
    return (await this.c.request<any>(12, 4, { groupId: GROUP, generationId: this.generation, memberId: this.memberId, groupInstanceId: null })).errorCode;
  }

  /** OffsetCommit; `via` another connection while this one waits for its JoinGroup answer (responses come in request order). */
  async commit(partition: number, offset: bigint, generation = this.generation, via = this.c): Promise<number> {
    const r = await via.request<any>(8, 9, {
      groupId: GROUP,
      generationIdOrMemberEpoch: generation,
      memberId: this.memberId,
      groupInstanceId: null,
      topics: [{ name: TOPIC, partitions: [{ partitionIndex: partition, committedOffset: offset, committedLeaderEpoch: -1, committedMetadata: null }] }],
    });
    return r.topics[0].partitions[0].errorCode;
  }
}

async function groupState(c: WireClient): Promise<string> {
  const d = await c.request<any>(15, 5, { groups: [GROUP], includeAuthorizedOperations: false });
  return d.groups[0].groupState;
}

async function committed(c: WireClient): Promise<Map<number, bigint>> {
  const r = await c.request<any>(9, 8, { groups: [{ groupId: GROUP, memberId: null, memberEpoch: -1, topics: [{ name: TOPIC, partitionIndexes: [0, 1, 2, 3] }] }], requireStable: false });
  return new Map(r.groups[0].topics[0].partitions.map((p: any) => [p.partitionIndex, p.committedOffset]));
}

function ownedIn(members: any[], memberId: string): number[] {
  const m = members.find((x) => x.memberId === memberId);
  assert.ok(m, `leader was told about ${memberId}`);
  const sub = decodeSubscription(Buffer.from(m.metadata));
  assert.ok(sub);
  return sub.ownedPartitions.flatMap((tp) => [...tp.partitions]).sort();
}

test('cooperative rebalance: members commit while the group rebalances, leader sees owned partitions, assignments handed as given', async () => {
  const admin = await client();
  const a = new Member(await client());
  const b = new Member(await client());

  // Generation 1: a alone owns everything.
  const j1 = await a.join([]);
  assert.equal(j1.leader, a.memberId);
  assert.equal((await a.sync([{ memberId: a.memberId, assignment: assignment([0, 1, 2, 3]) }])).errorCode, ErrorCode.NONE);
  assert.equal(await groupState(admin), 'Stable');
  assert.equal(await a.commit(0, 10n), ErrorCode.NONE);

  // b joins: the group prepares a rebalance; a keeps consuming and committing with generation 1.
  const bJoin = b.join([]);
  await waitFor(async () => (await groupState(admin)) === 'PreparingRebalance');
  assert.equal(await a.heartbeat(), ErrorCode.REBALANCE_IN_PROGRESS);
  assert.equal(await a.commit(0, 12n), ErrorCode.NONE, 'commit with the current generation during PreparingRebalance');
  assert.equal(await a.commit(2, 7n), ErrorCode.NONE);
  // a rejoins with what it owns (its first JoinGroup said nothing): the leader must see the new metadata.
  const j2 = await a.join([0, 1, 2, 3]);
  await bJoin;
  assert.equal(j2.generationId, 2);
  assert.equal(b.generation, 2);
  assert.equal(j2.leader, a.memberId);
  assert.deepEqual(ownedIn(j2.members, a.memberId), [0, 1, 2, 3]);
  assert.deepEqual(ownedIn(j2.members, b.memberId), []);
  assert.equal(await groupState(admin), 'CompletingRebalance');
  assert.equal(await a.heartbeat(), ErrorCode.NONE, 'heartbeats between JoinGroup and SyncGroup are fine');
  assert.equal(await a.commit(0, 13n), ErrorCode.REBALANCE_IN_PROGRESS, 'new generation before SyncGroup');
  assert.equal(await a.commit(0, 13n, 1), ErrorCode.ILLEGAL_GENERATION, 'old generation after the JoinGroup answer');

  // First cooperative round: a gives up 2 and 3, nobody gets them yet.
  const bSync = b.sync();
  const aSync = await a.sync([
    { memberId: a.memberId, assignment: assignment([0, 1]) },
    { memberId: b.memberId, assignment: assignment([]) },
  ]);
  assert.equal(aSync.errorCode, ErrorCode.NONE);
  assert.deepEqual(decodeAssignment(Buffer.from(aSync.assignment)), [{ topic: TOPIC, partitions: [0, 1] }]);
  const bSynced = await bSync;
  assert.equal(bSynced.errorCode, ErrorCode.NONE);
  assert.deepEqual(decodeAssignment(Buffer.from(bSynced.assignment)), []);
  assert.equal(await groupState(admin), 'Stable');
  assert.equal(await a.commit(0, 14n), ErrorCode.NONE);
  assert.equal(await a.commit(2, 8n, 1), ErrorCode.ILLEGAL_GENERATION, 'generation 1 is over');

  // Second round: a rejoins owning 0 and 1; b is told to rejoin by its heartbeat.
  const aJoin = a.join([0, 1]);
  await waitFor(async () => (await groupState(admin)) === 'PreparingRebalance');
  assert.equal(await b.heartbeat(), ErrorCode.REBALANCE_IN_PROGRESS);
  assert.equal(await a.commit(1, 3n, 2, admin), ErrorCode.NONE, 'a keeps 0 and 1 and commits them while the group rebalances');
  const j3b = await b.join([]);
  const j3 = await aJoin;
  assert.equal(j3.generationId, 3);
  assert.equal(j3b.generationId, 3);
  assert.deepEqual(ownedIn(j3.members, a.memberId), [0, 1]);
  const bSync3 = b.sync();
  await a.sync([
    { memberId: a.memberId, assignment: assignment([0, 1]) },
    { memberId: b.memberId, assignment: assignment([2, 3]) },
  ]);
  assert.deepEqual(decodeAssignment(Buffer.from((await bSync3).assignment)), [{ topic: TOPIC, partitions: [2, 3] }]);
  assert.equal(await b.commit(2, 9n), ErrorCode.NONE);

  // b leaves: a's generation-3 commits go on being accepted while the group prepares the next one.
  const left = await b.c.request<any>(13, 5, { groupId: GROUP, members: [{ memberId: b.memberId, groupInstanceId: null, reason: 'bye' }] });
  assert.equal(left.members[0].errorCode, ErrorCode.NONE);
  assert.equal(await a.heartbeat(), ErrorCode.REBALANCE_IN_PROGRESS);
  assert.equal(await a.commit(0, 15n), ErrorCode.NONE);

  assert.deepEqual(await committed(admin), new Map([[0, 15n], [1, 3n], [2, 9n], [3, -1n]]));
});

test('a fetch at an offset inside a batch starts with that batch', async () => {
  const kafka = new Kafka({ clientId: 'incr-p', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
  const producer = kafka.producer();
  await producer.connect();
  const topic = 'incr-fetch';
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: 1 }] });
  await admin.disconnect();
  // Two batches: offsets 0..4 and 5..7.
  await producer.send({ topic, messages: [0, 1, 2, 3, 4].map((i) => ({ value: `r${i}` })) });
  await producer.send({ topic, messages: [5, 6, 7].map((i) => ({ value: `r${i}` })) });
  await producer.disconnect();
  const c = await client();
  const fetchAt = async (offset: bigint): Promise<[number, number][]> => {
    const r = await c.request<any>(1, 12, {
      replicaId: -1, maxWaitMs: 0, minBytes: 1, maxBytes: 1 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1, rackId: '', forgottenTopicsData: [],
      topics: [{ topic, partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: offset, lastFetchedEpoch: -1, logStartOffset: -1n, partitionMaxBytes: 1 << 20 }] }],
    });
    const p = r.responses[0].partitions[0];
    assert.equal(p.errorCode, ErrorCode.NONE);
    const buf = Buffer.from(p.records ?? []);
    const batches: [number, number][] = [];
    for (let pos = 0; pos + 61 <= buf.length; pos += 12 + buf.readInt32BE(pos + 8)) {
      const base = Number(buf.readBigInt64BE(pos));
      batches.push([base, base + buf.readInt32BE(pos + 23)]);
    }
    return batches;
  };
  for (const o of [0n, 1n, 4n]) assert.deepEqual(await fetchAt(o), [[0, 4], [5, 7]], `fetch at ${o}`);
  for (const o of [5n, 6n, 7n]) assert.deepEqual(await fetchAt(o), [[5, 7]], `fetch at ${o}`);
  assert.deepEqual(await fetchAt(8n), []);
});

async function waitFor(cond: () => Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
}
