/**
 * The share-partition state machine (broker/share/share-partition.ts) against an in-memory log:
 * acquisition limits and ranges, acknowledgement types, lock expiry, the delivery-count limit,
 * control batches and compaction gaps archived, the persisted form and its reload.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeRecordBatch } from '../../src/protocol/records/record.js';
import { AckType, SharePartition, type ShareLogView } from '../../src/broker/share/share-partition.js';

/** A log of batches given as [baseOffset, count, control?]. */
function log(batches: [number, number, boolean?][], logStart = 0): ShareLogView {
  const bufs = batches.map(([base, count, control]) => ({
    base,
    last: base + count - 1,
    buf: encodeRecordBatch({ baseOffset: BigInt(base), isControl: control === true, baseTimestamp: 1n, records: Array.from({ length: count }, (_, i) => ({ value: `v${base + i}`, timestamp: 1n })) }),
  }));
  const hw = Math.max(...bufs.map((b) => b.last + 1));
  return {
    logStartOffset: logStart,
    highWatermark: hw,
    read(offset, maxBytes) {
      const from = bufs.findIndex((b) => b.last >= offset);
      if (from < 0) return Buffer.alloc(0);
      const out: Buffer[] = [];
      let size = 0;
      for (const b of bufs.slice(from)) {
        if (out.length > 0 && size + b.buf.length > maxBytes) break;
        out.push(b.buf);
        size += b.buf.length;
      }
      return Buffer.concat(out);
    },
  };
}

const settings = { lockDurationMs: 1000, deliveryCountLimit: 3, maxInFlight: 200 };

test('acquire hands out each record once, redelivers released ones with a higher count, archives rejected and over-limit ones', () => {
  const sp = new SharePartition(settings, { startOffset: 0, batches: [] });
  const l = log([[0, 5], [5, 5]]);
  const a = sp.acquire('m1', l, 1 << 20);
  assert.deepEqual(a.ranges, [{ firstOffset: 0, lastOffset: 9, deliveryCount: 1 }]);
  assert.deepEqual(sp.acquire('m2', l, 1 << 20).ranges, [], 'nothing left for another member');
  sp.acknowledge('m1', 0, 4, [AckType.Accept, AckType.Release, AckType.Reject, AckType.Accept, AckType.Release]);
  assert.equal(sp.startOffset, 1);
  assert.throws(() => sp.acknowledge('m2', 5, 5, [AckType.Accept]), /not acquired by member m2/);
  const b = sp.acquire('m2', l, 1 << 20);
  assert.deepEqual(b.ranges, [{ firstOffset: 1, lastOffset: 1, deliveryCount: 2 }, { firstOffset: 4, lastOffset: 4, deliveryCount: 2 }]);
  // Expiry of m1's lock makes 5..9 available again.
  assert.equal(sp.expireLock(a.lockId), 5);
  assert.equal(sp.expireLock(b.lockId), 2);
  const c = sp.acquire('m3', l, 1 << 20);
  assert.deepEqual(c.ranges, [{ firstOffset: 1, lastOffset: 1, deliveryCount: 3 }, { firstOffset: 4, lastOffset: 4, deliveryCount: 3 }, { firstOffset: 5, lastOffset: 9, deliveryCount: 2 }]);
  // At the limit (3) a release archives.
  sp.acknowledge('m3', 1, 1, [AckType.Release]);
  sp.acknowledge('m3', 4, 9, [AckType.Accept]);
  assert.deepEqual(sp.counts(), { available: 0, acquired: 0, acknowledged: 0, archived: 0 });
  assert.equal(sp.startOffset, 10);
});

test('the in-flight limit bounds an acquisition; the persisted state reloads acquired records as available', () => {
  const sp = new SharePartition({ ...settings, maxInFlight: 4 }, { startOffset: 0, batches: [] });
  const l = log([[0, 10]]);
  assert.deepEqual(sp.acquire('m', l, 1 << 20).ranges, [{ firstOffset: 0, lastOffset: 3, deliveryCount: 1 }]);
  sp.acknowledge('m', 0, 1, [AckType.Accept, AckType.Reject]);
  sp.acknowledge('m', 3, 3, [AckType.Accept]);
  const persisted = sp.persisted();
  assert.deepEqual(persisted, { startOffset: 2, batches: [{ firstOffset: 2, lastOffset: 2, deliveryState: 0, deliveryCount: 1 }, { firstOffset: 3, lastOffset: 3, deliveryState: 2, deliveryCount: 1 }] });
  const again = new SharePartition({ ...settings, maxInFlight: 4 }, persisted);
  assert.deepEqual(again.acquire('n', l, 1 << 20).ranges, [{ firstOffset: 2, lastOffset: 2, deliveryCount: 2 }, { firstOffset: 4, lastOffset: 5, deliveryCount: 1 }]);
});

test('control batches and offsets missing from the log are archived without delivery; a moved log start skips records', () => {
  const sp = new SharePartition(settings, { startOffset: 0, batches: [] });
  const l = log([[0, 2], [2, 1, true], [5, 2]]);
  const a = sp.acquire('m', l, 1 << 20);
  assert.deepEqual(a.ranges, [{ firstOffset: 0, lastOffset: 1, deliveryCount: 1 }, { firstOffset: 5, lastOffset: 6, deliveryCount: 1 }]);
  sp.acknowledge('m', 0, 1, [AckType.Accept]);
  assert.equal(sp.startOffset, 5, 'the control record and the gap 3..4 are archived');
  const later = new SharePartition(settings, { startOffset: 0, batches: [] });
  later.acquire('m', log([[0, 2], [5, 2]], 5), 1 << 20);
  assert.equal(later.startOffset, 5);
});

test('malformed acknowledgement batches are INVALID_REQUEST', () => {
  const sp = new SharePartition(settings, { startOffset: 0, batches: [] });
  sp.acquire('m', log([[0, 3]]), 1 << 20);
  assert.throws(() => sp.acknowledge('m', 0, 2, [1, 1]), (e: Error & { code?: number }) => e.code === 42);
  assert.throws(() => sp.acknowledge('m', 2, 0, [1]), (e: Error & { code?: number }) => e.code === 42);
  assert.throws(() => sp.acknowledge('m', 0, 0, [7]), (e: Error & { code?: number }) => e.code === 42);
});

test('an acquisition is a change to persist (its raised delivery count); a record persisted at the limit is archived on reload, not delivered again', () => {
  const sp = new SharePartition(settings, { startOffset: 0, batches: [] });
  const l = log([[0, 2]]);
  const before = sp.changes;
  assert.equal(sp.acquire('m', l, 1 << 20).ranges.length, 1);
  assert.ok(sp.changes > before, 'the acquisition is persisted before the records go out');
  assert.deepEqual(sp.persisted().batches, [{ firstOffset: 0, lastOffset: 1, deliveryState: 0, deliveryCount: 1 }]);
  // Offset 0 was in flight for the last time (count 3 = the limit) at a crash, offset 1 for its second delivery.
  const reloaded = new SharePartition(settings, { startOffset: 0, batches: [{ firstOffset: 0, lastOffset: 0, deliveryState: 0, deliveryCount: 3 }, { firstOffset: 1, lastOffset: 1, deliveryState: 0, deliveryCount: 2 }] });
  assert.equal(reloaded.startOffset, 1, 'offset 0 archived');
  assert.deepEqual(reloaded.acquire('m', l, 1 << 20).ranges, [{ firstOffset: 1, lastOffset: 1, deliveryCount: 3 }]);
});
