/**
 * kcat (librdkafka 2.0.2) against a Samsa broker process: keyed records with headers land on the
 * partitions Java's murmur2 partitioner picks and read back exactly, in order; every compression
 * codec round-trips; a million records go through and come back intact.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { removeDir, startBrokerProcess, tempDir, type BrokerProcess } from '../helpers/broker-process.js';
import { assertStoredWithCodec, expectedByPartition, kcat, type SentRecord } from '../helpers/compat.js';
import { WireClient, withClient } from '../helpers/wire.js';

const PARTITIONS = 5;
let broker: BrokerProcess;
let work: string;

before(async () => {
  work = tempDir('samsa-kcat-');
  broker = await startBrokerProcess({ overrides: { 'num.partitions': PARTITIONS } });
});

after(async () => {
  await broker?.kill();
  if (broker) removeDir(broker.dataDir);
  if (work) removeDir(work);
});

interface KcatJson {
  topic: string;
  partition: number;
  offset: number;
  key: string | null;
  payload: string | null;
  headers?: string[];
}

function parseJsonLines(out: Buffer): KcatJson[] {
  return out
    .toString('utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as KcatJson);
}

async function consumePartition(topic: string, partition: number): Promise<KcatJson[]> {
  const r = await kcat(['-C', '-b', broker.bootstrap, '-t', topic, '-p', String(partition), '-o', 'beginning', '-e', '-q', '-J'], { timeoutMs: 30_000 });
  return parseJsonLines(r.stdout);
}

test('kcat: keyed records with headers go to the murmur2 partition and read back exactly, in order', async () => {
  const topic = 'kcat-keyed';
  const sent: SentRecord[] = [];
  // kcat applies -H headers to every record of one run, so produce in rounds with different headers.
  for (let round = 0; round < 3; round++) {
    const headers: [string, string][] = [
      ['round', String(round)],
      ['src', 'kcat'],
    ];
    const lines: string[] = [];
    for (let i = 0; i < 150; i++) {
      const rec = { key: `user-${(i * 7 + round) % 61}`, value: `round ${round} record ${i} ${'v'.repeat(i % 23)}`, headers };
      sent.push(rec);
      lines.push(`${rec.key}\t${rec.value}`);
    }
    await kcat(['-P', '-b', broker.bootstrap, '-t', topic, '-K', '\t', '-H', 'round=' + round, '-H', 'src=kcat', '-X', 'partitioner=murmur2_random', '-X', 'linger.ms=20'], {
      input: lines.join('\n') + '\n',
      timeoutMs: 30_000,
    });
  }

  // The topic was auto-created with num.partitions.
  const md = await withClient(broker.port, (c) => c.metadata([topic]));
  assert.equal(md.topics[0].errorCode, 0);
  assert.equal(md.topics[0].partitions.length, PARTITIONS);

  const expected = expectedByPartition(sent, PARTITIONS);
  let nonEmpty = 0;
  for (let p = 0; p < PARTITIONS; p++) {
    const want = expected.get(p)!;
    if (want.length > 0) nonEmpty++;
    const got = await consumePartition(topic, p);
    assert.equal(got.length, want.length, `partition ${p}: record count`);
    got.forEach((g, i) => {
      const w = want[i]!;
      assert.equal(g.offset, i, `partition ${p}: offsets are dense from 0`);
      assert.equal(g.key, w.key, `partition ${p} offset ${i}: key`);
      assert.equal(g.payload, w.value, `partition ${p} offset ${i}: value`);
      assert.deepEqual(g.headers ?? [], w.headers.flat(), `partition ${p} offset ${i}: headers`);
    });
  }
  assert.ok(nonEmpty >= 3, 'keys spread over several partitions');
});

for (const codec of ['gzip', 'snappy', 'lz4', 'zstd']) {
  test(`kcat: ${codec}-compressed produce and consume round trip`, async () => {
    const topic = `kcat-z-${codec}`;
    const values: string[] = [];
    for (let i = 0; i < 3000; i++) values.push(`${codec} message ${i} ${'abcdefgh'.repeat(1 + (i % 9))}`);
    await kcat(['-P', '-b', broker.bootstrap, '-t', topic, '-p', '0', '-z', codec, '-X', 'linger.ms=50', '-H', `codec=${codec}`], {
      input: values.join('\n') + '\n',
      timeoutMs: 30_000,
    });
    const got = await consumePartition(topic, 0);
    assert.deepEqual(
      got.map((g) => g.payload),
      values,
    );
    assert.deepEqual(got[0]?.headers, ['codec', codec]);
    // The stored batches are really compressed with the codec (and intact: CRCs are checked).
    const stored = await withClient(broker.port, (c) => c.fetchAll(topic, 0));
    assert.ok(stored.batches.length > 0);
    assert.ok(stored.batches.length < values.length / 10, `records were batched (${stored.batches.length} batches)`);
    assertStoredWithCodec(stored.batches, codec);
    assert.equal(stored.batches.reduce((n, b) => n + b.records.length, 0), values.length);
  });
}

test('kcat: 1,000,000 records produced from a file and consumed back intact', async () => {
  const topic = 'kcat-million';
  const N = 1_000_000;
  const lines: string[] = new Array(N);
  for (let i = 0; i < N; i++) lines[i] = `m${String(i).padStart(7, '0')}:${((i * 2654435761) >>> 0).toString(36)}`;
  const file = join(work, 'million.txt');
  writeFileSync(file, lines.join('\n') + '\n');
  const sortedSent = [...lines].sort();
  const sentHash = createHash('sha256').update(sortedSent.join('\n')).digest('hex');

  const t0 = performance.now();
  await kcat(['-P', '-b', broker.bootstrap, '-t', topic, '-l', file, '-X', 'linger.ms=5', '-X', 'batch.num.messages=10000', '-X', 'queue.buffering.max.messages=500000'], { timeoutMs: 90_000 });
  const t1 = performance.now();
  const r = await kcat(['-C', '-b', broker.bootstrap, '-t', topic, '-o', 'beginning', '-e', '-q', '-f', '%s\n'], { timeoutMs: 90_000 });
  const t2 = performance.now();

  const got = r.stdout.toString('utf8').split('\n');
  if (got[got.length - 1] === '') got.pop();
  assert.equal(got.length, N, 'consumed record count');
  got.sort();
  const gotHash = createHash('sha256').update(got.join('\n')).digest('hex');
  assert.equal(gotHash, sentHash, 'sha256 of sorted lines');

  // The broker's own offsets agree: the high watermarks add up to N.
  const total = await withClient(broker.port, async (c: WireClient) => {
    let sum = 0n;
    for (let p = 0; p < PARTITIONS; p++) {
      const lo = await c.listOffset(topic, p, -1n);
      assert.equal(lo.errorCode, 0);
      sum += lo.offset;
    }
    return sum;
  });
  assert.equal(total, BigInt(N));

  const produceS = (t1 - t0) / 1000;
  const consumeS = (t2 - t1) / 1000;
  console.log(`# kcat 1M records: produce ${produceS.toFixed(1)} s, consume ${consumeS.toFixed(1)} s`);
  assert.ok(produceS + consumeS < 60, `1M records took ${(produceS + consumeS).toFixed(1)} s (limit 60 s)`);
});
