/**
 * Rack-aware KIP-848 assignment on three in-process brokers in racks rack-1..rack-3 (one etcd):
 * a 6-partition topic with one replica per partition, partition p on broker p%3+1, so each rack
 * holds two partitions. Three members telling their racks (ConsumerGroupHeartbeat RackId) get
 * the two partitions of their own rack, with the `uniform` and with the `range` assignor; then
 * three librdkafka 2.12 consumers (`group.protocol=consumer`, `client.rack`) get the same.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { useEtcd } from '../helpers/etcd.js';
import { startCluster, type TestCluster } from '../helpers/cluster.js';
import { WireClient, API, waitFor } from '../helpers/wire.js';
import { modernLibrdkafkaEnv } from '../helpers/modern-librdkafka.js';
import { GroupConsumer, waitForAssignment } from './group-harness.js';

const TOPIC = 'racky';
const PARTITIONS = 6;
const rackOf = (p: number): string => `rack-${(p % 3) + 1}`;

const fx = useEtcd({ before, after });
const consumers: GroupConsumer[] = [];
let started: Promise<TestCluster> | undefined;

/** The cluster and its topic, started by the first test that needs them (etcd is up by then). */
function theCluster(): Promise<TestCluster> {
  started ??= startRackCluster();
  return started;
}

async function startRackCluster(): Promise<TestCluster> {
  const c = await startCluster({
    endpoints: fx.etcd.endpoints,
    prefix: fx.prefix(),
    size: 3,
    config: { 'offsets.topic.num.partitions': 1, 'group.consumer.heartbeat.interval.ms': 300 },
    brokerConfig: (id) => ({ 'broker.rack': `rack-${id}` }),
  });
  // Stopped before etcd (the fixture's after() stops etcd first otherwise).
  fx.closeLater(() => c.stop());
  const admin = await WireClient.connect(c.broker(1).port);
  try {
    const created = await admin.request(API.CreateTopics, 7, {
      topics: [{ name: TOPIC, numPartitions: -1, replicationFactor: -1, assignments: Array.from({ length: PARTITIONS }, (_, p) => ({ partitionIndex: p, brokerIds: [(p % 3) + 1] })), configs: [] }],
      timeoutMs: 10_000,
      validateOnly: false,
    });
    assert.equal(created.topics[0].errorCode, 0, created.topics[0].errorMessage);
  } finally {
    admin.close();
  }
  await waitFor(() => c.brokers.every((b) => b.running?.broker.metadata.image().topic(TOPIC)?.partitions.length === PARTITIONS) || undefined, 30_000, `${TOPIC} known to every broker`, 50);
  return c;
}

after(async () => {
  for (const c of consumers) await c.kill();
});

/** A client to the group's coordinator (FindCoordinator v4, retried while the offsets topic is being created). */
async function coordinatorOf(group: string): Promise<WireClient> {
  const c = await theCluster();
  const any = await WireClient.connect(c.broker(1).port);
  try {
    const nodeId = await waitFor(async () => {
      const res = await any.request(10, 4, { keyType: 0, coordinatorKeys: [group] });
      const co = res.coordinators[0] as { errorCode: number; nodeId: number };
      return co.errorCode === 0 ? co.nodeId : undefined;
    }, 30_000, `a coordinator for ${group}`, 100);
    return await WireClient.connect(c.broker(nodeId).port);
  } finally {
    any.close();
  }
}

interface Described {
  groups: { errorCode: number; members: { memberId: string; rackId: string | null; targetAssignment: { topicPartitions: { topicName: string; partitions: number[] }[] } }[] }[];
}

async function targetsByRack(w: WireClient, group: string): Promise<Map<string, number[]>> {
  const d = await w.request<Described>(69, 0, { groupIds: [group], includeAuthorizedOperations: false });
  const out = new Map<string, number[]>();
  for (const m of d.groups[0]?.members ?? []) out.set(m.rackId ?? m.memberId, m.targetAssignment.topicPartitions.flatMap((t) => t.partitions).sort((a, b) => a - b));
  return out;
}

function expectedByRack(): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (let p = 0; p < PARTITIONS; p++) out.set(rackOf(p), [...(out.get(rackOf(p)) ?? []), p]);
  return out;
}

for (const assignor of ['uniform', 'range'] as const) {
  test(`${assignor}: members get the partitions with a replica on their rack (ConsumerGroupHeartbeat RackId)`, { timeout: 90_000 }, async () => {
    const group = `rack-${assignor}`;
    const w = await coordinatorOf(group);
    try {
      // Racks in the opposite order of member ids: the rack-less assignment would differ.
      for (const [memberId, rackId] of [['m-a', 'rack-3'], ['m-b', 'rack-2'], ['m-c', 'rack-1']] as const) {
        const a = await w.request<{ errorCode: number; errorMessage: string | null }>(68, 1, {
          groupId: group,
          memberId,
          memberEpoch: 0,
          instanceId: null,
          rackId,
          rebalanceTimeoutMs: 10_000,
          subscribedTopicNames: [TOPIC],
          subscribedTopicRegex: null,
          serverAssignor: assignor,
          topicPartitions: [],
        });
        assert.equal(a.errorCode, 0, a.errorMessage ?? '');
      }
      assert.deepEqual(await targetsByRack(w, group), expectedByRack());
    } finally {
      w.close();
    }
  });
}

test('librdkafka 2.12 consumers with client.rack get the partitions on their racks', { timeout: 600_000 }, async () => {
  const env = await modernLibrdkafkaEnv();
  const c = await theCluster();
  const group = 'rack-librdkafka';
  for (const rack of ['rack-3', 'rack-1', 'rack-2']) {
    consumers.push(GroupConsumer.start('confluent', { bootstrap: c.bootstrap(), group, topic: TOPIC, id: `c-${rack}`, session: 15000, protocol: 'consumer', rack }, env));
  }
  await waitForAssignment(consumers, PARTITIONS, [2, 2, 2], 60_000);
  const expected = expectedByRack();
  for (const consumer of consumers) {
    const rack = consumer.id.slice(2);
    assert.deepEqual([...consumer.assignment].sort((a, b) => a - b), expected.get(rack), `${consumer.id} holds its rack's partitions\n${consumer.describe()}`);
  }
  const w = await coordinatorOf(group);
  try {
    assert.deepEqual([...(await targetsByRack(w, group)).keys()].sort(), ['rack-1', 'rack-2', 'rack-3'], 'librdkafka sent its client.rack as RackId');
  } finally {
    w.close();
  }
  for (const consumer of consumers.splice(0)) await consumer.stop();
});
