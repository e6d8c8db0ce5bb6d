/**
 * Large produce frames and large log reads reuse pooled buffers (src/common/buffer-pool.ts).
 * A buffer given back too early would be overwritten by the next request or read while still in
 * use: these tests pipeline large produces and fetches with distinct contents on one connection
 * and check every byte that comes back, and that the buffers did go back to their pools.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startBroker, type RunningBroker } from '../../src/index.js';
import { decodeRecordBatches, encodeRecordBatch } from '../../src/protocol/records/record.js';
import { API, WireClient } from '../helpers/wire.js';

let broker: RunningBroker;
let port: number;

before(async () => {
  broker = await startBroker({ port: 0 });
  port = Number(broker.bootstrap.split(':').pop());
});

after(async () => {
  await broker.stop();
});

/** A batch of `count` records whose values are `size` bytes of a pattern tied to `tag` and the record. */
function batch(tag: number, count: number, size: number): Buffer {
  const records = Array.from({ length: count }, (_, i) => ({ value: Buffer.alloc(size, (tag * 31 + i) & 0xff), key: Buffer.from(`${tag}-${i}`) }));
  return encodeRecordBatch({ records });
}

test('pipelined large produces and fetches on one connection: every record reads back exactly, buffers are reused', async () => {
  const c = await WireClient.connect(port);
  try {
    assert.equal(await c.createTopic('reuse', 1), 0);
    const batches = 12;
    const perBatch = 40;
    const size = 4000; // ~160 KB batches: own frame buffers and pooled reads
    // Pipelined: all produces in flight at once.
    const produced = await Promise.all(
      Array.from({ length: batches }, (_, b) =>
        c.request(API.Produce, 9, { transactionalId: null, acks: 1, timeoutMs: 10_000, topicData: [{ name: 'reuse', partitionData: [{ index: 0, records: batch(b, perBatch, size) }] }] }),
      ),
    );
    produced.forEach((r, b) => assert.equal(r.responses[0].partitionResponses[0].errorCode, 0, `produce ${b}`));
    assert.ok(broker.broker.pools.requestFrames.pooledBytes > 0, 'produce frames went back to their pool');

    // Pipelined fetches, each from a different batch, each limited to about two batches, three
    // rounds of them, while this client reads nothing for a while: ~12 MB of answers wait in the
    // broker's send buffers, so a read buffer given back before its bytes reached the socket
    // would be overwritten by a later fetch's read.
    const pending = Array.from({ length: 3 * batches }, (_, i) => c.fetchOnce('reuse', 0, BigInt((i % batches) * perBatch), 2 * perBatch * (size + 100)));
    await c.pauseReading(500);
    const fetches = await Promise.all(pending);
    fetches.forEach((p, i) => {
      const b = i % batches;
      assert.equal(p.errorCode, 0);
      const decoded = decodeRecordBatches(p.records as Buffer, { verifyCrc: true });
      assert.ok(decoded.length >= 1, `fetch ${b} returned batches`);
      decoded.forEach((d, k) => {
        const tag = b + k;
        assert.equal(d.baseOffset, BigInt(tag * perBatch));
        d.records.forEach((r, i) => {
          assert.equal(r.key?.toString(), `${tag}-${i}`);
          assert.ok((r.value as Buffer).equals(Buffer.alloc(size, (tag * 31 + i) & 0xff)), `batch ${tag} record ${i}`);
        });
      });
    });
    // The last response's write callback may run after its data event: give it a turn.
    await new Promise((r) => setImmediate(r));
    assert.ok(broker.broker.pools.logReads.pooledBytes > 0, 'fetched log reads went back to their pool');

    // And once more, now that the pools hand out reused memory.
    const all = await c.fetchAll('reuse', 0);
    assert.equal(all.batches.length, batches);
    all.batches.forEach((d, tag) => d.records.forEach((r, i) => assert.ok((r.value as Buffer).equals(Buffer.alloc(size, (tag * 31 + i) & 0xff)), `again: batch ${tag} record ${i}`)));
  } finally {
    c.close();
  }
});
