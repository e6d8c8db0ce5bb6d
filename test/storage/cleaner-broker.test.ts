/**
 * Compaction end to end on a broker process: 1,000,000 updates over 10,000 keys produced in big
 * batches to a compacted topic with small segments, a low min.cleanable.dirty.ratio and a short
 * cleaner backoff. After cleaning, the newest value of every key is readable from offset 0 at the
 * offset it was produced at, only a few segments remain, and keys deleted with a tombstone are
 * gone once delete.retention.ms has passed. Bounded to well under 60 s.
 */
import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { encodeRecordBatch } from '../../src/protocol/records/record.js';
import { removeDir, startBrokerProcess, type BrokerProcess } from '../helpers/broker-process.js';
import { WireClient, waitFor } from '../helpers/wire.js';

const TOPIC = 'compacted-1m';
const KEYS = 10_000;
const UPDATES = 1_000_000;
const PER_BATCH = 5_000;
const SEGMENT_BYTES = 512 * 1024;
const TOMBSTONED = 100;

let broker: BrokerProcess;
let c: WireClient;

before(async () => {
  broker = await startBrokerProcess({ overrides: { 'log.cleaner.backoff.ms': 100 } });
  c = await WireClient.connect(broker.port);
});

after(async () => {
  c?.close();
  await broker?.kill();
  if (broker) removeDir(broker.dataDir);
});

const keyOf = (k: number): string => `key-${String(k).padStart(5, '0')}`;

function logSegments(): string[] {
  return readdirSync(join(broker.dataDir, `${TOPIC}-0`)).filter((f) => f.endsWith('.log'));
}

/** Reads the partition from offset 0: key -> {offset, value} of its last record, checking offsets increase. */
async function readLatest(): Promise<{ latest: Map<string, { offset: bigint; value: string | null }>; records: number }> {
  const { batches } = await c.fetchAll(TOPIC, 0, 0n);
  const latest = new Map<string, { offset: bigint; value: string | null }>();
  let prev = -1n;
  let records = 0;
  for (const b of batches) {
    for (const r of b.records) {
      assert.ok(r.offset > prev, `offsets strictly increase (${prev} then ${r.offset})`);
      prev = r.offset;
      records++;
      latest.set(r.key!.toString(), { offset: r.offset, value: r.value === null ? null : r.value.toString() });
    }
  }
  return { latest, records };
}

it(`compacts ${UPDATES} updates over ${KEYS} keys down to the latest value per key`, { timeout: 90_000 }, async () => {
  const started = Date.now();
  assert.equal(
    await c.createTopic(TOPIC, 1, {
      'cleanup.policy': 'compact',
      'segment.bytes': SEGMENT_BYTES,
      'min.cleanable.dirty.ratio': '0.01',
      'delete.retention.ms': 1000,
      'file.delete.delay.ms': 0,
    }),
    0,
  );
  const expected = new Map<string, { offset: bigint; value: string | null }>();
  let rng = 12345;
  const next = (): number => {
    rng = (Math.imul(rng, 1103515245) + 12345) >>> 0;
    return rng;
  };
  const produce = async (records: { key: string; value: string | null }[]): Promise<void> => {
    const res = await c.produce(TOPIC, 0, encodeRecordBatch({ records }));
    assert.equal(res.errorCode, 0, res.errorMessage ?? '');
    records.forEach((r, i) => expected.set(r.key, { offset: res.baseOffset + BigInt(i), value: r.value }));
  };
  for (let done = 0; done < UPDATES; done += PER_BATCH) {
    const records = Array.from({ length: PER_BATCH }, (_, i) => ({ key: keyOf(next() % KEYS), value: `v${done + i}` }));
    await produce(records);
  }
  // Make sure every key exists, then delete some with tombstones.
  await produce(Array.from({ length: KEYS }, (_, k) => ({ key: keyOf(k), value: `final-${k}` })));
  await produce(Array.from({ length: TOMBSTONED }, (_, k) => ({ key: keyOf(k), value: null })));
  // Filler on other keys so the tombstones leave the active segment (never cleaned).
  for (let i = 0; i < 6; i++) await produce(Array.from({ length: PER_BATCH }, (_, j) => ({ key: keyOf(TOMBSTONED + ((i * PER_BATCH + j) % (KEYS - TOMBSTONED))), value: `filler-${i}-${j}` })));
  const produced = Date.now() - started;

  // Cleaning converges: the newest value of every live key at its original offset, few segments.
  let state = await waitFor(
    async () => {
      const segs = logSegments().length;
      if (segs > 4) return null;
      const s = await readLatest();
      return s.records < 3 * KEYS ? s : null;
    },
    45_000,
    'compaction down to a few segments',
    200,
  );
  for (const [key, want] of expected) {
    if (want.value === null) continue;
    const got = state.latest.get(key);
    assert.deepEqual(got, want, `latest of ${key}`);
  }
  // Tombstoned keys disappear after delete.retention.ms (1 s) once the cleaner runs again.
  state = await waitFor(
    async () => {
      const s = await readLatest();
      for (let k = 0; k < TOMBSTONED; k++) if (s.latest.has(keyOf(k))) return null;
      return s;
    },
    20_000,
    'tombstones removed after delete.retention.ms',
    200,
  );
  assert.equal(state.latest.size, KEYS - TOMBSTONED);
  for (const [key, want] of expected) if (want.value !== null) assert.deepEqual(state.latest.get(key), want);
  const segments = logSegments().length;
  assert.ok(segments <= 4, `segments on disk: ${segments}`);
  assert.equal((await c.listOffset(TOPIC, 0, -2n)).offset, 0n, 'the log still starts at offset 0');
  const total = Date.now() - started;
  console.log(`compaction: ${UPDATES} updates over ${KEYS} keys produced in ${produced} ms; ${state.records} records in ${segments} segments after ${total} ms`);
  assert.ok(total < 60_000, `took ${total} ms`);
});
