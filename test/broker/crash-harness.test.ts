/**
 * Crash harness: a broker process is SIGKILLed at random moments, 20+ times, while producers with
 * acks=all write to a plain topic with tiny segments (constant segment rolls) and to a compacted
 * topic cleaned continuously (backoff 50 ms, dirty ratio 0.01). After every restart:
 * - the broker is up within a bounded time;
 * - every batch served decodes with a valid CRC;
 * - plain topic: every acknowledged record is present exactly once, at its acknowledged offset;
 * - compacted topic: no record appears twice or at another offset than acknowledged, and for every
 *   key the newest record in the log is at least as new as the newest acknowledged one (equal
 *   offset = equal value).
 * Prints a summary line (rounds, records acknowledged, lost: 0).
 */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { encodeRecordBatch } from '../../src/protocol/records/record.js';
import { startBrokerProcess, type BrokerProcess } from '../helpers/broker-process.js';
import { crashDataDir, crashSeed, prng } from '../helpers/crash.js';
import { WireClient } from '../helpers/wire.js';

const ROUNDS = 22;
const PLAIN = 'crash-plain';
const COMPACT = 'crash-compact';
const KEYS = 2000;
const MAX_STARTUP_MS = 10_000;
const OVERRIDES = { 'log.cleaner.backoff.ms': 50, 'log.segment.delete.delay.ms': 0 };

let broker: BrokerProcess | undefined;
const dataDir = crashDataDir('samsa-crash-', () => broker);

interface Rec {
  key: string;
  value: string;
}

async function readAll(c: WireClient, topic: string): Promise<{ offset: bigint; key: string; value: string }[]> {
  // fetchAll decodes every batch with CRC verification: a corrupt batch throws.
  const { batches } = await c.fetchAll(topic, 0, 0n);
  const out: { offset: bigint; key: string; value: string }[] = [];
  for (const b of batches) for (const r of b.records) out.push({ offset: r.offset, key: r.key!.toString(), value: r.value!.toString() });
  return out;
}

