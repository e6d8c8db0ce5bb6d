/**
 * The broker-wide request memory bound (queued.max.request.bytes, Kafka's memory pool): clients
 * that send huge unfinished requests cannot make the broker hold more than the pool (plus the one
 * frame admitted while it still had room); a frame larger than the whole pool is still served;
 * and clients pipelining huge fetches they never read cannot make it buffer responses without
 * bound, and the memory comes back when they go.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { startBroker } from '../../src/index.js';
import { encodeRecordBatch } from '../../src/protocol/records/record.js';
import { removeDir, startBrokerProcess } from '../helpers/broker-process.js';
import { rssKiB } from '../helpers/compat.js';
import { WireClient, waitFor, withClient } from '../helpers/wire.js';

const MB = 1024 * 1024;

function rawConnect(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect({ port, host: '127.0.0.1' }, () => resolve(s));
    s.on('error', () => undefined);
    s.once('error', reject);
  });
}

/** Opens `n` connections, each sending a `declared`-byte size prefix then `body` bytes; resolves once the writes stop progressing. */
async function flood(port: number, n: number, declared: number, body: number): Promise<Socket[]> {
  const socks: Socket[] = [];
  const prefix = Buffer.alloc(4);
  prefix.writeInt32BE(declared, 0);
  const chunk = Buffer.alloc(body, 1);
  for (let i = 0; i < n; i++) {
    const s = await rawConnect(port);
    s.write(prefix);
    s.write(chunk);
    socks.push(s);
  }
  // Wait until what the clients still hold stops shrinking (the broker stopped reading).
  let last = -1;
  let stable = 0;
  await waitFor(() => {
    const pending = socks.reduce((a, s) => a + s.writableLength, 0);
    stable = pending === last ? stable + 1 : 0;
    last = pending;
    return stable >= 3;
  }, 30_000, 'client writes to stall', 200);
  return socks;
}

test('queued.max.request.bytes: 20 connections sending 12 MB of 16 MB frames hold at most the pool plus one frame; a frame larger than the pool is served', { timeout: 120_000 }, async () => {
  const pool = 32 * MB;
  const b = await startBroker({ port: 0, config: { 'queued.max.request.bytes': pool, 'socket.request.max.bytes': 16 * MB } });
  const budget = b.broker.requestBudget;
  let socks: Socket[] = [];
  try {
    socks = await flood(b.port, 20, 16 * MB - 1, 12 * MB);
    console.log(`request memory held: ${(budget.heldBytes / MB).toFixed(1)} MB now, ${(budget.peakHeldBytes / MB).toFixed(1)} MB at most (pool ${pool / MB} MB; unbounded: ${20 * 16} MB declared, 240 MB sent)`);
    assert.ok(budget.peakHeldBytes <= pool + 16 * MB, `held ${budget.peakHeldBytes} bytes`);
    // Another client's small request waits for memory; it is answered once the flood goes away.
    const c = await WireClient.connect(b.port);
    const answer = c.apiVersions();
    for (const s of socks) s.destroy();
    assert.ok((await answer).apiKeys.length > 0);
    await waitFor(() => budget.heldBytes === 0 && budget.heldRequests === 0, 10_000, 'all request memory given back', 20);
    c.close();
  } finally {
    for (const s of socks) s.destroy();
    await b.stop();
  }
  // A single frame larger than the whole pool is still served when nothing else holds memory.
  const small = await startBroker({ port: 0, config: { 'queued.max.request.bytes': 1 * MB } });
  try {
    await withClient(small.port, async (c) => {
      const names = Array.from({ length: 120_000 }, (_, i) => `unknown-topic-${i}`);
      const res = await c.metadata(names);
      assert.equal(res.topics.length, names.length);
      assert.equal(res.topics[0].errorCode, 3);
    });
  } finally {
    await small.stop();
  }
});

