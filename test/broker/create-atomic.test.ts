/**
 * Topic creation is atomic with respect to metadata and disk: when a partition's directory cannot
 * be made, the topic is answered KAFKA_STORAGE_ERROR, is not in the metadata (also after a
 * restart), and none of its directories remain; the other topics of the request are created. A
 * directory left by a crash before the metadata write is removed at start-up.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { ErrorCode } from '../../src/common/error-codes.js';
import { startBroker, type RunningBroker } from '../../src/index.js';
import type { CreateTopicsResponse } from '../../src/protocol/generated/messages/create-topics.js';
import { encodeRecordBatch } from '../../src/protocol/records/record.js';
import { removeDir, tempDir } from '../helpers/broker-process.js';
import { API, WireClient, waitFor } from '../helpers/wire.js';

const dataDir = tempDir('samsa-create-atomic-');
let broker: RunningBroker | undefined;
after(async () => {
  await broker?.stop();
  removeDir(dataDir);
});

async function create(c: WireClient, topics: { name: string; partitions: number }[]): Promise<CreateTopicsResponse> {
  return c.request<CreateTopicsResponse>(API.CreateTopics, 5, {
    topics: topics.map((t) => ({ name: t.name, numPartitions: t.partitions, replicationFactor: 1, assignments: [], configs: [] })),
    timeoutMs: 10_000,
    validateOnly: false,
  });
}

async function topicError(c: WireClient, name: string): Promise<number> {
  const md = await c.metadata([name]);
  return md.topics[0].errorCode as number;
}

test('a topic whose directory cannot be made is neither in metadata nor on disk, and the rest of the request is created', async () => {
  broker = await startBroker({ port: 0, dataDir, config: { 'auto.create.topics.enable': 'false' } });
  let c = await WireClient.connect(broker.port);
  // Partition 2 of 'victim' cannot get its directory: a plain file is in the way.
  const blocker = join(dataDir, 'victim-2');
  writeFileSync(blocker, 'not a directory');
  const res = await create(c, [
    { name: 'victim', partitions: 3 },
    { name: 'bystander', partitions: 2 },
  ]);
  const byName = new Map(res.topics.map((t) => [t.name, t]));
  assert.equal(byName.get('victim')?.errorCode, ErrorCode.KAFKA_STORAGE_ERROR);
  assert.equal(byName.get('bystander')?.errorCode, ErrorCode.NONE);
  assert.equal(await topicError(c, 'victim'), ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  assert.equal(await topicError(c, 'bystander'), ErrorCode.NONE);
  assert.ok(!existsSync(join(dataDir, 'victim-0')) && !existsSync(join(dataDir, 'victim-1')), 'the partial topic left directories');
  assert.ok(existsSync(blocker), 'the file in the way is not ours to remove');
  assert.ok(existsSync(join(dataDir, 'bystander-0')) && existsSync(join(dataDir, 'bystander-1')));

  // Still absent after a restart; once the obstacle is gone the topic can be created and used.
  c.close();
  await broker.stop();
  broker = await startBroker({ port: 0, dataDir, config: { 'auto.create.topics.enable': 'false' } });
  c = await WireClient.connect(broker.port);
  assert.equal(await topicError(c, 'victim'), ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  rmSync(blocker);
  assert.equal((await create(c, [{ name: 'victim', partitions: 3 }])).topics[0]?.errorCode, ErrorCode.NONE);
  const produced = await c.produce('victim', 2, encodeRecordBatch({ records: [{ value: Buffer.from('v') }] }));
  assert.equal(produced.errorCode, ErrorCode.NONE);
  assert.equal(produced.baseOffset, 0n);
  c.close();
  await broker.stop();
  broker = undefined;
});

test('a partition directory whose topic never reached the metadata (crash mid-creation) is removed at start-up', async () => {
  await broker?.stop(); // only left running when the previous test failed
  // What a crash after making the directories but before the metadata write leaves behind.
  const orphan = join(dataDir, 'orphan-0');
  mkdirSync(orphan, { recursive: true });
  writeFileSync(join(orphan, '00000000000000000000.log'), encodeRecordBatch({ records: [{ value: Buffer.from('never acknowledged') }] }));
  broker = await startBroker({ port: 0, dataDir, config: { 'auto.create.topics.enable': 'false' } });
  const c = await WireClient.connect(broker.port);
  assert.equal(await topicError(c, 'orphan'), ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  await waitFor(() => !existsSync(orphan), 10_000, 'orphan directory removed');
  // Creating the topic now starts from an empty log, not from the orphan's data.
  assert.equal((await create(c, [{ name: 'orphan', partitions: 1 }])).topics[0]?.errorCode, ErrorCode.NONE);
  const fetched = await c.fetchAll('orphan', 0);
  assert.equal(fetched.batches.length, 0);
  assert.equal(fetched.highWatermark, 0n);
  c.close();
});
