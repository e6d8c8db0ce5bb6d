/**
 * The one protocol client (src/client/protocol-client.ts) against a real broker over TCP:
 * pipelining and correlation, per-request timeouts, the unsolicited-frame hook, raw frames, and
 * what pending requests see when the broker closes the connection, and answers read into pooled
 * buffers given back by the caller (requestFrame).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ClientConnectionError, ProtocolClient, RequestTimeoutError, encodeRequestFrame, type FramedResponse } from '../../src/client/protocol-client.js';
import { BufferPool } from '../../src/common/buffer-pool.js';
import { encodeRecordBatch } from '../../src/protocol/records/record.js';
import type { ApiVersionsResponse } from '../../src/protocol/generated/messages/api-versions.js';
import type { CreateTopicsResponse } from '../../src/protocol/generated/messages/create-topics.js';
import type { FetchResponse } from '../../src/protocol/generated/messages/fetch.js';
import type { MetadataResponse } from '../../src/protocol/generated/messages/metadata.js';
import { startBroker, type RunningBroker } from '../../src/index.js';
import { WireClient, waitFor } from '../helpers/wire.js';

const API = { Fetch: 1, Metadata: 3, ApiVersions: 18, CreateTopics: 19 } as const;

async function withBroker(fn: (b: RunningBroker, c: ProtocolClient) => Promise<void>): Promise<void> {
  const broker = await startBroker({ port: 0 });
  let client: ProtocolClient | undefined;
  try {
    client = await ProtocolClient.connect({ port: broker.port, clientId: 'protocol-client-test' });
    await fn(broker, client);
  } finally {
    client?.close();
    await broker.stop();
  }
}

async function createTopic(c: ProtocolClient, name: string, numPartitions: number): Promise<void> {
  const res = await c.request<CreateTopicsResponse>(API.CreateTopics, 7, {
    topics: [{ name, numPartitions, replicationFactor: 1, assignments: [], configs: [] }],
    timeoutMs: 10_000,
    validateOnly: false,
  });
  assert.equal(res.topics[0]?.errorCode, 0);
}

/** A Fetch v12 of partition 0 of `topic` from offset 0 that waits up to `maxWaitMs` for 1 byte. */
function longPoll(topic: string, maxWaitMs: number): unknown {
  return {
    replicaId: -1, maxWaitMs, minBytes: 1, maxBytes: 1 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1,
    topics: [{ topic, partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: 0n, lastFetchedEpoch: -1, logStartOffset: -1n, partitionMaxBytes: 1 << 20 }] }],
    forgottenTopicsData: [], rackId: '',
  };
}

test('pipelined requests of different APIs and versions on one connection each get their own answer', async () => {
  await withBroker(async (_b, c) => {
    for (let i = 0; i < 5; i++) await createTopic(c, `pipe-${i}`, i + 1);
    // 60 requests in flight at once, mixing flexible and non-flexible versions and ApiVersions
    // (whose answers always use response header v0).
    const pending: Promise<void>[] = [];
    for (let i = 0; i < 60; i++) {
      const topic = `pipe-${i % 5}`;
      if (i % 3 === 0) {
        pending.push(c.request<ApiVersionsResponse>(API.ApiVersions, i % 2 === 0 ? 3 : 0, i % 2 === 0 ? { clientSoftwareName: 't', clientSoftwareVersion: '1' } : {}).then((r) => {
          assert.equal(r.errorCode, 0);
          assert.ok(r.apiKeys.some((k) => k.apiKey === API.Fetch));
        }));
      } else {
        const version = i % 2 === 0 ? 12 : 1;
        pending.push(c.request<MetadataResponse>(API.Metadata, version, { topics: [{ name: topic }], allowAutoTopicCreation: false }).then((r) => {
          assert.equal(r.topics.length, 1);
          assert.equal(r.topics[0]?.name, topic);
          assert.equal(r.topics[0]?.partitions.length, (i % 5) + 1);
        }));
      }
    }
    assert.ok(c.inFlight > 1, 'requests were pipelined');
    await Promise.all(pending);
    assert.equal(c.inFlight, 0);
    assert.equal(c.closed, false);
  });
});

