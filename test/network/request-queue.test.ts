/**
 * queued.max.requests (Kafka's request queue): requests dispatched but not yet answered, across
 * all connections, are bounded; a connection whose request finds the queue full stops being read
 * until a request is answered, then its request is served.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startBroker } from '../../src/index.js';
import { encodeRecordBatch } from '../../src/protocol/records/record.js';
import { API, WireClient, waitFor } from '../helpers/wire.js';

/** A Fetch that waits (minBytes 1, empty partition) up to `maxWaitMs` before answering. */
function longPoll(c: WireClient, topic: string, maxWaitMs: number): Promise<unknown> {
  return c.request(
    API.Fetch,
    12,
    {
      replicaId: -1,
      maxWaitMs,
      minBytes: 1,
      maxBytes: 1024 * 1024,
      isolationLevel: 0,
      sessionId: 0,
      sessionEpoch: -1,
      topics: [{ topic, partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: 0n, lastFetchedEpoch: -1, logStartOffset: -1n, partitionMaxBytes: 1024 * 1024 }] }],
      forgottenTopicsData: [],
      rackId: '',
    },
    maxWaitMs + 15_000,
  );
}

test('queued.max.requests: with 2 long polls in progress, a third request on another connection waits unread until one is answered', { timeout: 60_000 }, async () => {
  const b = await startBroker({ port: 0, config: { 'queued.max.requests': 2 } });
  const budget = b.broker.requestBudget;
  const clients: WireClient[] = [];
  try {
    const admin = await WireClient.connect(b.port);
    clients.push(admin);
    assert.equal(await admin.createTopic('q', 1), 0);
    await waitFor(() => budget.heldRequests === 0, 5_000, 'the admin request to be answered', 10);
    const order: string[] = [];
    const polls: Promise<unknown>[] = [];
    for (let i = 0; i < 2; i++) {
      const c = await WireClient.connect(b.port);
      clients.push(c);
      // The first poll times out; the second waits until a record arrives (after the third
      // request is answered), so the answer order does not depend on two timers racing.
      polls.push(longPoll(c, 'q', i === 0 ? 2000 : 30_000).then(() => order.push(`fetch${i}`)));
    }
    await waitFor(() => budget.heldRequests === 2, 5_000, 'both long polls to be in progress', 10);
    const late = await WireClient.connect(b.port);
    clients.push(late);
    const answered = late.apiVersions().then(() => order.push('apiVersions'));
    // The broker read the frame, found the queue full and paused the connection.
    await waitFor(() => budget.waitingCount === 1, 3_000, 'the third connection to wait for the request queue', 5);
    assert.deepEqual(order, []);
    assert.equal(budget.heldRequests, 2);
    await answered;
    assert.deepEqual(order, ['fetch0', 'apiVersions'], 'the waiting request is served once the first long poll is answered');
    assert.equal((await admin.produce('q', 0, encodeRecordBatch({ records: [{ value: 'wake' }] }))).errorCode, 0);
    await Promise.all(polls);
    assert.deepEqual(order, ['fetch0', 'apiVersions', 'fetch1']);
    await waitFor(() => budget.heldRequests === 0 && budget.waitingCount === 0, 5_000, 'the queue to drain', 10);
  } finally {
    for (const c of clients) c.close();
    await b.stop();
  }
});
