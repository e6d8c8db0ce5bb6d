/**
 * Log cleaner on a PartitionLog: latest value per key kept at its original offset, tombstones and
 * keyless records, delete horizons, aborted transactions, passes with a small offset map,
 * compressed batches, grouping of small segments, and crash safety at each step of the swap.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { CompressionType } from '../../src/protocol/records/batch-header.js';
import { encodeControlBatch } from '../../src/protocol/records/control-record.js';
import { decodeRecordBatches, encodeRecordBatch, type RecordBatch } from '../../src/protocol/records/record.js';
import { CLEANER_OFFSET_CHECKPOINT, LogCleaner, type CleanerLogSource } from '../../src/storage/cleaner/log-cleaner.js';
import { murmur3x86_128, OffsetMap } from '../../src/storage/cleaner/offset-map.js';
import { recoverCleanerFiles, swapFile } from '../../src/storage/cleaner/swap-files.js';
import type { LogConfig } from '../../src/storage/log-config.js';
import { PartitionLog } from '../../src/storage/partition-log.js';
import { config, manualClock, tempDirs } from './helpers.js';

const newDir = tempDirs('samsa-cleaner-');

const compactConfig = (o: Partial<LogConfig> = {}): LogConfig =>
  config({ segmentBytes: 4096, cleanupPolicy: { compact: true, delete: false }, minCleanableDirtyRatio: 0, deleteRetentionMs: 1000, ...o });

function source(dir: string, logs: PartitionLog[]): CleanerLogSource {
  return { logDirs: [dir], allLogs: () => logs };
}

function open(dir: string, cfg: LogConfig, now?: () => number): PartitionLog {
  const log = PartitionLog.open(join(dir, 't-0'), 't', 0, cfg, now ? { now } : {});
  log.highWatermark = log.logEndOffset;
  return log;
}

function append(log: PartitionLog, records: { key: string | null; value: string | null }[], compression: number = CompressionType.none): number {
  const r = log.appendAsLeader(encodeRecordBatch({ records: records.map((x) => ({ key: x.key, value: x.value })), compression }), 0);
  log.highWatermark = log.logEndOffset;
  return r.firstOffset;
}

function readBatches(log: PartitionLog): RecordBatch[] {
  const out: RecordBatch[] = [];
  let offset = log.logStartOffset;
  while (offset < log.logEndOffset) {
    const r = log.read(offset, 1 << 20, log.logEndOffset, true);
    if (r.records.length === 0) break;
    const bs = decodeRecordBatches(r.records, { verifyCrc: true });
    assert.ok(bs.length > 0);
    out.push(...bs);
    const last = bs[bs.length - 1] as RecordBatch;
    offset = Number(last.baseOffset) + last.lastOffsetDelta + 1;
  }
  return out;
}

/** key -> [offset, value] of every record, checking offsets strictly increase. */
function contents(log: PartitionLog): { records: { offset: number; key: string | null; value: string | null }[]; latest: Map<string, string | null> } {
  const records: { offset: number; key: string | null; value: string | null }[] = [];
  let prev = -1;
  for (const b of readBatches(log)) {
    if (b.isControl) continue;
    for (const r of b.records) {
      const offset = Number(r.offset);
      assert.ok(offset > prev, `offsets increase (${prev} then ${offset})`);
      prev = offset;
      records.push({ offset, key: r.key?.toString() ?? null, value: r.value?.toString() ?? null });
    }
  }
  const latest = new Map<string, string | null>();
  for (const r of records) if (r.key !== null) latest.set(r.key, r.value);
  return { records, latest };
}

function logFiles(log: PartitionLog): string[] {
  return readdirSync(log.dir).filter((f) => f.endsWith('.log'));
}

describe('offset map', () => {
  it('murmur3 distinguishes keys and the map keeps the latest offset, growing to its bound', () => {
    const a = new Int32Array(4);
    const b = new Int32Array(4);
    murmur3x86_128(Buffer.from('key-1'), 0, 5, a);
    murmur3x86_128(Buffer.from('key-2'), 0, 5, b);
    assert.notDeepEqual([...a], [...b]);
    const map = new OffsetMap(1 << 20);
    for (let i = 0; i < 20_000; i++) assert.ok(map.put(Buffer.from(`k${i % 10_000}`), 0, `k${i % 10_000}`.length, i));
    assert.equal(map.size, 10_000);
    for (let k = 0; k < 10_000; k += 997) assert.equal(map.get(Buffer.from(`k${k}`), 0, `k${k}`.length), 10_000 + k);
    assert.equal(map.get(Buffer.from('absent'), 0, 6), -1);
    const small = new OffsetMap(100 * 1024);
    let n = 0;
    while (small.put(Buffer.from(`x${n}`), 0, `x${n}`.length, n)) n++;
    assert.equal(n, small.capacity);
    assert.ok(small.memoryBytes <= 100 * 1024);
  });
});

