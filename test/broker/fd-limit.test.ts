/**
 * Issue 10, item 6: a broker whose fd limit (1024) is far below its partition count (3,000
 * single-partition topics) creates, writes and reads all of them, restarts cleanly and after
 * kill -9, never answers an error, keeps accepting connections, and holds fewer fds than the limit
 * (the segment handle cache is clamped to half of it).
 */
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { after, test } from 'node:test';
import { ErrorCode } from '../../src/common/error-codes.js';
import type { CreateTopicsResponse } from '../../src/protocol/generated/messages/create-topics.js';
import type { FetchResponse } from '../../src/protocol/generated/messages/fetch.js';
import type { ProduceResponse } from '../../src/protocol/generated/messages/produce.js';
import { decodeRecordBatches, encodeRecordBatch } from '../../src/protocol/records/record.js';
import { type BrokerProcess, removeDir, startBrokerProcess, tempDir } from '../helpers/broker-process.js';
import { API, WireClient } from '../helpers/wire.js';

const FD_LIMIT = 1024;
const TOPICS = 3000;
const PER_REQUEST = 500;
const name = (i: number): string => `fd-${i}`;

const dataDir = tempDir('samsa-fds-');
let broker: BrokerProcess | undefined;
after(async () => {
  await broker?.kill();
  removeDir(dataDir);
});

function fdCount(pid: number | undefined): number {
  return readdirSync(`/proc/${pid}/fd`).length;
}

async function start(): Promise<BrokerProcess> {
  broker = await startBrokerProcess({ dataDir, fdLimit: FD_LIMIT, startTimeoutMs: 120_000 });
  return broker;
}

/** Runs `fn` over the topic indexes in chunks of PER_REQUEST. */
async function inChunks(fn: (from: number, to: number) => Promise<void>): Promise<void> {
  for (let from = 0; from < TOPICS; from += PER_REQUEST) await fn(from, Math.min(TOPICS, from + PER_REQUEST));
}

async function createAll(c: WireClient): Promise<void> {
  await inChunks(async (from, to) => {
    const topics = [];
    for (let i = from; i < to; i++) topics.push({ name: name(i), numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] });
    const res = await c.request<CreateTopicsResponse>(API.CreateTopics, 5, { topics, timeoutMs: 60_000, validateOnly: false }, 60_000);
    for (const t of res.topics) assert.equal(t.errorCode, ErrorCode.NONE, `create ${t.name}: ${t.errorCode} ${t.errorMessage ?? ''}`);
  });
}

/** Produces record `round` to every topic; checks it lands at offset `round`. */
async function produceAll(c: WireClient, round: number): Promise<void> {
  await inChunks(async (from, to) => {
    const topicData = [];
    for (let i = from; i < to; i++) topicData.push({ name: name(i), partitionData: [{ index: 0, records: encodeRecordBatch({ records: [{ value: Buffer.from(`${name(i)}/${round}`) }] }) }] });
    const res = await c.request<ProduceResponse>(API.Produce, 9, { transactionalId: null, acks: -1, timeoutMs: 30_000, topicData }, 60_000);
    for (const t of res.responses) {
      const p = t.partitionResponses[0];
      assert.equal(p?.errorCode, ErrorCode.NONE, `produce ${t.name}: ${p?.errorCode} ${p?.errorMessage ?? ''}`);
      assert.equal(p?.baseOffset, BigInt(round));
    }
  });
}

/** Fetches every topic from offset 0 and checks it holds exactly records 0..rounds-1. */
async function readAll(c: WireClient, rounds: number): Promise<void> {
  await inChunks(async (from, to) => {
    const topics = [];
    for (let i = from; i < to; i++) {
      topics.push({ topic: name(i), partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: 0n, lastFetchedEpoch: -1, logStartOffset: -1n, partitionMaxBytes: 1 << 16 }] });
    }
    const res = await c.request<FetchResponse>(
      API.Fetch,
      12,
      { replicaId: -1, maxWaitMs: 0, minBytes: 0, maxBytes: 64 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1, topics, forgottenTopicsData: [], rackId: '' },
      60_000,
    );
    assert.equal(res.errorCode, ErrorCode.NONE);
    for (const t of res.responses) {
      const p = t.partitions[0];
      assert.equal(p?.errorCode, ErrorCode.NONE, `fetch ${t.topic}: ${p?.errorCode}`);
      const values = decodeRecordBatches(p?.records ?? Buffer.alloc(0)).flatMap((b) => b.records.map((r) => r.value?.toString()));
      assert.deepEqual(values, Array.from({ length: rounds }, (_, r) => `${t.topic}/${r}`));
    }
  });
}

/** A fresh connection still works (no EMFILE on accept) and the fd count stays below the limit. */
async function checkHealthy(b: BrokerProcess): Promise<void> {
  const fresh = await WireClient.connect(b.port);
  try {
    assert.equal((await fresh.apiVersions()).errorCode, ErrorCode.NONE);
  } finally {
    fresh.close();
  }
  const fds = fdCount(b.child.pid);
  assert.ok(fds < FD_LIMIT / 2 + 64, `${fds} fds open with a limit of ${FD_LIMIT}`);
  assert.doesNotMatch(b.output(), /EMFILE/);
}

test(`${TOPICS} single-partition topics under an fd limit of ${FD_LIMIT}: create, write, read, restart cleanly and after kill -9`, { timeout: 600_000 }, async () => {
  let b = await start();
  let c = await WireClient.connect(b.port);
  await createAll(c);
  await produceAll(c, 0);
  await readAll(c, 1);
  await checkHealthy(b);
  c.close();

  assert.equal(await b.stop(), 0);
  b = await start();
  c = await WireClient.connect(b.port);
  await readAll(c, 1);
  await produceAll(c, 1);
  await readAll(c, 2);
  await checkHealthy(b);
  c.close();

  await b.kill();
  b = await start();
  c = await WireClient.connect(b.port);
  await readAll(c, 2);
  await produceAll(c, 2);
  await checkHealthy(b);
  c.close();
  assert.equal(await b.stop(), 0);
});
