/**
 * Zero-copy Fetch answers (docs/zero-copy.md) to real clients over TCP: record bytes sent from
 * the segment files with sendfile are byte-for-byte the stored ones and correctly framed for
 * kcat (librdkafka) and kafkajs; a reader too slow for the socket's buffers (the send stops on a
 * full buffer and resumes on writable events) gets its answer whole, and the answers pipelined
 * behind it after it, in order; over TLS the same answers are read and encrypted as before (never
 * sendfile); with fetch.zero.copy.enable=false nothing goes by sendfile.
 * The broker's zero-copy counters (Broker.zeroCopyStats) prove which path served the bytes.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { startBroker, type RunningBroker } from '../../src/index.js';
import { ProtocolClient } from '../../src/client/protocol-client.js';
import { zeroCopyAvailable } from '../../src/network/zero-copy-send.js';
import { decodeRecordBatches, encodeRecordBatch } from '../../src/protocol/records/record.js';
import type { FetchResponse } from '../../src/protocol/generated/messages/fetch.js';
import { kcat } from '../helpers/compat.js';
import { makeTestCerts } from '../helpers/certs.js';
import { startSecureBroker } from '../helpers/security.js';
import { waitFor, withClient } from '../helpers/wire.js';

let broker: RunningBroker;
let dataDir: string;
const quiet = { sink: (): void => undefined, level: 'warn' as const };

before(async () => {
  assert.ok(zeroCopyAvailable, 'the zero-copy addon is built (npm install / scripts/build-native.mjs)');
  dataDir = mkdtempSync(join(tmpdir(), 'samsa-zero-copy-'));
  broker = await startBroker({ port: 0, dataDir, logger: quiet, config: { 'group.initial.rebalance.delay.ms': 0 } });
});

after(async () => {
  await broker?.stop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

/** A printable value of `size` bytes for record `i` of `topic` (kcat prints values as text). */
function valueOf(topic: string, i: number, size: number): string {
  const seed = createHash('sha256').update(`${topic}/${i}`).digest('hex');
  return seed.repeat(Math.ceil(size / seed.length)).slice(0, size);
}

/** Produces `batches` batches of `perBatch` records of `size`-byte values with keys; returns the values in offset order. */
async function produce(topic: string, batches: number, perBatch: number, size: number, configs: Record<string, string | number> = {}): Promise<string[]> {
  const values: string[] = [];
  await withClient(broker.port, async (c) => {
    assert.equal(await c.createTopic(topic, 1, configs), 0);
    for (let b = 0; b < batches; b++) {
      const records = [];
      for (let r = 0; r < perBatch; r++) {
        const i = values.length;
        values.push(valueOf(topic, i, size));
        records.push({ key: Buffer.from(`k${i}`), value: Buffer.from(values[i] as string) });
      }
      const res = await c.produce(topic, 0, encodeRecordBatch({ records }));
      assert.equal(res.errorCode, 0);
    }
  });
  return values;
}

test('kcat and kafkajs read back, byte for byte, records served from the segment files with sendfile', { timeout: 120_000 }, async () => {
  const topic = 'zc-clients';
  // Segments of about 600 KB: every fetch of at most 1 MB per partition takes the rest of a segment.
  const values = await produce(topic, 30, 100, 2000, { 'segment.bytes': 600_000 });
  const total = values.reduce((a, v) => a + v.length, 0);

  const before1 = broker.broker.zeroCopyStats.fileBytes;
  const r = await kcat(['-C', '-b', broker.bootstrap, '-t', topic, '-p', '0', '-o', 'beginning', '-e', '-q', '-f', '%o %k %s\\n'], { timeoutMs: 60_000 });
  const lines = r.stdout.toString('utf8').split('\n').filter((l) => l !== '');
  assert.equal(lines.length, values.length);
  lines.forEach((l, i) => assert.equal(l, `${i} k${i} ${values[i] as string}`, `kcat record ${i}`));
  const kcatFileBytes = broker.broker.zeroCopyStats.fileBytes - before1;
  assert.ok(kcatFileBytes >= total / 2, `kcat: ${kcatFileBytes} of about ${total} bytes sent from the files`);

  const before2 = broker.broker.zeroCopyStats.fileBytes;
  const kafka = new Kafka({ clientId: 'zero-copy', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
  const consumer = kafka.consumer({ groupId: 'zc-kafkajs', maxBytesPerPartition: 1 << 20 });
  const seen: { offset: string; key: string; value: string }[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        seen.push({ offset: message.offset, key: message.key?.toString() ?? '', value: message.value?.toString() ?? '' });
      },
    });
    await waitFor(() => seen.length >= values.length, 60_000, 'kafkajs read every record');
  } finally {
    await consumer.disconnect();
  }
  assert.equal(seen.length, values.length);
  seen.forEach((m, i) => {
    assert.equal(m.offset, String(i));
    assert.equal(m.key, `k${i}`);
    assert.ok(m.value === values[i], `kafkajs record ${i}`);
  });
  const kafkajsFileBytes = broker.broker.zeroCopyStats.fileBytes - before2;
  assert.ok(kafkajsFileBytes >= total / 2, `kafkajs: ${kafkajsFileBytes} of about ${total} bytes sent from the files`);
  console.log(`# kcat: ${kcatFileBytes} B, kafkajs: ${kafkajsFileBytes} B of ${total} B of values sent with sendfile`);
});

