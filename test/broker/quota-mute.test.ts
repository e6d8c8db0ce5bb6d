/**
 * Quota throttling mutes the channel (KIP-219): a throttled request is answered at once with
 * throttleTimeMs, then its connection reads no further request until the broker's clock (a
 * ManualScheduler here, so no sleeps) has advanced by the throttle time. Other connections are
 * served meanwhile; a muted connection that closes is cleaned up (its mute timer cancelled).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualScheduler, startBroker, type QuotaManager, type RunningBroker } from '../../src/index.js';
import { ProtocolClient } from '../../src/client/protocol-client.js';
import type { MetadataResponse } from '../../src/protocol/generated/messages/metadata.js';
import { API, WireClient, waitFor } from '../helpers/wire.js';

const THROTTLE_MS = 500;
const SLOW = 'slow-client';

/** Throttles every request of client id SLOW by THROTTLE_MS; counts the requests it saw per client id. */
const seen = new Map<string, number>();
const quotas: QuotaManager = {
  throttleTimeMs(ctx) {
    const id = ctx.clientId ?? '';
    seen.set(id, (seen.get(id) ?? 0) + 1);
    return id === SLOW ? THROTTLE_MS : 0;
  },
};

let scheduler: ManualScheduler;
let broker: RunningBroker;
let other: WireClient;

before(async () => {
  scheduler = new ManualScheduler(Date.now());
  broker = await startBroker({ port: 0, scheduler, gate: { quotas } });
  other = await WireClient.connect(broker.port);
});

after(async () => {
  other?.close();
  await broker?.stop();
});

const noTopics = { topics: [], allowAutoTopicCreation: false };
const versionsBody = { clientSoftwareName: 'quota-mute-test', clientSoftwareVersion: '1' };

function connectionCount(): number {
  return (broker.broker as unknown as { servers: { connectionCount: number }[] }).servers[0]?.connectionCount ?? -1;
}

/** A round trip on the unthrottled connection: any answer the broker was going to send by now has arrived. */
async function roundTrip(): Promise<void> {
  const r = await other.request<{ throttleTimeMs: number }>(API.ApiVersions, 3, versionsBody);
  assert.equal(r.throttleTimeMs, 0, 'another connection is not throttled');
}

test('a throttled request is answered at once; the request pipelined behind it waits until the broker clock passes the throttle time', async () => {
  const slow = await ProtocolClient.connect({ port: broker.port, clientId: SLOW, requestTimeoutMs: 15_000 });
  try {
    seen.delete(SLOW);
    let secondAnswered = false;
    // Both sent before either is answered (pipelined on one connection).
    const first = slow.request<MetadataResponse>(API.Metadata, 12, noTopics);
    const second = slow.request<{ throttleTimeMs: number; errorCode: number }>(API.ApiVersions, 3, versionsBody).then((r) => {
      secondAnswered = true;
      return r;
    });
    const r1 = await first; // the clock has not moved: answered at once
    assert.equal(r1.throttleTimeMs, THROTTLE_MS);

    // Another connection is served while the slow one is muted.
    await roundTrip();
    assert.equal(secondAnswered, false, 'the second request is not answered while the connection is muted');
    assert.equal(seen.get(SLOW), 1, 'the second request is not even read while muted');

    scheduler.advance(THROTTLE_MS - 1);
    await roundTrip();
    assert.equal(secondAnswered, false, 'still muted 1 ms before the throttle time');
    assert.equal(seen.get(SLOW), 1);

    scheduler.advance(1);
    const r2 = await second;
    assert.equal(r2.errorCode, 0);
    assert.equal(r2.throttleTimeMs, THROTTLE_MS, 'the second request is throttled in turn');
    assert.equal(seen.get(SLOW), 2);

    // Muted again by the second answer: a third request waits for the clock once more.
    let thirdAnswered = false;
    const third = slow.request<MetadataResponse>(API.Metadata, 12, noTopics).then((r) => {
      thirdAnswered = true;
      return r;
    });
    await roundTrip();
    assert.equal(thirdAnswered, false, 'muted again after the second throttled answer');
    scheduler.advance(THROTTLE_MS);
    assert.equal((await third).throttleTimeMs, THROTTLE_MS);
    scheduler.advance(THROTTLE_MS); // let the last mute end
  } finally {
    slow.close();
  }
});

test('a client that closes its muted connection: the broker reads on when the mute ends (a muted channel is not read), then forgets it', async () => {
  await waitFor(() => connectionCount() === 1, 10_000, 'only the unthrottled connection left', 5);
  const timersBefore = scheduler.pending;
  const slow = await ProtocolClient.connect({ port: broker.port, clientId: SLOW, requestTimeoutMs: 15_000 });
  const r = await slow.request<MetadataResponse>(API.Metadata, 12, noTopics);
  assert.equal(r.throttleTimeMs, THROTTLE_MS);
  assert.equal(scheduler.pending, timersBefore + 1, 'the mute waits on the broker scheduler');
  // A request left unread behind the mute when the client goes away.
  const pending = slow.request(API.ApiVersions, 3, versionsBody);
  pending.catch(() => undefined);
  await roundTrip();
  slow.close();
  await roundTrip();
  seen.delete(SLOW);
  assert.equal(connectionCount(), 2, 'a muted connection is not read, so its close is not seen yet');
  // The mute ends: the request left behind it is read and answered (throttled: muted once more).
  scheduler.advance(THROTTLE_MS);
  await waitFor(() => seen.get(SLOW) === 1, 10_000, 'the request behind the mute to be read', 5);
  // That mute ends too: the end of the stream is read and the connection forgotten.
  scheduler.advance(THROTTLE_MS);
  await waitFor(() => connectionCount() === 1, 10_000, 'the broker to forget the closed connection', 5);
  assert.equal(scheduler.pending, timersBefore, 'no mute timer left');
  await roundTrip();
});

test('a broker that closes a muted connection (here: stopping) cancels its mute timer', async () => {
  const own = new ManualScheduler(Date.now());
  const b = await startBroker({ port: 0, scheduler: own, gate: { quotas } });
  let stopped = false;
  const slow = await ProtocolClient.connect({ port: b.port, clientId: SLOW, requestTimeoutMs: 15_000 });
  try {
    const timersBefore = own.pending;
    const r = await slow.request<MetadataResponse>(API.Metadata, 12, noTopics);
    assert.equal(r.throttleTimeMs, THROTTLE_MS);
    assert.equal(own.pending, timersBefore + 1, 'the mute waits on the broker scheduler');
    await b.stop();
    stopped = true;
    assert.equal(own.pending, 0, 'no timer left once the broker has stopped, the mute timer included');
    await slow.whenClosed();
  } finally {
    slow.close();
    if (!stopped) await b.stop();
  }
});
