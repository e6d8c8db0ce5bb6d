/**
 * The pieces of MirrorMaker 2 that need no cluster: Kafka's byte formats of offset syncs,
 * checkpoints and heartbeats; when the source task writes an offset sync; how a consumer offset
 * is translated; the replication policy's names and cycle rule; the dedicated mode's flows.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeCheckpoint, decodeHeartbeat, decodeOffsetSync, encodeCheckpoint, encodeHeartbeat, encodeOffsetSync, MirrorFormatError } from '../../src/connect/mirror/formats.js';
import { mirrorFlows } from '../../src/connect/mirror/mirror-maker.js';
import { OffsetSyncIndex } from '../../src/connect/mirror/offset-sync-store.js';
import { nameFilter, replicationPolicy, shouldReplicateTopic } from '../../src/connect/mirror/policy.js';
import { SyncState } from '../../src/connect/mirror/source-connector.js';
import { owns } from '../../src/connect/mirror/settings.js';
import { PluginRegistry } from '../../src/connect/plugins.js';

const hex = (b: Buffer): string => b.toString('hex');

test("offset syncs, checkpoints and heartbeats are Kafka's Struct bytes and decode back", () => {
  const sync = encodeOffsetSync({ topic: 't', partition: 1, upstreamOffset: 5n, downstreamOffset: 7n });
  assert.equal(hex(sync.key), '00017400000001');
  assert.equal(hex(sync.value), '0000000000000005' + '0000000000000007');
  assert.deepEqual(decodeOffsetSync(sync.key, sync.value), { topic: 't', partition: 1, upstreamOffset: 5n, downstreamOffset: 7n });

  const ck = encodeCheckpoint({ group: 'g', topic: 'A.t', partition: 2, upstreamOffset: 10n, downstreamOffset: 9n, metadata: 'm' });
  assert.equal(hex(ck.key), '0001' + '67' + '0003' + '412e74' + '00000002');
  assert.equal(hex(ck.value), '0000' + '000000000000000a' + '0000000000000009' + '0001' + '6d');
  assert.deepEqual(decodeCheckpoint(ck.key, ck.value), { group: 'g', topic: 'A.t', partition: 2, upstreamOffset: 10n, downstreamOffset: 9n, metadata: 'm' });

  const hb = encodeHeartbeat({ sourceClusterAlias: 'A', targetClusterAlias: 'B', timestamp: 1n });
  assert.equal(hex(hb.key), '00014100' + '0142');
  assert.equal(hex(hb.value), '0000' + '0000000000000001');
  assert.deepEqual(decodeHeartbeat(hb.key, hb.value), { sourceClusterAlias: 'A', targetClusterAlias: 'B', timestamp: 1n });
});

test('a short, null or unknown-version record is a MirrorFormatError', () => {
  assert.throws(() => decodeOffsetSync(Buffer.from('0001', 'hex'), Buffer.alloc(16)), MirrorFormatError);
  assert.throws(() => decodeOffsetSync(Buffer.from('00ff74', 'hex'), Buffer.alloc(16)), MirrorFormatError);
  assert.throws(() => decodeOffsetSync(Buffer.from('00017400000001', 'hex'), Buffer.alloc(15)), MirrorFormatError);
  assert.throws(() => decodeOffsetSync(null, Buffer.alloc(16)), MirrorFormatError);
  const ck = encodeCheckpoint({ group: 'g', topic: 't', partition: 0, upstreamOffset: 1n, downstreamOffset: 1n, metadata: '' });
  const v1 = Buffer.from(ck.value);
  v1.writeInt16BE(1, 0);
  assert.throws(() => decodeCheckpoint(ck.key, v1), /version 1/);
  assert.throws(() => decodeCheckpoint(ck.key, ck.value.subarray(0, 10)), MirrorFormatError);
  assert.throws(() => decodeHeartbeat(Buffer.from('0001', 'hex'), null), MirrorFormatError);
});

test('the source task writes a sync for the first record, after offset.lag.max records, on a skip and on a truncation', () => {
  const s = new SyncState(3n);
  const syncs: number[] = [];
  for (let u = 10; u < 20; u++) if (s.update(BigInt(u), BigInt(u - 10))) syncs.push(u);
  assert.deepEqual(syncs, [10, 14, 18], 'first record, then every lag+1 records');
  assert.equal(s.update(25n, 10n), true, 'upstream skipped (compaction, a transaction marker)');
  assert.equal(s.update(26n, 11n), false);
  assert.equal(s.update(27n, 5n), true, 'the target offset went backwards');
});

test('an upstream offset translates through the latest sync at or before it, one past it unless exact', () => {
  const idx = new OffsetSyncIndex();
  assert.equal(idx.translate('t', 0, 5n), null);
  idx.add({ topic: 't', partition: 0, upstreamOffset: 100n, downstreamOffset: 0n });
  idx.add({ topic: 't', partition: 0, upstreamOffset: 120n, downstreamOffset: 20n });
  assert.equal(idx.translate('t', 0, 99n), null, 'before every sync: no translation');
  assert.equal(idx.translate('t', 0, 100n), 0n);
  assert.equal(idx.translate('t', 0, 110n), 1n, 'between syncs: one past the earlier, never ahead');
  assert.equal(idx.translate('t', 0, 120n), 20n);
  assert.equal(idx.translate('t', 0, 500n), 21n);
  assert.equal(idx.translate('t', 1, 120n), null, 'per partition');
  idx.add({ topic: 't', partition: 0, upstreamOffset: 110n, downstreamOffset: 50n });
  assert.equal(idx.translate('t', 0, 130n), 51n, 'a sync below the latest (a restarted task) replaces those above it');
  for (let i = 0; i < 5000; i++) idx.add({ topic: 'u', partition: 0, upstreamOffset: BigInt(i * 10), downstreamOffset: BigInt(i) });
  assert.equal(idx.translate('u', 0, 49_990n), 4999n, 'the newest syncs are kept');
  const old = idx.translate('u', 0, 15n);
  assert.ok(old === null || old <= 2n, 'an old offset translates to at most its exact place, or not at all');
});

test('DefaultReplicationPolicy and IdentityReplicationPolicy names; cycles and internal topics are not mirrored', () => {
  const p = replicationPolicy({});
  assert.equal(p.formatRemoteTopic('A', 'orders'), 'A.orders');
  assert.equal(p.topicSource('A.orders'), 'A');
  assert.equal(p.upstreamTopic('B.A.orders'), 'A.orders');
  assert.equal(p.offsetSyncsTopic('B'), 'mm2-offset-syncs.B.internal');
  assert.equal(p.checkpointsTopic('A'), 'A.checkpoints.internal');
  const all = nameFilter({}, 'topics');
  assert.equal(shouldReplicateTopic(p, all, 'B', 'orders'), true);
  assert.equal(shouldReplicateTopic(p, all, 'B', 'B.orders'), false, 'came from the target');
  assert.equal(shouldReplicateTopic(p, all, 'B', 'C.B.orders'), false, 'came from the target through C');
  assert.equal(shouldReplicateTopic(p, all, 'B', 'C.orders'), true);
  assert.equal(shouldReplicateTopic(p, all, 'B', '__consumer_offsets'), false);
  assert.equal(shouldReplicateTopic(p, all, 'B', 'mm2-offsets.A.internal'), false);
  assert.equal(shouldReplicateTopic(p, all, 'B', 'heartbeats'), true);
  const some = nameFilter({ topics: 'orders.*, pay', 'topics.exclude': 'orders-tmp' }, 'topics');
  assert.deepEqual(['orders', 'orders-eu', 'orders-tmp', 'pay', 'payments', 'xorders'].filter(some), ['orders', 'orders-eu', 'pay']);
  const groups = nameFilter({}, 'groups');
  assert.deepEqual(['app', 'console-consumer-1', 'connect-x', '__x'].filter(groups), ['app']);
  const id = replicationPolicy({ 'replication.policy.class': 'org.apache.kafka.connect.mirror.IdentityReplicationPolicy' });
  assert.equal(id.formatRemoteTopic('A', 'orders'), 'orders');
  assert.equal(id.formatRemoteTopic('A', 'heartbeats'), 'A.heartbeats');
  assert.equal(replicationPolicy({ 'replication.policy.separator': '_' }).formatRemoteTopic('A', 'x'), 'A_x');
  assert.throws(() => replicationPolicy({ 'replication.policy.class': 'com.example.Nope' }), /could not be found/);
});

test('tasks split partitions and groups by hash: every name has exactly one owner', () => {
  for (const name of ['orders-0', 'orders-1', 'payments-7', 'g1']) assert.equal([0, 1, 2].filter((i) => owns(name, i, 3)).length, 1);
  assert.equal(owns('x', 0, 1), true);
});

test("dedicated mode's properties: clusters, aliases, enabled flows, bare and flow-scoped settings", () => {
  const flows = mirrorFlows({
    clusters: 'A, B, C',
    'A.bootstrap.servers': 'a:9092',
    'B.bootstrap.servers': 'b:9092',
    'C.bootstrap.servers': 'c:9092',
    'A->B.enabled': 'true',
    'A->B.topics': 'orders.*',
    'B->A.enabled': 'false',
    'C->B.enabled': 'true',
    'replication.factor': '1',
    topics: '.*',
  });
  assert.deepEqual(flows.map((f) => `${f.source}->${f.target}`), ['A->B', 'C->B']);
  const ab = flows[0]?.config;
  assert.equal(ab?.['topics'], 'orders.*', 'the flow-scoped key wins');
  assert.equal(flows[1]?.config['topics'], '.*');
  assert.equal(ab?.['replication.factor'], '1');
  assert.equal(ab?.['source.cluster.bootstrap.servers'], 'a:9092');
  assert.equal(ab?.['target.cluster.bootstrap.servers'], 'b:9092');
  assert.equal(ab?.['source.cluster.alias'], 'A');
  assert.equal(ab?.['value.converter'], 'org.apache.kafka.connect.converters.ByteArrayConverter');
  assert.equal(ab?.['A.bootstrap.servers'], undefined, 'cluster-scoped keys are not connector settings');
  assert.throws(() => mirrorFlows({ clusters: 'A, B', 'A.bootstrap.servers': 'a:1' }), /B\.bootstrap\.servers/);
  assert.throws(() => mirrorFlows({}), /clusters/);
});

test("the mirror connectors answer to Kafka's class names and short aliases", () => {
  const r = new PluginRegistry();
  for (const n of ['org.apache.kafka.connect.mirror.MirrorSourceConnector', 'MirrorSourceConnector', 'MirrorCheckpointConnector', 'org.apache.kafka.connect.mirror.MirrorHeartbeatConnector']) assert.ok(r.find(n), n);
  const src = r.find('MirrorSourceConnector');
  assert.throws(() => src?.taskConfigs({ 'connector.class': 'MirrorSourceConnector' }, 1), /source\.cluster\.bootstrap\.servers/);
  const tasks = src?.taskConfigs({ 'source.cluster.bootstrap.servers': 'a:1', 'target.cluster.bootstrap.servers': 'b:1' }, 3) ?? [];
  assert.deepEqual(tasks.map((t) => [t['task.index'], t['task.count']]), [['0', '3'], ['1', '3'], ['2', '3']]);
});