test('a reader slower than the socket buffers: the send stops when they are full, resumes, and the answers behind it follow in order', { timeout: 120_000 }, async () => {
  const topic = 'zc-slow';
  // 24 batches of almost 1 MB: one answer of 23 MB, far more than the socket buffers hold.
  const values = await produce(topic, 24, 60, 16 * 1024);
  const client = await ProtocolClient.connect({ port: broker.port, requestTimeoutMs: 0 });
  try {
    const stats0 = { ...broker.broker.zeroCopyStats };
    client.pause();
    const fetch = client.request<FetchResponse>(1, 12, {
      replicaId: -1, maxWaitMs: 0, minBytes: 0, maxBytes: 64 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1,
      topics: [{ topic, partitions: [{ partition: 0, fetchOffset: 0n, partitionMaxBytes: 64 << 20, logStartOffset: -1n, currentLeaderEpoch: -1, lastFetchedEpoch: -1 }] }],
      forgottenTopicsData: [], rackId: '',
    });
    // Pipelined behind it: answered only after the whole Fetch answer.
    const order: string[] = [];
    const done = Promise.all([fetch.then(() => order.push('fetch')), client.request(18, 3, { clientSoftwareName: 'zc', clientSoftwareVersion: '1' }).then(() => order.push('apiVersions'))]);
    done.catch(() => undefined); // awaited below
    // The broker's send stopped on a full socket buffer (the client reads nothing).
    await waitFor(() => broker.broker.zeroCopyStats.waits > stats0.waits, 30_000, 'the zero-copy send waited for a writable socket');
    const stalledAt = broker.broker.zeroCopyStats.fileBytes - stats0.fileBytes;
    client.resume();
    await done;
    assert.deepEqual(order, ['fetch', 'apiVersions']);
    const res = await fetch;
    const p = res.responses[0]?.partitions[0];
    assert.ok(p);
    assert.equal(p.errorCode, 0);
    const batches = decodeRecordBatches(p.records ?? Buffer.alloc(0), { verifyCrc: true });
    const got = batches.flatMap((b) => b.records.map((r) => r.value?.toString() ?? ''));
    assert.equal(got.length, values.length);
    got.forEach((v, i) => assert.ok(v === values[i], `record ${i}`));
    const fileBytes = broker.broker.zeroCopyStats.fileBytes - stats0.fileBytes;
    const copied = broker.broker.zeroCopyStats.copiedBytes - stats0.copiedBytes;
    const waits = broker.broker.zeroCopyStats.waits - stats0.waits;
    const size = (p.records as Buffer).length;
    assert.equal(fileBytes + copied, size, 'every record byte went either by sendfile or as a copied piece');
    assert.ok(fileBytes > size / 2, `${fileBytes} of ${size} bytes by sendfile`);
    console.log(`# slow reader: ${size} B answer, ${stalledAt} B sent before the first stall, ${fileBytes} B by sendfile, ${copied} B copied in ${waits} waits`);
  } finally {
    client.close();
  }
});

test('fetch.zero.copy.enable=false: the same answers, nothing sent with sendfile', { timeout: 60_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'samsa-zero-copy-off-'));
  const off = await startBroker({ port: 0, dataDir: dir, logger: quiet, config: { 'fetch.zero.copy.enable': false } });
  try {
    await withClient(off.port, async (c) => {
      assert.equal(await c.createTopic('zc-off', 1), 0);
      const value = Buffer.alloc(10_000, 7);
      const res = await c.produce('zc-off', 0, encodeRecordBatch({ records: Array.from({ length: 50 }, () => ({ value })) }));
      assert.equal(res.errorCode, 0);
      const before1 = off.broker.zeroCopyStats.answers;
      const p = await c.fetchOnce('zc-off', 0, 0n);
      assert.equal(p.errorCode, 0);
      const batches = decodeRecordBatches(p.records ?? Buffer.alloc(0), { verifyCrc: true });
      assert.equal(batches[0]?.records.length, 50);
      assert.equal(off.broker.zeroCopyStats.answers, before1);
    });
  } finally {
    await off.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('TLS: kcat over SSL reads the same records, filled from the files, never sent with sendfile', { timeout: 90_000 }, async () => {
  const certs = makeTestCerts();
  try {
    const b = await startSecureBroker(certs);
    try {
      const topic = 'zc-tls';
      const values: string[] = [];
      await withClient(b.port('PLAINTEXT'), async (c) => {
        assert.equal(await c.createTopic(topic, 1), 0);
        for (let batch = 0; batch < 5; batch++) {
          const records = Array.from({ length: 100 }, () => {
            const i = values.length;
            values.push(valueOf(topic, i, 2000));
            return { value: Buffer.from(values[i] as string) };
          });
          assert.equal((await c.produce(topic, 0, encodeRecordBatch({ records }))).errorCode, 0);
        }
      });
      const answers0 = b.broker.broker.zeroCopyStats.answers;
      const r = await kcat(['-C', '-b', `127.0.0.1:${b.port('SSL')}`, '-X', 'security.protocol=SSL', '-X', `ssl.ca.location=${certs.caFile}`, '-t', topic, '-p', '0', '-o', 'beginning', '-e', '-q', '-f', '%o %s\\n'], { timeoutMs: 60_000 });
      const lines = r.stdout.toString('utf8').split('\n').filter((l) => l !== '');
      assert.equal(lines.length, values.length);
      lines.forEach((l, i) => assert.equal(l, `${i} ${values[i] as string}`, `kcat record ${i}`));
      assert.equal(b.broker.broker.zeroCopyStats.answers, answers0, 'no answer went by sendfile on the TLS listener');
    } finally {
      await b.stop();
    }
  } finally {
    certs.remove();
  }
});
