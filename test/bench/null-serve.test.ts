/**
 * The null broker's serve mode (bench/null-serve.ts), the same-run floor of the latency section:
 * real clients produce and read the same records back, a consumer parked at the end is woken by a
 * produce, offsets are assigned in the batches, and the memory cap drops the oldest batches.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { NullBroker } from '../../bench/null-broker.js';
import { ServeStore } from '../../bench/null-serve.js';
import { WireClient } from '../../bench/wire-client.js';
import { ErrorCode } from '../../src/common/error-codes.js';
import { ApiKey } from '../../src/protocol/generated/api-keys.js';
import type { FetchResponse } from '../../src/protocol/generated/messages/fetch.js';
import type { ListOffsetsResponse } from '../../src/protocol/generated/messages/list-offsets.js';
import type { ProduceResponse } from '../../src/protocol/generated/messages/produce.js';
import { encodeRecordBatch } from '../../src/protocol/records/record.js';

const run = promisify(execFile);

async function until(what: string, cond: () => boolean, ms = 30_000): Promise<void> {
  const deadline = performance.now() + ms;
  while (!cond()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

function kcatProduce(port: number, topic: string, partition: number, lines: string[]): Promise<void> {
  const p = spawn('kcat', ['-b', `127.0.0.1:${port}`, '-P', '-t', topic, '-p', String(partition), '-X', 'acks=all'], { stdio: ['pipe', 'ignore', 'pipe'] });
  const done = new Promise<void>((resolve, reject) => p.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`kcat -P exited ${code}`)))));
  p.stdin.end(lines.join('\n') + '\n');
  return done;
}

test('null broker serve mode: kcat produces with acks=all and reads the same records back with their offsets; ListOffsets gives the range', async () => {
  const nb = new NullBroker({ serve: {} });
  await nb.start();
  try {
    nb.createTopic('sv', 2);
    const first = Array.from({ length: 30 }, (_, i) => `a-${i}`);
    const second = Array.from({ length: 12 }, (_, i) => `b-${i}`);
    await kcatProduce(nb.port, 'sv', 1, first);
    await kcatProduce(nb.port, 'sv', 1, second);
    await kcatProduce(nb.port, 'sv', 0, ['zero']);
    const got = await run('kcat', ['-b', `127.0.0.1:${nb.port}`, '-C', '-t', 'sv', '-p', '1', '-o', 'beginning', '-e', '-q', '-f', '%o %s\\n'], { timeout: 60_000 });
    assert.deepEqual(got.stdout.trim().split('\n'), [...first, ...second].map((v, i) => `${i} ${v}`));
    const from = await run('kcat', ['-b', `127.0.0.1:${nb.port}`, '-C', '-t', 'sv', '-p', '1', '-o', '35', '-e', '-q', '-f', '%o %s\\n'], { timeout: 60_000 });
    assert.deepEqual(from.stdout.trim().split('\n'), second.slice(5).map((v, i) => `${35 + i} ${v}`), 'from the middle of a batch: the records from the fetch offset on');
    assert.deepEqual(nb.served?.range('sv', 1), { start: 0, end: 42 });

    const c = await WireClient.connect(nb.port);
    try {
      const lo = await c.request<ListOffsetsResponse>(ApiKey.ListOffsets, 7, { replicaId: -1, isolationLevel: 0, topics: [{ name: 'sv', partitions: [{ partitionIndex: 1, currentLeaderEpoch: -1, timestamp: -1n }, { partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -2n }] }] });
      assert.deepEqual(lo.topics[0]?.partitions.map((p) => [p.errorCode, p.offset]), [[0, 42n], [0, 0n]]);
      // Past the end: OFFSET_OUT_OF_RANGE at once, with the range.
      const oor = await c.request<FetchResponse>(ApiKey.Fetch, 11, fetchBody('sv', 1, 43n, 10_000));
      const p = oor.responses[0]?.partitions[0];
      assert.equal(p?.errorCode, ErrorCode.OFFSET_OUT_OF_RANGE);
      assert.equal(p?.highWatermark, 42n);
    } finally {
      c.close();
    }
  } finally {
    await nb.stop();
  }
});

function fetchBody(topic: string, partition: number, fetchOffset: bigint, maxWaitMs: number): unknown {
  return {
    replicaId: -1, maxWaitMs, minBytes: 1, maxBytes: 1 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1, forgottenTopicsData: [], rackId: '',
    topics: [{ topic, partitions: [{ partition, currentLeaderEpoch: -1, fetchOffset, lastFetchedEpoch: -1, logStartOffset: -1n, partitionMaxBytes: 1 << 20 }] }],
  };
}

test('null broker serve mode: a fetch parked at the end is answered by the next produce, not its timeout', async () => {
  const nb = new NullBroker({ serve: {} });
  await nb.start();
  const fetcher = await WireClient.connect(nb.port);
  const producer = await WireClient.connect(nb.port);
  try {
    nb.createTopic('lp', 1);
    // A minute's wait: only the produce can answer it within the test's time.
    const pending = fetcher.request<FetchResponse>(ApiKey.Fetch, 11, fetchBody('lp', 0, 0n, 60_000));
    await until('the fetch to arrive', () => nb.stats.fetchRequests === 1);
    const batch = encodeRecordBatch({ records: [{ value: Buffer.from('one') }, { value: Buffer.from('two') }] });
    const pr = await producer.request<ProduceResponse>(ApiKey.Produce, 9, { transactionalId: null, acks: -1, timeoutMs: 10_000, topicData: [{ name: 'lp', partitionData: [{ index: 0, records: batch }] }] });
    assert.equal(pr.responses[0]?.partitionResponses[0]?.baseOffset, 0n);
    const res = await pending;
    const p = res.responses[0]?.partitions[0];
    assert.equal(p?.errorCode, 0);
    assert.equal(p?.highWatermark, 2n);
    assert.equal(nb.served?.stats.woken, 1);
    // The bytes served are the bytes produced, base offset assigned (0 here) and all.
    const served = p?.records ?? Buffer.alloc(0);
    assert.ok(served.equals(batch));

    // The second batch gets base offset 2 written into it.
    const pr2 = await producer.request<ProduceResponse>(ApiKey.Produce, 9, { transactionalId: null, acks: -1, timeoutMs: 10_000, topicData: [{ name: 'lp', partitionData: [{ index: 0, records: batch }] }] });
    assert.equal(pr2.responses[0]?.partitionResponses[0]?.baseOffset, 2n);
    const next = await fetcher.request<FetchResponse>(ApiKey.Fetch, 11, fetchBody('lp', 0, 2n, 0));
    const got = next.responses[0]?.partitions[0]?.records ?? Buffer.alloc(0);
    assert.equal(got.readBigInt64BE(0), 2n);
    assert.ok(got.subarray(8).equals(batch.subarray(8)), 'the rest of the batch as produced');
  } finally {
    fetcher.close();
    producer.close();
    await nb.stop();
  }
});

test('null broker serve mode: rdkafka consumer at the end (kcat -o end) gets what is produced after it, woken by the produce', async () => {
  const nb = new NullBroker({ serve: {} });
  await nb.start();
  try {
    nb.createTopic('tail', 1);
    await kcatProduce(nb.port, 'tail', 0, ['before']);
    const consumer = execFile('kcat', ['-b', `127.0.0.1:${nb.port}`, '-C', '-t', 'tail', '-p', '0', '-o', 'end', '-c', '3', '-q', '-f', '%o %s\\n', '-X', 'fetch.wait.max.ms=30000'], { timeout: 60_000 });
    let out = '';
    consumer.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((resolve) => consumer.once('exit', (code) => resolve(code)));
    // Parked at the end: a fetch at offset 1 is waiting.
    await until('the consumer to wait at the end', () => nb.stats.fetchRequests >= 1 && (nb.served?.range('tail', 0).end ?? 0) === 1);
    const wokenBefore = nb.served?.stats.woken ?? 0;
    await kcatProduce(nb.port, 'tail', 0, ['x', 'y', 'z']);
    assert.equal(await exited, 0);
    assert.deepEqual(out.trim().split('\n'), ['1 x', '2 y', '3 z']);
    assert.ok((nb.served?.stats.woken ?? 0) > wokenBefore, 'a waiting fetch was answered by the produce (fetch.wait.max.ms is 30 s)');
  } finally {
    await nb.stop();
  }
});

test('serve store: offsets across batches, the ring drops the oldest batches of any partition for room, out of range below the start', () => {
  const batch = encodeRecordBatch({ records: Array.from({ length: 4 }, () => ({ value: Buffer.alloc(100, 1) })) });
  const s = new ServeStore(batch.length * 4);
  assert.equal(s.append('t', 0, batch), 0);
  assert.equal(s.append('t', 1, batch), 0);
  assert.equal(s.append('t', 0, Buffer.concat([batch, batch])), 4, 'two batches in one request: 4 and 8');
  assert.deepEqual(s.range('t', 0), { start: 0, end: 12 }, 'the ring is full, nothing dropped yet');
  assert.equal(s.stats.dropped, 0);
  assert.equal(s.append('t', 1, batch), 4);
  assert.deepEqual(s.range('t', 0), { start: 4, end: 12 }, 'the oldest batch (t-0 at 0) made room');
  assert.deepEqual(s.range('t', 1), { start: 0, end: 8 });
  assert.equal(s.heldBytes, batch.length * 4);
  assert.equal(s.stats.dropped, 1);
  assert.equal(s.read('t', 0, 3, 1 << 20, true).errorCode, 'outOfRange');
  const r = s.read('t', 0, 9, 1 << 20, true);
  assert.ok(r.errorCode === 0 && r.records?.length === batch.length && r.records.readBigInt64BE(0) === 8n, 'the batch holding offset 9');
  const all = s.read('t', 1, 0, 1 << 20, true);
  assert.ok(all.errorCode === 0 && all.records?.length === batch.length * 2 && all.records.readBigInt64BE(batch.length) === 4n, 'both batches of t-1, the second wrapped to the ring\'s start');
  assert.ok(all.records.subarray(8, batch.length).equals(batch.subarray(8)));
  const one = s.read('t', 0, 4, 10, true);
  assert.ok(one.errorCode === 0 && one.records?.length === batch.length, 'at least one batch over the max bytes');
  const none = s.read('t', 0, 4, 10, false);
  assert.ok(none.errorCode === 0 && none.records === null);
  const bad = Buffer.from(batch);
  bad.writeInt8(1, 16);
  assert.equal(s.append('t', 1, bad), -1, 'magic 1: refused');
  assert.deepEqual(s.range('t', 1), { start: 0, end: 8 });
});
