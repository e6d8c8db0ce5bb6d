/**
 * Log metrics (Kafka's kafka.log MBeans) read from /metrics with a Prometheus text parser: a
 * topic with flush.messages=1 counts one flush per append (three batches of five records: three
 * flushes, not fifteen) in kafka_log_logflushstats_logflushrateandtimems, each timed around its
 * fsyncs; kafka_log_logmanager_offlinelogdirectorycount goes from 0 to 1 when the disk under one
 * of the two log dirs fails (a real ext4 image shut down under the broker: test/helpers/failing-disk.ts).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBroker, type RunningBroker } from '../../src/index.js';
import { ErrorCode } from '../../src/common/error-codes.js';
import { encodeRecordBatch } from '../../src/protocol/records/record.js';
import { FailingDisk } from '../helpers/failing-disk.js';
import { scrape } from '../helpers/metrics.js';
import { WireClient, waitFor } from '../helpers/wire.js';

const FLUSH = 'kafka_log_logflushstats_logflushrateandtimems';
const OFFLINE = 'kafka_log_logmanager_offlinelogdirectorycount';
const PARTITIONS = 6;
let broker: RunningBroker | undefined;
let disk: FailingDisk | undefined;
const dirA = mkdtempSync(join(tmpdir(), 'samsa-log-metrics-'));

before(() => {
  disk = FailingDisk.create();
});
after(async () => {
  await broker?.stop();
  disk?.remove();
  rmSync(dirA, { recursive: true, force: true });
});

const batch = (n: number, tag: string): Buffer => encodeRecordBatch({ records: Array.from({ length: n }, (_, i) => ({ value: `${tag}-${i}` })) });

test('LogFlushRateAndTimeMs counts each flush (flush.messages=1: one per append); OfflineLogDirectoryCount counts a failed log dir', { timeout: 120_000 }, async () => {
  const dirB = (disk as FailingDisk).dir('logs');
  broker = await startBroker({ port: 0, config: { 'log.dirs': `${dirA},${dirB}`, 'metrics.listeners': 'http://127.0.0.1:0' } });
  const url = broker.broker.observability?.listeners[0]?.url ?? '';
  const c = await WireClient.connect(broker.port);
  try {
    assert.equal(await c.createTopic('flushed', PARTITIONS, { 'flush.messages': 1 }), 0);
    const inA = [...Array(PARTITIONS).keys()].filter((p) => existsSync(join(dirA, `flushed-${p}`)));
    const inB = [...Array(PARTITIONS).keys()].filter((p) => existsSync(join(dirB, `flushed-${p}`)));
    assert.ok(inA.length > 0 && inB.length > 0, `partitions in both dirs: A ${inA}, B ${inB}`);
    const first = await scrape(url);
    assert.equal(first.value(OFFLINE), 0);
    const before_ = first.sample(FLUSH);
    const p = inA[0] as number;
    for (let i = 0; i < 3; i++) assert.equal((await c.produce('flushed', p, batch(5, `b${i}`))).errorCode, 0);
    const after_ = (await scrape(url)).sample(FLUSH);
    assert.ok(after_?.buckets !== undefined, 'a histogram');
    const flushes = Number(after_.count) - Number(before_?.count ?? 0);
    const ms = Number(after_.sum) - Number(before_?.sum ?? 0);
    console.log(`# 3 appends of 5 records with flush.messages=1: ${flushes} flushes, ${ms.toFixed(3)} ms in fsync`);
    assert.equal(flushes, 3, 'one flush per append, not per record');
    assert.ok(ms > 0, 'the flushes are timed');
    assert.equal(Number(after_.buckets['+Inf']), Number(after_.count));

    (disk as FailingDisk).fail();
    const q = inB[0] as number;
    assert.equal((await c.produce('flushed', q, batch(1, 'after'))).errorCode, ErrorCode.KAFKA_STORAGE_ERROR);
    const m = await waitFor(async () => {
      const s = await scrape(url);
      return s.value(OFFLINE) === 1 ? s : undefined;
    }, 10_000, 'OfflineLogDirectoryCount 1');
    assert.equal(m.value(OFFLINE), 1);
  } finally {
    c.close();
  }
});
