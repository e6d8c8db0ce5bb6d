/**
 * The internal topic __consumer_offsets is created with cleanup.policy=compact and the cleaner
 * compacts it like any other compacted log: thousands of offset commits shrink to about one record
 * per group/partition key, and after a kill -9 the group coordinator replays the compacted log to
 * the latest committed offsets.
 */
import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { removeDir, startBrokerProcess, type BrokerProcess } from '../helpers/broker-process.js';
import { WireClient, waitFor } from '../helpers/wire.js';

const OVERRIDES = {
  'offsets.topic.num.partitions': 1,
  'offsets.topic.segment.bytes': 8192,
  'log.cleaner.min.cleanable.ratio': 0.01,
  'log.cleaner.backoff.ms': 100,
  'log.segment.delete.delay.ms': 0,
};
const PARTITIONS = 5;
const COMMITS = 1500;

let broker: BrokerProcess;
let c: WireClient;

before(async () => {
  broker = await startBrokerProcess({ overrides: OVERRIDES });
  c = await WireClient.connect(broker.port);
});

after(async () => {
  c?.close();
  await broker?.kill();
  if (broker) removeDir(broker.dataDir);
});

async function commit(offset: number): Promise<void> {
  const res = await c.request(8, 8, {
    groupId: 'compaction-group',
    generationIdOrMemberEpoch: -1,
    memberId: '',
    groupInstanceId: null,
    topics: [{ name: 'data', partitions: Array.from({ length: PARTITIONS }, (_, p) => ({ partitionIndex: p, committedOffset: BigInt(offset + p), committedLeaderEpoch: -1, committedMetadata: null })) }],
  });
  for (const p of res.topics[0].partitions) assert.equal(p.errorCode, 0);
}

async function fetchOffsets(): Promise<bigint[]> {
  const res = await c.request(9, 8, { groups: [{ groupId: 'compaction-group', memberId: null, memberEpoch: -1, topics: [{ name: 'data', partitionIndexes: Array.from({ length: PARTITIONS }, (_, p) => p) }] }], requireStable: false });
  const g = res.groups[0];
  assert.equal(g.errorCode, 0);
  return g.topics[0].partitions.map((p: { committedOffset: bigint }) => p.committedOffset);
}

function offsetsSegments(): number {
  return readdirSync(join(broker.dataDir, '__consumer_offsets-0')).filter((f) => f.endsWith('.log')).length;
}

it('compacts __consumer_offsets and the coordinator reloads the latest offsets from it', async () => {
  assert.equal(await c.createTopic('data', PARTITIONS), 0);
  for (let i = 0; i < COMMITS; i++) await commit(i * 10);
  const expected = Array.from({ length: PARTITIONS }, (_, p) => BigInt((COMMITS - 1) * 10 + p));
  assert.deepEqual(await fetchOffsets(), expected);
  const written = (await c.listOffset('__consumer_offsets', 0, -1n)).offset;
  assert.ok(written >= BigInt(COMMITS * PARTITIONS));
  const remaining = await waitFor(
    async () => {
      const { batches } = await c.fetchAll('__consumer_offsets', 0, 0n);
      const n = batches.reduce((s, b) => s + b.records.length, 0);
      return n < Number(written) / 10 && offsetsSegments() <= 4 ? n : null;
    },
    20_000,
    '__consumer_offsets to be compacted',
  );
  c.close();
  await broker.kill();
  broker = await startBrokerProcess({ dataDir: broker.dataDir, overrides: OVERRIDES });
  c = await WireClient.connect(broker.port);
  assert.deepEqual(await fetchOffsets(), expected, 'offsets replayed from the compacted log');
  console.log(`__consumer_offsets: ${written} records written, ${remaining} left after compaction in ${offsetsSegments()} segments`);
});
