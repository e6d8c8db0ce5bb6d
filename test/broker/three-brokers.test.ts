/**
 * No process-global state: three brokers in one process, each with its own data directory, own
 * their segment handle cache (sized by their own log.open.files.max), buffer pools, connection
 * ids and clock. Produce/consume works on each, and stopping one leaves the others working.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManualScheduler, startBroker, type RunningBroker } from '../../src/index.js';
import { decodeRecordBatches, encodeRecordBatch } from '../../src/protocol/records/record.js';
import { WireClient, withClient } from '../helpers/wire.js';

async function roundTrip(b: RunningBroker, topic: string, values: string[], size = 0): Promise<void> {
  await withClient(b.port, async (c) => {
    assert.equal(await c.createTopic(topic, 1), 0);
    const r = await c.produce(topic, 0, encodeRecordBatch({ records: values.map((v) => ({ value: v + 'x'.repeat(size) })) }));
    assert.equal(r.errorCode, 0, `produce: ${r.errorMessage}`);
    const f = await c.fetchOnce(topic, 0, 0n);
    assert.equal(f.errorCode, 0);
    const got = decodeRecordBatches(f.records as Buffer, { verifyCrc: true }).flatMap((bt) => bt.records.map((rec) => rec.value?.toString()));
    assert.deepEqual(got, values.map((v) => v + 'x'.repeat(size)));
  });
}

test('three brokers in one process do not share segment caches, buffer pools, connection ids or clocks; stopping one leaves the others working', { timeout: 60_000 }, async () => {
  const dirs = [0, 1, 2].map((i) => mkdtempSync(join(tmpdir(), `samsa-three-${i}-`)));
  const clocks = [new ManualScheduler(Date.now()), new ManualScheduler(Date.now() + 1_000_000), null];
  const brokers: RunningBroker[] = [];
  try {
    for (let i = 0; i < 3; i++) {
      const clock = clocks[i];
      brokers.push(
        await startBroker({ port: 0, dataDir: dirs[i] as string, config: { 'node.id': i + 1, 'log.open.files.max': 16 * (i + 1) }, ...(clock ? { scheduler: clock } : {}) }),
      );
    }
    const [b1, b2, b3] = brokers as [RunningBroker, RunningBroker, RunningBroker];
    assert.equal(new Set(brokers.map((b) => b.port)).size, 3);

    // Each broker's own segment file bound (log.open.files.max) and cache.
    assert.deepEqual(brokers.map((b) => b.broker.segmentCache.maxOpen), [16, 32, 48]);
    assert.equal(new Set(brokers.map((b) => b.broker.segmentCache)).size, 3);
    assert.equal(new Set(brokers.map((b) => b.broker.pools)).size, 3);

    // Produce and consume on each; large frames and reads (~200 KB) go through the pools.
    for (const [i, b] of brokers.entries()) await roundTrip(b, `t${i}`, [`b${i}-a`, `b${i}-b`], 100_000);
    for (const [i, b] of brokers.entries()) {
      assert.ok(b.broker.segmentCache.size >= 1, `broker ${i + 1} caches its own segments`);
      assert.ok(b.broker.pools.requestFrames.pooledBytes > 0, `broker ${i + 1}'s frame pool got its produce frame back`);
    }
    // Only broker 1 serves more: its pool and cache change, the others' do not.
    const before = brokers.map((b) => ({ cached: b.broker.segmentCache.size, frames: b.broker.pools.requestFrames.pooledBytes }));
    for (let t = 0; t < 20; t++) await roundTrip(b1, `more${t}`, ['m'], 300_000);
    assert.ok(b1.broker.segmentCache.size > before[0]!.cached);
    assert.equal(b1.broker.segmentCache.size <= 16, true, 'broker 1 stays within its own log.open.files.max (16)');
    assert.deepEqual(
      [b2, b3].map((b) => ({ cached: b.broker.segmentCache.size, frames: b.broker.pools.requestFrames.pooledBytes })),
      before.slice(1),
      'brokers 2 and 3 were not touched by broker 1 traffic',
    );

    // Connection ids are per broker: each broker's first connection after start-up counts from its own sequence.
    const ids: number[] = [];
    for (const b of brokers) {
      const c = await WireClient.connect(b.port);
      try {
        await c.listOffset('t0', 0, -1n);
        const server = (b.broker as unknown as { servers: { connections: Set<{ id: number }> }[] }).servers[0];
        ids.push(Math.max(...[...(server?.connections ?? [])].map((conn) => conn.id)));
      } finally {
        c.close();
      }
    }
    assert.ok(ids[1]! < ids[0]! && ids[2]! < ids[0]!, `brokers 2 and 3 do not continue broker 1's connection ids (${ids.join(', ')})`);

    // Each broker runs on its own clock.
    assert.equal(b1.broker.clock.now(), clocks[0]!.now());
    assert.equal(b2.broker.clock.now(), clocks[1]!.now());
    clocks[0]!.advance(5_000);
    assert.equal(b2.broker.clock.now(), clocks[1]!.now(), 'advancing broker 1 clock leaves broker 2 alone');

    // Stopping broker 2 leaves 1 and 3 working.
    await b2.stop();
    brokers.splice(1, 1);
    await roundTrip(b1, 'after-stop-1', ['still', 'here'], 50_000);
    await roundTrip(b3, 'after-stop-3', ['also', 'here'], 50_000);
  } finally {
    for (const b of brokers) await b.stop().catch(() => undefined);
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  }
});
