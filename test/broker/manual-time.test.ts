/**
 * A broker on a ManualScheduler: time moves only when the test advances it, so behaviour that
 * waits for time (Fetch long-poll expiry, segment roll by segment.ms, retention checks, delayed
 * segment deletion by file.delete.delay.ms) is checked without sleeping and without timing
 * assertions: just before the deadline nothing has happened, just after it has.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManualScheduler, startBroker, type RunningBroker } from '../../src/index.js';
import { encodeRecordBatch } from '../../src/protocol/records/record.js';
import { API, WireClient, waitFor } from '../helpers/wire.js';

let scheduler: ManualScheduler;
let broker: RunningBroker;
let dataDir: string;
let c: WireClient;

before(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'samsa-manual-time-'));
  scheduler = new ManualScheduler(Date.now());
  broker = await startBroker({ port: 0, dataDir, scheduler, config: { 'log.retention.check.interval.ms': 1000 } });
  c = await WireClient.connect(broker.port);
});

after(async () => {
  c?.close();
  await broker?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

function files(topic: string, suffix: string): string[] {
  return readdirSync(join(dataDir, `${topic}-0`)).filter((f) => f.endsWith(suffix)).sort();
}

/** Record timestamps are the broker clock's now, or `timestamp` when given. */
async function produce(topic: string, values: string[], timestamp = scheduler.now()): Promise<bigint> {
  const ts = BigInt(timestamp);
  const r = await c.produce(topic, 0, encodeRecordBatch({ baseTimestamp: ts, records: values.map((v) => ({ value: v, timestamp: ts })) }));
  assert.equal(r.errorCode, 0, `produce: ${r.errorMessage}`);
  return r.baseOffset;
}

test('Fetch long poll with no data is answered when the broker clock passes max.wait.ms, not before', async () => {
  assert.equal(await c.createTopic('lp', 1), 0);
  await produce('lp', ['x']);
  const c2 = await WireClient.connect(broker.port);
  try {
    const timersBefore = scheduler.pending;
    let answered = false;
    const pending = c2
      .request(API.Fetch, 12, {
        replicaId: -1,
        maxWaitMs: 30_000,
        minBytes: 1,
        maxBytes: 1 << 20,
        isolationLevel: 0,
        sessionId: 0,
        sessionEpoch: -1,
        topics: [{ topic: 'lp', partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: 1n, lastFetchedEpoch: -1, logStartOffset: -1n, partitionMaxBytes: 1 << 20 }] }],
        forgottenTopicsData: [],
        rackId: '',
      })
      .then((r) => {
        answered = true;
        return r;
      });
    // The long poll is parked once its timer is on the broker's scheduler.
    await waitFor(() => scheduler.pending > timersBefore, 10_000, 'the fetch to park on the broker clock', 5);
    scheduler.advance(29_999);
    await c.request(API.ApiVersions, 3, { clientSoftwareName: 't', clientSoftwareVersion: '1' }); // a round trip for any answer to arrive
    assert.equal(answered, false, 'no answer before max.wait.ms of broker time');
    scheduler.advance(1);
    const r = await pending;
    assert.equal(r.responses[0].partitions[0].errorCode, 0);
    assert.equal(r.responses[0].partitions[0].records?.length ?? 0, 0, 'an empty answer at the deadline');
  } finally {
    c2.close();
  }
});

test('segment.ms (LogAppendTime): the next append rolls a new segment once the broker clock passed segment.ms', async () => {
  // LogAppendTime: the broker clock stamps the batches, and segment.ms is measured on those stamps
  // (the client's timestamps, all the same here, do not matter).
  assert.equal(await c.createTopic('roll', 1, { 'segment.ms': 60_000, 'message.timestamp.type': 'LogAppendTime' }), 0);
  const t0 = scheduler.now();
  await produce('roll', ['a'], t0);
  scheduler.advance(59_000);
  await produce('roll', ['b'], t0);
  assert.equal(files('roll', '.log').length, 1, 'no roll before segment.ms');
  scheduler.advance(1_001);
  const offset = await produce('roll', ['c'], t0);
  assert.deepEqual(files('roll', '.log'), ['00000000000000000000.log', `${String(offset).padStart(20, '0')}.log`], 'rolled at the first append after segment.ms');
});

test('retention.ms and file.delete.delay.ms: expired segments are renamed at the retention check and removed once the delay passed', async () => {
  const topic = 'ret-delay';
  assert.equal(await c.createTopic(topic, 1, { 'segment.bytes': 1024, 'retention.ms': 600_000, 'file.delete.delay.ms': 60_000 }), 0);
  for (let i = 0; i < 20; i++) await produce(topic, [`old-${i}-${'x'.repeat(200)}`]);
  const segments = files(topic, '.log').length;
  assert.ok(segments >= 4, `${segments} segments`);
  scheduler.advance(600_001);
  await produce(topic, ['fresh']);
  const logs = files(topic, '.log');
  const kept = BigInt((logs[logs.length - 1] as string).slice(0, 20)); // the segment holding the fresh record
  assert.equal(files(topic, '.deleted').length, 0, 'nothing deleted before a retention check');
  scheduler.advance(1_000); // the retention check runs
  assert.equal((await c.listOffset(topic, 0, -2n)).offset, kept, 'every segment with only expired records went');
  const deleted = files(topic, '.deleted').length;
  assert.ok(deleted >= logs.length - 1, `expired segments wait as .deleted files (${deleted})`);
  scheduler.advance(59_000);
  assert.equal(files(topic, '.deleted').length, deleted, 'still there before file.delete.delay.ms');
  scheduler.advance(1_000);
  await waitFor(() => files(topic, '.deleted').length === 0, 10_000, 'the .deleted files to be removed', 5);
});