test('a request that outlives its timeout rejects, the connection stays usable, and the late answer reaches the unsolicited hook', async () => {
  await withBroker(async (_b, c) => {
    await createTopic(c, 'slow-answer', 1);
    const unsolicited: Buffer[] = [];
    c.onUnsolicited = (frame) => unsolicited.push(frame);
    const correlationId = c.newCorrelationId();
    // The broker answers this long poll after 1.5 s (nothing to read); the client gives up at 200 ms.
    const frame = encodeRequestFrame(API.Fetch, 12, longPoll('slow-answer', 1500), correlationId, 'protocol-client-test');
    const err = await c.sendFrame(correlationId, frame, 200, 'Fetch request').then(
      () => null,
      (e: unknown) => e,
    );
    assert.ok(err instanceof RequestTimeoutError, `expected a RequestTimeoutError, got ${String(err)}`);
    assert.ok(err instanceof ClientConnectionError);
    assert.equal(err.correlationId, correlationId);
    assert.match(err.message, /Fetch request timed out after 200 ms/);
    assert.equal(c.closed, false);
    assert.equal(c.inFlight, 0);
    // The answer still comes, to nobody: the hook gets it, whole.
    await waitFor(() => unsolicited.length > 0, 10_000, 'the late Fetch answer');
    const late = unsolicited[0] as Buffer;
    assert.equal(late.readInt32BE(0), correlationId);
    // Meanwhile and afterwards the connection answers as before.
    const md = await c.request<MetadataResponse>(API.Metadata, 12, { topics: [{ name: 'slow-answer' }], allowAutoTopicCreation: false });
    assert.equal(md.topics[0]?.errorCode, 0);
    // A per-request timeout of 0 waits as long as it takes.
    const answered = await c.request<FetchResponse>(API.Fetch, 12, longPoll('slow-answer', 300), 0);
    assert.equal(answered.errorCode, 0);
  });
});

test('raw bytes: a frame written by hand is answered; a negative size prefix makes the broker close and every pending request rejects', async () => {
  await withBroker(async (_b, c) => {
    await createTopic(c, 'raw', 1);
    // A hand-made frame with a chosen correlation id, written in one-byte pieces.
    const frame = Buffer.concat(encodeRequestFrame(API.ApiVersions, 0, {}, 777_777, null));
    const answer = c.sendFrame(777_777, Buffer.alloc(0), 5000);
    for (const byte of frame) c.writeRaw(Buffer.from([byte]));
    assert.equal((await answer).readInt32BE(0), 777_777);
    // A long poll is waiting when garbage arrives.
    const waiting = c.request(API.Fetch, 12, longPoll('raw', 10_000));
    const caught = waiting.then(
      () => null,
      (e: unknown) => e,
    );
    const size = Buffer.alloc(4);
    size.writeInt32BE(-1, 0);
    c.writeRaw(size);
    await c.whenClosed();
    const err = await caught;
    assert.ok(err instanceof ClientConnectionError, `expected a ClientConnectionError, got ${String(err)}`);
    assert.equal(c.closed, true);
    await assert.rejects(c.request(API.ApiVersions, 0, {}), ClientConnectionError);
  });
});

test('connecting to a port nobody listens on rejects with ClientConnectionError', async () => {
  // Take a free port, then stop listening on it.
  const broker = await startBroker({ port: 0 });
  const port = broker.port;
  await broker.stop();
  await assert.rejects(ProtocolClient.connect({ port, connectTimeoutMs: 5000 }), (e: unknown) => e instanceof ClientConnectionError && /could not connect to 127\.0\.0\.1:\d+/.test(e.message));
});

test('requestFrame: a large answer is read into a pooled buffer; once released, the next large answer reuses it and both read back intact', async () => {
  const broker = await startBroker({ port: 0 });
  const pool = new BufferPool(16 << 20);
  let client: ProtocolClient | undefined;
  try {
    client = await ProtocolClient.connect({ port: broker.port, pool });
    await createTopic(client, 'frames', 1);
    // About 600 KB of records, fetched whole: an answer far larger than one socket read.
    const value = Buffer.alloc(600_000, 7);
    const batch = encodeRecordBatch({ records: [{ value }] });
    const admin = await WireClient.connect(broker.port);
    try {
      assert.equal((await admin.produce('frames', 0, batch, 1)).errorCode, 0);
    } finally {
      admin.close();
    }
    const fetchAll = (): Promise<FramedResponse<FetchResponse>> => (client as ProtocolClient).requestFrame<FetchResponse>(API.Fetch, 12, longPoll('frames', 0));
    const first = await fetchAll();
    const r1 = first.body.responses[0]?.partitions[0]?.records as Buffer;
    assert.ok(r1.length >= 600_000);
    assert.ok(r1.subarray(r1.length - 1000, r1.length - 10).every((b) => b === 7));
    const arena = r1.buffer;
    first.release();
    const second = await fetchAll();
    const r2 = second.body.responses[0]?.partitions[0]?.records as Buffer;
    assert.equal(r2.buffer, arena, 'the released buffer holds the next answer');
    assert.equal(r2.length, r1.length);
    assert.ok(r2.subarray(r2.length - 1000, r2.length - 10).every((b) => b === 7));
    second.release();
    // request() answers are never given back: a later answer lands in a buffer of its own.
    const third = await client.request<FetchResponse>(API.Fetch, 12, longPoll('frames', 0));
    const r3 = third.responses[0]?.partitions[0]?.records as Buffer;
    const fourth = await fetchAll();
    assert.notEqual((fourth.body.responses[0]?.partitions[0]?.records as Buffer).buffer, r3.buffer);
    assert.ok(r3.subarray(r3.length - 1000, r3.length - 10).every((b) => b === 7), 'an unreleased answer is not overwritten');
    fourth.release();
  } finally {
    client?.close();
    await broker.stop();
  }
});
