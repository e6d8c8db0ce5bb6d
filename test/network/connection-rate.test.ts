/**
 * Broker-wide connection limits (Kafka's ConnectionQuotas): max.connection.creation.rate holds new
 * connections back (they are not refused) until the rate measured over quota.window.num windows
 * allows them, on the broker's clock; max.connections counts the connections of every listener.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualScheduler, startBroker } from '../../src/index.js';
import { rawConnect, type RawConnection } from '../helpers/raw-socket.js';
import { waitFor } from '../helpers/wire.js';

interface ServerView {
  connectionCount: number;
  waiting: unknown[];
}

test('max.connection.creation.rate=5: five connections at once, the rest wait and are accepted at the rate', { timeout: 60_000 }, async () => {
  const clock = new ManualScheduler(Date.now());
  const b = await startBroker({ port: 0, scheduler: clock, config: { 'max.connection.creation.rate': 5, 'quota.window.num': 2, 'quota.window.size.seconds': 1 } });
  const server = (): ServerView => (b.broker as unknown as { servers: ServerView[] }).servers[0] as ServerView;
  const conns: RawConnection[] = [];
  try {
    for (let i = 0; i < 12; i++) conns.push(await rawConnect(b.port));
    await waitFor(() => server().connectionCount + server().waiting.length === 12, 10_000, 'the broker to see 12 connections', 5);
    assert.equal(server().connectionCount, 5, 'one window of the rate at once');
    assert.equal(server().waiting.length, 7);
    const accepted: number[] = [];
    for (let ms = 100; ms <= 5000 && server().connectionCount < 12; ms += 100) {
      clock.advance(100);
      await new Promise((r) => setImmediate(r));
      accepted.push(server().connectionCount);
      // Never more than 5 per second after the first 5 (plus the one that may be due at the boundary).
      assert.ok(server().connectionCount <= 5 + Math.ceil((ms / 1000) * 5) + 1, `${server().connectionCount} accepted after ${ms} ms`);
    }
    assert.equal(server().connectionCount, 12, 'every connection is accepted in the end');
    assert.ok(conns.every((c) => !c.closed()), 'none is refused');
    console.log(`creation rate 5/s: accepted after each 100 ms of broker time: ${accepted.join(' ')}`);
  } finally {
    for (const c of conns) c.socket.destroy();
    await b.stop();
  }
});

test('max.connections counts the connections of all listeners together', { timeout: 60_000 }, async () => {
  const b = await startBroker({
    port: 0,
    config: { listeners: 'PLAINTEXT://127.0.0.1:0,OTHER://127.0.0.1:0', 'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,OTHER:PLAINTEXT', 'max.connections': 2 },
  });
  const ports = b.broker.listeners.map((l) => l.port);
  const conns: RawConnection[] = [];
  const servers = (): ServerView[] => (b.broker as unknown as { servers: ServerView[] }).servers;
  try {
    assert.equal(ports.length, 2);
    conns.push(await rawConnect(ports[0] as number));
    await waitFor(() => servers()[0]?.connectionCount === 1, 10_000, 'the first connection', 5);
    conns.push(await rawConnect(ports[1] as number));
    await waitFor(() => servers()[1]?.connectionCount === 1, 10_000, 'the second connection', 5);
    const third = await rawConnect(ports[1] as number);
    conns.push(third);
    await waitFor(() => third.closed(), 10_000, 'the third connection (over max.connections=2, on the second listener) to be closed', 5);
    assert.ok(!(conns[0] as { closed: () => boolean }).closed() && !(conns[1] as { closed: () => boolean }).closed());
  } finally {
    for (const c of conns) c.socket.destroy();
    await b.stop();
  }
});

test('max.connections is a dynamic broker config: lowering it applies to the next connection', { timeout: 60_000 }, async () => {
  const b = await startBroker({ port: 0 });
  const conns: RawConnection[] = [];
  const server = (): ServerView => (b.broker as unknown as { servers: ServerView[] }).servers[0] as ServerView;
  try {
    const { WireClient } = await import('../helpers/wire.js');
    const admin = await WireClient.connect(b.port);
    try {
      // IncrementalAlterConfigs v0: BROKER '' (the cluster default), SET max.connections=2.
      const r = await admin.request<{ responses: { errorCode: number; errorMessage: string | null }[] }>(44, 0, {
        resources: [{ resourceType: 4, resourceName: '', configs: [{ name: 'max.connections', configOperation: 0, value: '2' }] }],
        validateOnly: false,
      });
      assert.equal(r.responses[0]?.errorCode, 0, r.responses[0]?.errorMessage ?? '');
      conns.push(await rawConnect(b.port));
      await waitFor(() => server().connectionCount === 2, 10_000, 'the admin and one more connection', 5);
      const third = await rawConnect(b.port);
      conns.push(third);
      await waitFor(() => third.closed(), 10_000, 'the connection over the new max.connections=2 to be closed', 5);
    } finally {
      admin.close();
    }
  } finally {
    for (const c of conns) c.socket.destroy();
    await b.stop();
  }
});