it(`survives ${ROUNDS} SIGKILLs during produce, segment rolls and compaction without losing acknowledged records`, { timeout: 150_000 }, async () => {
  const seed = crashSeed();
  const rand = prng(seed);
  const ackedPlain = new Map<bigint, Rec>();
  const ackedCompact = new Map<bigint, Rec>();
  let seq = 0;
  let maxStartup = 0;
  let killsWithRequestsInFlight = 0;
  let killsDuringCleaning = 0;
  const started = Date.now();

  for (let round = 0; round < ROUNDS; round++) {
    const t0 = Date.now();
    broker = await startBrokerProcess({ dataDir, overrides: OVERRIDES });
    const startup = Date.now() - t0;
    maxStartup = Math.max(maxStartup, startup);
    assert.ok(startup < MAX_STARTUP_MS, `round ${round} (seed ${seed}): broker took ${startup} ms to start`);
    const c = await WireClient.connect(broker.port);
    if (round === 0) {
      assert.equal(await c.createTopic(PLAIN, 1, { 'segment.bytes': 16384 }), 0);
      assert.equal(await c.createTopic(COMPACT, 1, { 'cleanup.policy': 'compact', 'segment.bytes': 8192, 'min.cleanable.dirty.ratio': '0.01', 'file.delete.delay.ms': 0 }), 0);
    }

    // ---- verify everything acknowledged so far
    const plain = await readAll(c, PLAIN);
    const plainByValue = new Map<string, bigint>();
    for (const r of plain) {
      assert.ok(!plainByValue.has(r.value), `round ${round} (seed ${seed}): ${r.value} appears twice`);
      plainByValue.set(r.value, r.offset);
    }
    for (const [offset, rec] of ackedPlain) {
      assert.equal(plainByValue.get(rec.value), offset, `round ${round} (seed ${seed}): acknowledged ${rec.value} at ${offset}`);
    }
    const compact = await readAll(c, COMPACT);
    const seenValues = new Set<string>();
    const latestInLog = new Map<string, { offset: bigint; value: string }>();
    for (const r of compact) {
      assert.ok(!seenValues.has(r.value), `round ${round} (seed ${seed}): ${r.value} appears twice in the compacted topic`);
      seenValues.add(r.value);
      const acked = ackedCompact.get(r.offset);
      if (acked !== undefined) assert.equal(r.value, acked.value, `round ${round} (seed ${seed}): compacted record at ${r.offset}`);
      latestInLog.set(r.key, { offset: r.offset, value: r.value });
    }
    const latestAcked = new Map<string, { offset: bigint; value: string }>();
    for (const [offset, rec] of ackedCompact) {
      const prev = latestAcked.get(rec.key);
      if (prev === undefined || prev.offset < offset) latestAcked.set(rec.key, { offset, value: rec.value });
    }
    for (const [key, want] of latestAcked) {
      const got = latestInLog.get(key);
      assert.ok(got !== undefined && got.offset >= want.offset, `round ${round} (seed ${seed}): key ${key} lost its acknowledged value at ${want.offset}`);
      if (got.offset === want.offset) assert.equal(got.value, want.value);
    }

    // ---- produce with acks=all until a SIGKILL at a random moment
    let stop = false;
    let inFlight = 0;
    const worker = async (topic: string, acked: Map<bigint, Rec>, keyed: boolean): Promise<void> => {
      while (!stop) {
        const s = seq++;
        const n = 5 + Math.floor(rand() * 20);
        const records: Rec[] = Array.from({ length: n }, (_, i) => ({
          key: keyed ? `k${Math.floor(rand() * KEYS)}` : `p${s}`,
          value: `r${round}-s${s}-${i}-${'x'.repeat(Math.floor(rand() * 100))}`,
        }));
        inFlight++;
        try {
          const res = await c.produce(topic, 0, encodeRecordBatch({ records }), -1);
          if (res.errorCode === 0) records.forEach((r, i) => acked.set(res.baseOffset + BigInt(i), r));
        } catch {
          return; // connection gone: the broker was killed
        } finally {
          inFlight--;
        }
      }
    };
    const workers = [worker(PLAIN, ackedPlain, false), worker(PLAIN, ackedPlain, false), worker(COMPACT, ackedCompact, true), worker(COMPACT, ackedCompact, true)];
    await new Promise((r) => setTimeout(r, 30 + Math.floor(rand() * 600)));
    if (inFlight > 0) killsWithRequestsInFlight++;
    await broker.kill();
    // Leftovers of an interrupted cleaning (recovered at the next start).
    if (readdirSync(join(dataDir, `${COMPACT}-0`)).some((f) => f.endsWith('.cleaned') || f.endsWith('.swap'))) killsDuringCleaning++;
    stop = true;
    await Promise.all(workers);
    c.close();
    broker = undefined;
  }

  // Final check after one more restart, and a look at what compaction did.
  broker = await startBrokerProcess({ dataDir, overrides: OVERRIDES });
  const c = await WireClient.connect(broker.port);
  const plain = await readAll(c, PLAIN);
  const byOffset = new Map(plain.map((r) => [r.offset, r.value]));
  let lost = 0;
  for (const [offset, rec] of ackedPlain) if (byOffset.get(offset) !== rec.value) lost++;
  const compactRecords = (await readAll(c, COMPACT)).length;
  c.close();
  const segments = (topic: string): number => readdirSync(join(dataDir, `${topic}-0`)).filter((f) => f.endsWith('.log')).length;
  console.log(
    `crash harness (seed ${seed}): ${ROUNDS} rounds, ${ackedPlain.size + ackedCompact.size} records acknowledged ` +
      `(${ackedPlain.size} plain in ${segments(PLAIN)} segments, ${ackedCompact.size} compacted to ${compactRecords} records in ${segments(COMPACT)} segments), ` +
      `${killsWithRequestsInFlight} kills with requests in flight, ${killsDuringCleaning} with a cleaning interrupted, max startup ${maxStartup} ms, ${Date.now() - started} ms, lost: ${lost}`,
  );
  assert.equal(lost, 0);
  assert.ok(ackedPlain.size > 0 && ackedCompact.size > 0);
  assert.ok(compactRecords < ackedCompact.size, 'the compacted topic was compacted');
});