test('queued.max.request.bytes in a broker process: RSS stays bounded under 20 huge unfinished frames', { timeout: 120_000 }, async () => {
  const broker = await startBrokerProcess({ overrides: { 'queued.max.request.bytes': 32 * MB, 'socket.request.max.bytes': 16 * MB } });
  let socks: Socket[] = [];
  try {
    const pid = broker.child.pid as number;
    const before = rssKiB(pid);
    socks = await flood(broker.port, 20, 16 * MB - 1, 12 * MB);
    const during = rssKiB(pid);
    console.log(`broker RSS: ${before >> 10} MB before, ${during >> 10} MB with 20 connections each 12 MB into a 16 MB frame (240 MB sent)`);
    assert.ok(during - before < 120 * 1024, `RSS grew by ${(during - before) >> 10} MB`);
  } finally {
    for (const s of socks) s.destroy();
    await broker.stop();
    removeDir(broker.dataDir);
  }
});

/**
 * 40 clients pipelining fetches of a 30 MB partition with max_bytes 2^31-1, never reading: the
 * broker's RSS stays bounded, and once they close it comes back down to within `settled` bytes
 * above where it started.
 */
async function fetchFlood(overrides: Record<string, string | number>, settled: (before: number, peak: number) => number): Promise<void> {
  const broker = await startBrokerProcess({ overrides });
  const socks: Socket[] = [];
  try {
    await withClient(broker.port, async (c) => {
      assert.equal(await c.createTopic('big', 1), 0);
      const value = Buffer.alloc(100_000, 7);
      const batch = encodeRecordBatch({ records: Array.from({ length: 5 }, () => ({ value })) });
      for (let i = 0; i < 60; i++) assert.equal((await c.produce('big', 0, batch)).errorCode, 0);
    });
    const pid = broker.child.pid as number;
    const before = rssKiB(pid);
    const fetch = (corr: number): Buffer =>
      WireClient.encodeRequest(1, 11, {
        replicaId: -1, maxWaitMs: 0, minBytes: 0, maxBytes: 0x7fffffff, isolationLevel: 0, sessionId: 0, sessionEpoch: -1,
        topics: [{ topic: 'big', partitions: [{ partition: 0, fetchOffset: 0n, partitionMaxBytes: 0x7fffffff, logStartOffset: -1n, currentLeaderEpoch: -1 }] }],
        forgottenTopicsData: [], rackId: '',
      }, corr);
    for (let i = 0; i < 40; i++) {
      const s = await rawConnect(broker.port);
      s.pause();
      for (let k = 1; k <= 20; k++) s.write(fetch(k));
      socks.push(s);
    }
    // Poll until the broker's RSS stops growing.
    let peak = 0;
    let last = -1;
    let stable = 0;
    await waitFor(() => {
      const r = rssKiB(pid);
      peak = Math.max(peak, r);
      stable = Math.abs(r - last) < 2048 ? stable + 1 : 0;
      last = r;
      return stable >= 5;
    }, 60_000, 'broker RSS to settle', 200);
    for (const s of socks) s.destroy();
    // After they close, RSS comes back down (within a few trim intervals).
    let after = 0;
    await waitFor(() => {
      after = rssKiB(pid);
      return after - before < settled(before, peak);
    }, 60_000, `broker RSS to drop after the clients closed (${before >> 10} MB before, peak ${peak >> 10} MB)`, 500);
    console.log(`fetch flood (30 MB partition, 40 clients x 20 fetches of max_bytes 2^31-1, never read; ${JSON.stringify(overrides)}): RSS ${before >> 10} MB before, peak ${peak >> 10} MB, ${after >> 10} MB after they closed`);
    assert.ok(peak - before < 600 * 1024, `broker RSS grew by ${(peak - before) >> 10} MB`);
  } finally {
    for (const s of socks) s.destroy();
    await broker.stop();
    removeDir(broker.dataDir);
  }
}

test('40 clients pipelining fetches with max_bytes 2^31-1 and never reading: broker RSS stays bounded and drops after they close', { timeout: 180_000 }, async () => {
  // Copied answers (zero copy off): the unread answers' buffers are most of the growth, and go.
  await fetchFlood({ 'fetch.zero.copy.enable': 'false' }, (before, peak) => (peak - before) / 2);
});

test('the same with zero-copy answers: far less memory, back to within 64 MB of the start', { timeout: 180_000 }, async () => {
  // Zero copy (docs/zero-copy.md): the answers waiting behind the one being sent hold placeholders
  // whose bytes are never read, so the peak is about where copied answers settle after the close
  // (the log-read pool keeps up to 32 MB); no halving of so small a growth is to be expected.
  await fetchFlood({}, () => 64 * 1024);
});
