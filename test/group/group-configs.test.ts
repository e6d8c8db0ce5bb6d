/**
 * Dynamic group configs (IncrementalAlterConfigs / DescribeConfigs resource type GROUP = 32,
 * Kafka's GroupConfig): `consumer.session.timeout.ms` and `consumer.heartbeat.interval.ms` for
 * one KIP-848 group, validated against the group.consumer.min/max.* bounds, described with source
 * GROUP_CONFIG (else DEFAULT_CONFIG with the broker's value), applied to the group's members (the
 * heartbeat interval they are told, the session after which a silent member is removed), kept
 * across a restart, and shared by the brokers of a cluster (etcd).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startBroker, type RunningBroker } from '../../src/index.js';
import { ErrorCode } from '../../src/common/error-codes.js';
import { WireClient, waitFor } from '../helpers/wire.js';
import { removeDir, tempDir } from '../helpers/broker-process.js';
import { useEtcd } from '../helpers/etcd.js';
import { startCluster } from '../helpers/cluster.js';

const GROUP = 32;
const SOURCE = { DEFAULT_CONFIG: 5, GROUP_CONFIG: 8 } as const;
const OP = { SET: 0, DELETE: 1, APPEND: 2 } as const;
const CONFIG = {
  'offsets.topic.num.partitions': 1,
  'group.consumer.min.session.timeout.ms': 1000,
  'group.consumer.min.heartbeat.interval.ms': 100,
};

const fx = useEtcd({ before, after });
const dirs: string[] = [];
after(() => {
  for (const d of dirs) removeDir(d);
});

interface Entry {
  name: string;
  value: string | null;
  configSource: number;
  isDefault: boolean;
  readOnly: boolean;
}

async function describe(w: WireClient, groupId: string): Promise<{ errorCode: number; configs: Map<string, Entry> }> {
  const r = await w.request<{ results: { errorCode: number; configs: Entry[] }[] }>(32, 4, {
    resources: [{ resourceType: GROUP, resourceName: groupId, configurationKeys: null }],
    includeSynonyms: true,
    includeDocumentation: false,
  });
  const res = r.results[0];
  return { errorCode: res?.errorCode ?? -1, configs: new Map((res?.configs ?? []).map((e) => [e.name, e])) };
}

async function alter(w: WireClient, groupId: string, configs: { name: string; configOperation: number; value: string | null }[], validateOnly = false): Promise<{ errorCode: number; errorMessage: string | null }> {
  const r = await w.request<{ responses: { errorCode: number; errorMessage: string | null }[] }>(44, 1, { resources: [{ resourceType: GROUP, resourceName: groupId, configs }], validateOnly });
  return r.responses[0] ?? { errorCode: -1, errorMessage: null };
}

function join(w: WireClient, groupId: string, memberId: string): Promise<{ errorCode: number; heartbeatIntervalMs: number }> {
  return w.request(68, 1, { groupId, memberId, memberEpoch: 0, instanceId: null, rackId: null, rebalanceTimeoutMs: 5000, subscribedTopicNames: ['gc'], subscribedTopicRegex: null, serverAssignor: null, topicPartitions: [] });
}

async function members(w: WireClient, groupId: string): Promise<string[]> {
  const d = await w.request<{ groups: { members: { memberId: string }[] }[] }>(69, 0, { groupIds: [groupId], includeAuthorizedOperations: false });
  return (d.groups[0]?.members ?? []).map((m) => m.memberId);
}

test('GROUP configs: described with their defaults, set and validated, applied to the group, kept across a restart', { timeout: 120_000 }, async () => {
  const dataDir = tempDir();
  dirs.push(dataDir);
  let broker: RunningBroker | undefined = await startBroker({ port: 0, dataDir, config: CONFIG });
  let w = await WireClient.connect(broker.port);
  try {
    assert.equal(await w.createTopic('gc', 2), ErrorCode.NONE);
    const before = await describe(w, 'gc-group');
    assert.equal(before.errorCode, ErrorCode.NONE);
    assert.deepEqual([...before.configs.keys()].sort(), ['consumer.heartbeat.interval.ms', 'consumer.session.timeout.ms']);
    assert.equal(before.configs.get('consumer.session.timeout.ms')?.value, '45000');
    assert.equal(before.configs.get('consumer.session.timeout.ms')?.configSource, SOURCE.DEFAULT_CONFIG);

    // Refused: unknown names, values out of the group.consumer.min/max bounds, heartbeat >= session, APPEND on an int.
    for (const [bad, why] of [
      [[{ name: 'consumer.no.such.config', configOperation: OP.SET, value: '1' }], 'unknown name'],
      [[{ name: 'consumer.session.timeout.ms', configOperation: OP.SET, value: '999' }], 'below group.consumer.min.session.timeout.ms'],
      [[{ name: 'consumer.session.timeout.ms', configOperation: OP.SET, value: '60001' }], 'above group.consumer.max.session.timeout.ms'],
      [[{ name: 'consumer.session.timeout.ms', configOperation: OP.SET, value: 'soon' }], 'not a number'],
      [[{ name: 'consumer.session.timeout.ms', configOperation: OP.SET, value: '2000' }], 'heartbeat interval (5000) not below the session timeout'],
      [[{ name: 'consumer.heartbeat.interval.ms', configOperation: OP.APPEND, value: '1' }], 'APPEND on an int'],
    ] as const) {
      const r = await alter(w, 'gc-group', [...bad]);
      assert.equal(r.errorCode, ErrorCode.INVALID_CONFIG, `${why}: ${r.errorMessage ?? ''}`);
    }
    assert.equal((await alter(w, '', [{ name: 'consumer.session.timeout.ms', configOperation: OP.SET, value: '2000' }])).errorCode, ErrorCode.INVALID_REQUEST);
    const validated = await alter(w, 'gc-group', [{ name: 'consumer.session.timeout.ms', configOperation: OP.SET, value: '2000' }, { name: 'consumer.heartbeat.interval.ms', configOperation: OP.SET, value: '250' }], true);
    assert.equal(validated.errorCode, ErrorCode.NONE);
    assert.equal((await describe(w, 'gc-group')).configs.get('consumer.session.timeout.ms')?.value, '45000', 'validateOnly changes nothing');

    const set = await alter(w, 'gc-group', [{ name: 'consumer.session.timeout.ms', configOperation: OP.SET, value: '2000' }, { name: 'consumer.heartbeat.interval.ms', configOperation: OP.SET, value: '250' }]);
    assert.equal(set.errorCode, ErrorCode.NONE, set.errorMessage ?? '');
    const after = await describe(w, 'gc-group');
    assert.equal(after.configs.get('consumer.session.timeout.ms')?.value, '2000');
    assert.equal(after.configs.get('consumer.session.timeout.ms')?.configSource, SOURCE.GROUP_CONFIG);
    assert.equal(after.configs.get('consumer.heartbeat.interval.ms')?.value, '250');

    // Applied: members are told the group's interval, and a silent one is removed after the group's session timeout.
    const m = await join(w, 'gc-group', 'gc-member');
    assert.equal(m.errorCode, ErrorCode.NONE);
    assert.equal(m.heartbeatIntervalMs, 250);
    const other = await join(w, 'gc-other', 'other-member');
    assert.equal(other.heartbeatIntervalMs, 5000, 'another group keeps the broker default');
    const joinedAt = performance.now();
    await waitFor(async () => ((await members(w, 'gc-group')).length === 0 ? true : undefined), 15_000, 'the silent member removed after the group session timeout (2 s, not the broker 45 s)', 100);
    console.log(`silent member removed ${(performance.now() - joinedAt).toFixed(0)} ms after joining (group consumer.session.timeout.ms=2000)`);
    assert.deepEqual(await members(w, 'gc-other'), ['other-member']);

    // Kept across a restart.
    w.close();
    await broker.stop();
    broker = await startBroker({ port: 0, dataDir, config: CONFIG });
    w = await WireClient.connect(broker.port);
    assert.equal((await describe(w, 'gc-group')).configs.get('consumer.session.timeout.ms')?.value, '2000');
    // DELETE goes back to the broker's value.
    assert.equal((await alter(w, 'gc-group', [{ name: 'consumer.session.timeout.ms', configOperation: OP.DELETE, value: null }, { name: 'consumer.heartbeat.interval.ms', configOperation: OP.DELETE, value: null }])).errorCode, ErrorCode.NONE);
    const reset = await describe(w, 'gc-group');
    assert.equal(reset.configs.get('consumer.session.timeout.ms')?.value, '45000');
    assert.equal(reset.configs.get('consumer.session.timeout.ms')?.configSource, SOURCE.DEFAULT_CONFIG);
  } finally {
    w.close();
    await broker?.stop();
  }
});

test('GROUP configs set on one broker of a cluster are seen by the others (etcd)', { timeout: 120_000 }, async () => {
  const cluster = await startCluster({ endpoints: fx.etcd.endpoints, prefix: fx.prefix(), size: 2, config: CONFIG });
  const clients: WireClient[] = [];
  try {
    const w1 = await WireClient.connect(cluster.broker(1).port);
    const w2 = await WireClient.connect(cluster.broker(2).port);
    clients.push(w1, w2);
    const set = await alter(w1, 'gc-cluster/a', [{ name: 'consumer.session.timeout.ms', configOperation: OP.SET, value: '3000' }, { name: 'consumer.heartbeat.interval.ms', configOperation: OP.SET, value: '300' }]);
    assert.equal(set.errorCode, ErrorCode.NONE, set.errorMessage ?? '');
    await waitFor(async () => ((await describe(w2, 'gc-cluster/a')).configs.get('consumer.session.timeout.ms')?.value === '3000' ? true : undefined), 15_000, 'broker 2 sees the group config', 100);
    assert.equal((await describe(w2, 'gc-cluster/a')).configs.get('consumer.session.timeout.ms')?.configSource, SOURCE.GROUP_CONFIG);
    // A restarted broker loads it from etcd.
    await cluster.stopBroker(2);
    const restarted = await cluster.startBroker(2);
    const w3 = await WireClient.connect(restarted.port);
    clients.push(w3);
    assert.equal((await describe(w3, 'gc-cluster/a')).configs.get('consumer.heartbeat.interval.ms')?.value, '300');
  } finally {
    for (const c of clients) c.close();
    await cluster.stop();
  }
});