describe('log cleaner', () => {
  it('keeps the newest record of every key at its original offset and shrinks the log', async () => {
    const dir = newDir();
    const log = open(dir, compactConfig());
    const expected = new Map<string, string>();
    const offsetOf = new Map<string, number>();
    for (let round = 0; round < 60; round++) {
      const recs = Array.from({ length: 20 }, (_, i) => ({ key: `k${(round * 7 + i) % 50}`, value: `v${round}-${i}-${'x'.repeat(20)}` }));
      const first = append(log, recs);
      recs.forEach((r, i) => {
        expected.set(r.key, r.value);
        offsetOf.set(r.key, first + i);
      });
    }
    const before = log.size();
    const segmentsBefore = log.segmentCount();
    const cleaner = new LogCleaner(source(dir, [log]));
    const stats = await cleaner.cleanOnce();
    assert.ok(stats !== null, 'a log with min.cleanable.dirty.ratio 0 is cleaned');
    assert.ok(log.size() < before / 2, `size ${before} -> ${log.size()}`);
    // Segments are grouped by their size before cleaning (as Kafka does), so the small cleaned
    // segments merge at the next cleaning.
    await cleaner.cleanLog(log);
    assert.ok(log.segmentCount() < segmentsBefore, `segments ${segmentsBefore} -> ${log.segmentCount()}`);
    const { records, latest } = contents(log);
    assert.deepEqual(latest, expected);
    // Below the active segment (never cleaned, so not in the map) each key appears once, with the
    // newest value it had there.
    const activeBase = log.segmentBaseOffsets().at(-1) as number;
    const below = records.filter((r) => r.offset < activeBase);
    assert.equal(new Set(below.map((r) => r.key)).size, below.length);
    for (const r of below) {
      const latest = offsetOf.get(r.key as string) as number;
      if (latest < activeBase) assert.equal(r.offset, latest, `${r.key} keeps its newest record`);
    }
    assert.equal(cleaner.checkpointOf(log), activeBase);
    assert.ok(existsSync(join(dir, CLEANER_OFFSET_CHECKPOINT)));
    assert.equal(await cleaner.cleanOnce(), null, 'nothing dirty any more');
    assert.equal(log.logStartOffset, 0);
    assert.equal(log.read(0, 1 << 20, log.logEndOffset, true).records.length > 0, true, 'readable from offset 0');
    log.close();
    // Reopens cleanly (indexes of the cleaned segments are valid).
    const again = open(dir, compactConfig());
    assert.deepEqual(contents(again).latest, expected);
    again.close();
  });

  it('drops keyless records and superseded values in compressed batches, rebuilding them with their codec', async () => {
    const dir = newDir();
    const log = open(dir, compactConfig());
    for (let i = 0; i < 40; i++) {
      append(log, [{ key: `a${i % 5}`, value: `va${i}` }, { key: null, value: 'no key' }, { key: `b${i}`, value: `vb${i}` }], CompressionType.gzip);
    }
    append(log, Array.from({ length: 200 }, (_, i) => ({ key: 'filler', value: `f${i}${'y'.repeat(30)}` })));
    const cleaner = new LogCleaner(source(dir, [log]));
    await cleaner.cleanLog(log);
    const batches = readBatches(log);
    const cleanedCompressed = batches.filter((b) => b.compression === CompressionType.gzip);
    assert.ok(cleanedCompressed.length > 0);
    const { records } = contents(log);
    assert.ok(!records.some((r) => r.key === null && r.offset < (log.segmentBaseOffsets().at(-1) as number)), 'keyless records removed');
    for (let i = 0; i < 40; i++) assert.ok(records.some((r) => r.key === `b${i}`), `unique key b${i} kept`);
    for (let k = 0; k < 5; k++) assert.equal(records.filter((r) => r.key === `a${k}`).length, 1);
    log.close();
  });

  it('tombstones get a delete horizon and disappear after delete.retention.ms', async () => {
    const dir = newDir();
    const clock = manualClock(10_000_000);
    const log = open(dir, compactConfig({ deleteRetentionMs: 5000 }), clock.now);
    for (let i = 0; i < 30; i++) append(log, Array.from({ length: 10 }, (_, j) => ({ key: `k${j}`, value: `v${i}-${'z'.repeat(30)}` })));
    append(log, [{ key: 'k3', value: null }, { key: 'k4', value: null }]);
    log.roll();
    append(log, [{ key: 'other', value: 'x' }]);
    const cleaner = new LogCleaner(source(dir, [log]), {}, clock.now);
    await cleaner.cleanLog(log);
    let { latest } = contents(log);
    assert.equal(latest.get('k3'), null, 'tombstone still there before the horizon');
    assert.ok(latest.has('k3'));
    assert.equal(cleaner.dirtiest(clock.now()), null, 'nothing due before the horizon');
    clock.advance(6000);
    const due = cleaner.dirtiest(clock.now());
    assert.ok(due !== null && due.info.mustClean, 'a passed delete horizon makes the log due');
    await cleaner.cleanOnce();
    ({ latest } = contents(log));
    assert.ok(!latest.has('k3') && !latest.has('k4'), 'tombstoned keys gone');
    assert.equal(latest.get('k5')?.startsWith('v29'), true);
    log.close();
  });

  it('cleans in several passes when the offset map is small', async () => {
    const dir = newDir();
    const log = open(dir, compactConfig({ segmentBytes: 16384 }));
    const expected = new Map<string, string>();
    for (let i = 0; i < 12_000; i += 100) {
      const recs = Array.from({ length: 100 }, (_, j) => ({ key: `key-${(i + j) % 6000}`, value: `v${i + j}` }));
      append(log, recs);
      for (const r of recs) expected.set(r.key, r.value);
    }
    const cleaner = new LogCleaner(source(dir, [log]), { dedupeBufferSize: 100 * 1024 });
    let passes = 0;
    while ((await cleaner.cleanOnce()) !== null) {
      passes++;
      assert.ok(passes < 50);
    }
    assert.ok(passes >= 2, `passes: ${passes}`);
    assert.deepEqual(contents(log).latest, expected);
    const activeBase = log.segmentBaseOffsets().at(-1) as number;
    const below = contents(log).records.filter((r) => r.offset < activeBase);
    assert.equal(new Set(below.map((r) => r.key)).size, below.length, 'one record per key below the active segment');
    log.close();
  });

  it('tombstones cleaned over several passes never resurrect older values', async () => {
    // One big segment, an offset map holding ~3000 keys: the first passes end long before the
    // tombstones, which sit in the same segment and must stay untouched until they are mapped.
    const dir = newDir();
    const clock = manualClock(90_000_000);
    const log = open(dir, compactConfig({ segmentBytes: 1 << 20, deleteRetentionMs: 0 }), clock.now);
    for (let i = 0; i < 9000; i += 100) append(log, Array.from({ length: 100 }, (_, j) => ({ key: `key-${i + j}`, value: `v${i + j}` })));
    append(log, Array.from({ length: 100 }, (_, k) => ({ key: `key-${k}`, value: null })));
    log.roll();
    append(log, [{ key: 'last', value: 'x' }]);
    const cleaner = new LogCleaner(source(dir, [log]), { dedupeBufferSize: 100 * 1024 }, clock.now);
    let passes = 0;
    for (; passes < 20; passes++) {
      clock.advance(10);
      if ((await cleaner.cleanOnce()) === null) break;
      const { latest } = contents(log);
      for (let k = 0; k < 100; k++) {
        const v = latest.get(`key-${k}`);
        assert.ok(v === undefined || v === null, `pass ${passes}: key-${k} resurrected as ${v}`);
      }
    }
    assert.ok(passes >= 3, `passes: ${passes}`);
    clock.advance(10);
    await cleaner.cleanLog(log);
    const { latest } = contents(log);
    for (let k = 0; k < 100; k++) assert.ok(!latest.has(`key-${k}`), `key-${k} gone`);
    assert.equal(latest.size, 9000 - 100 + 1);
    log.close();
  });

  it('drops aborted transactional data and keeps markers while their data remains', async () => {
    const dir = newDir();
    const log = open(dir, compactConfig());
    const aborted: { producerId: bigint; firstOffset: number; lastOffset: number }[] = [];
    log.cleanerHooks = { stableOffset: () => log.highWatermark, abortedTxns: () => aborted };
    const txnBatch = (pid: bigint, seq: number, key: string, value: string): Buffer =>
      encodeRecordBatch({ records: [{ key, value }], producerId: pid, producerEpoch: 0, baseSequence: seq, isTransactional: true });
    const a1 = log.appendAsLeader(txnBatch(7n, 0, 'k', 'committed'), 0).firstOffset;
    log.appendAsLeader(encodeControlBatch({ producerId: 7n, producerEpoch: 0, timestamp: 1n, type: 'COMMIT', coordinatorEpoch: 0 }), 0);
    const b1 = log.appendAsLeader(txnBatch(7n, 1, 'k', 'aborted'), 0).firstOffset;
    const m = log.appendAsLeader(encodeControlBatch({ producerId: 7n, producerEpoch: 0, timestamp: 1n, type: 'ABORT', coordinatorEpoch: 0 }), 0).firstOffset;
    aborted.push({ producerId: 7n, firstOffset: b1, lastOffset: m });
    log.roll();
    append(log, [{ key: 'x', value: 'y' }]);
    const cleaner = new LogCleaner(source(dir, [log]));
    await cleaner.cleanLog(log);
    const { latest, records } = contents(log);
    assert.equal(latest.get('k'), 'committed', 'the aborted value neither survives nor shadows the committed one');
    assert.ok(records.some((r) => r.offset === a1));
    log.close();
  });

  it('stops below min.compaction.lag.ms and never touches the active segment', async () => {
    const dir = newDir();
    const clock = manualClock(50_000_000);
    const log = open(dir, compactConfig({ minCompactionLagMs: 60_000 }), clock.now);
    for (let i = 0; i < 40; i++) {
      log.appendAsLeader(encodeRecordBatch({ records: Array.from({ length: 10 }, (_, j) => ({ key: `k${j}`, value: `v${i}${'q'.repeat(40)}`, timestamp: BigInt(clock.now()) })) }), 0);
    }
    log.highWatermark = log.logEndOffset;
    const cleaner = new LogCleaner(source(dir, [log]), {}, clock.now);
    assert.equal(await cleaner.cleanOnce(), null, 'records younger than the lag are not cleaned');
    clock.advance(120_000);
    const stats = await cleaner.cleanOnce();
    assert.ok(stats !== null);
    const activeBase = log.segmentBaseOffsets().at(-1) as number;
    assert.equal(stats.endOffset, activeBase);
    log.close();
  });

  it('max.compaction.lag.ms forces a cleaning below min.cleanable.dirty.ratio', async () => {
    const dir = newDir();
    const clock = manualClock(70_000_000);
    const log = open(dir, compactConfig({ minCleanableDirtyRatio: 0.99, maxCompactionLagMs: 60_000 }), clock.now);
    const ts = (): bigint => BigInt(clock.now());
    for (let i = 0; i < 20; i++) log.appendAsLeader(encodeRecordBatch({ records: Array.from({ length: 10 }, (_, j) => ({ key: `k${j}`, value: `v${i}${'m'.repeat(40)}`, timestamp: ts() })) }), 0);
    log.highWatermark = log.logEndOffset;
    const cleaner = new LogCleaner(source(dir, [log]), {}, clock.now);
    // A first cleaning makes most of the log "clean"; new dirty data then stays under the ratio.
    await cleaner.cleanLog(log);
    for (let i = 0; i < 3; i++) log.appendAsLeader(encodeRecordBatch({ records: [{ key: 'k1', value: `late${i}${'n'.repeat(300)}`, timestamp: ts() }] }), 0);
    log.roll();
    log.appendAsLeader(encodeRecordBatch({ records: [{ key: 'z', value: 'z', timestamp: ts() }] }), 0);
    log.highWatermark = log.logEndOffset;
    const info = cleaner.cleanableInfo(log);
    assert.ok(info !== null && info.dirtyBytes > 0 && info.ratio < 0.99 && !info.mustClean);
    assert.equal(await cleaner.cleanOnce(), null, 'under the ratio and younger than max.compaction.lag.ms');
    clock.advance(61_000);
    assert.equal(cleaner.cleanableInfo(log)?.mustClean, true);
    assert.ok((await cleaner.cleanOnce()) !== null, 'cleaned once the dirty data is older than max.compaction.lag.ms');
    log.close();
  });

  it('compact-only logs are not subject to time or size retention; compact,delete logs are', () => {
    const dir = newDir();
    const clock = manualClock(80_000_000);
    for (const [name, policy] of [['c', { compact: true, delete: false }], ['cd', { compact: true, delete: true }]] as const) {
      const log = PartitionLog.open(join(dir, `${name}-0`), name, 0, config({ segmentBytes: 1024, retentionMs: 1000, retentionBytes: 100, cleanupPolicy: policy }), { now: clock.now });
      for (let i = 0; i < 20; i++) log.appendAsLeader(encodeRecordBatch({ records: [{ key: `k${i}`, value: 'r'.repeat(200), timestamp: BigInt(clock.now() - 10_000) }] }), 0);
      log.highWatermark = log.logEndOffset;
      const deleted = log.applyRetention(clock.now());
      if (policy.delete) assert.ok(deleted > 0, 'compact,delete: retention applies');
      else assert.equal(deleted, 0, 'compact only: nothing deleted by retention');
      log.close();
    }
  });

  for (const step of ['cleaned-written', 'swap-committed'] as const) {
    it(`a crash at '${step}' leaves a consistent log at the next load`, async () => {
      const dir = newDir();
      const log = open(dir, compactConfig());
      const expected = new Map<string, string>();
      for (let i = 0; i < 40; i++) {
        const recs = Array.from({ length: 10 }, (_, j) => ({ key: `k${(i + j) % 13}`, value: `v${i}-${j}-${'w'.repeat(30)}` }));
        append(log, recs);
        for (const r of recs) expected.set(r.key, r.value);
      }
      const allBefore = contents(log).records.length;
      const cleaner = new LogCleaner(source(dir, [log]));
      cleaner.onStep = (s) => {
        if (s === step) throw new Error(`simulated crash at ${s}`);
      };
      await cleaner.cleanLog(log);
      const names = readdirSync(log.dir);
      if (step === 'cleaned-written') assert.ok(names.some((n) => n.endsWith('.cleaned')), `left: ${names.join(' ')}`);
      else assert.ok(names.some((n) => n.endsWith('.swap')), `left: ${names.join(' ')}`);
      // "Crash": drop the in-memory log without a clean shutdown and load the directory again.
      const reopened = PartitionLog.open(log.dir, 't', 0, compactConfig(), { recover: true });
      reopened.highWatermark = reopened.logEndOffset;
      const after = readdirSync(reopened.dir);
      assert.ok(!after.some((n) => n.endsWith('.cleaned') || n.endsWith('.swap')), `leftovers: ${after.join(' ')}`);
      const { records, latest } = contents(reopened);
      assert.deepEqual(latest, expected);
      if (step === 'cleaned-written') assert.equal(records.length, allBefore, 'rolled back: nothing removed');
      else assert.ok(records.length < allBefore, 'rolled forward: the cleaned segment is in place');
      // A later cleaning works normally.
      const c2 = new LogCleaner(source(dir, [reopened]));
      await c2.cleanLog(reopened);
      assert.deepEqual(contents(reopened).latest, expected);
      reopened.close();
      log.close();
    });
  }

  it('load-time recovery completes a swap whose cleaned segment came out empty', () => {
    const dir = newDir();
    const log = open(dir, config({ segmentBytes: 300 }));
    for (let i = 0; i < 30; i++) append(log, [{ key: 'k', value: `v${i}` }]);
    const bases = log.segmentBaseOffsets();
    log.close();
    const end = bases[3] as number;
    const swap = swapFile(log.dir, 0, end);
    writeFileSync(swap, Buffer.alloc(0));
    const r = recoverCleanerFiles(log.dir);
    assert.deepEqual(r.completed, [{ base: 0, end }]);
    const reopened = PartitionLog.open(log.dir, 't', 0, config({ segmentBytes: 300 }));
    assert.deepEqual(reopened.segmentBaseOffsets(), [0, ...bases.slice(3)]);
    assert.equal(logFiles(reopened).length, bases.length - 2);
    reopened.highWatermark = reopened.logEndOffset;
    assert.equal(contents(reopened).records[0]?.offset, end);
    reopened.close();
  });
});
