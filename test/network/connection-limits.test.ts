/**
 * Kafka's connection limits: connections.max.idle.ms closes connections that send no complete
 * request for that long (a slow sender dribbling an unfinished request included), and
 * max.connections.per.ip closes connections over the limit as soon as they are accepted.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Kafka, logLevel } from 'kafkajs';
import { ManualScheduler, startBroker } from '../../src/index.js';
import { rawConnect, type RawConnection } from '../helpers/raw-socket.js';
import { WireClient, waitFor } from '../helpers/wire.js';

test('connections.max.idle.ms: idle and slow-sending connections are closed, a busy kafkajs producer is not disturbed', { timeout: 60_000 }, async () => {
  // The broker runs on a manual clock: 3 s of broker time pass in 100 ms steps, with no sleeping.
  const clock = new ManualScheduler(Date.now());
  const b = await startBroker({ port: 0, scheduler: clock, config: { 'connections.max.idle.ms': 500, 'auto.create.topics.enable': true } });
  const conns: RawConnection[] = [];
  const kafka = new Kafka({ clientId: 'idle-test', brokers: [b.bootstrap], logLevel: logLevel.NOTHING });
  const producer = kafka.producer({ allowAutoTopicCreation: true });
  const server = (): { connectionCount: number } => (b.broker as unknown as { servers: { connectionCount: number }[] }).servers[0] as { connectionCount: number };
  try {
    for (let i = 0; i < 20; i++) conns.push(await rawConnect(b.port));
    // A slow sender: one byte of a request every 200 ms of broker time, never completing it.
    const slow = await rawConnect(b.port);
    await waitFor(() => server().connectionCount === 21, 10_000, 'the broker to accept 21 connections', 5);
    const request = WireClient.encodeRequest(18, 3, { clientSoftwareName: 'x', clientSoftwareVersion: '1' }, 1);
    let sent = 0;
    await producer.connect();
    let produced = 0;
    // Keep producing for 3 s of broker time (six idle periods); every send must succeed.
    for (let step = 0; step < 30; step++) {
      await producer.send({ topic: 'idle-busy', messages: [{ value: `m${produced}` }] });
      produced++;
      if (step % 2 === 0 && !slow.closed() && sent < request.length - 1) slow.socket.write(request.subarray(sent, ++sent));
      clock.advance(100);
    }
    await waitFor(() => conns.every((c) => c.closed()), 10_000, 'all 20 idle connections closed');
    await waitFor(() => slow.closed(), 10_000, 'the slow sender closed');
    assert.ok(sent < request.length - 1, `the slow sender was closed before finishing its request (${sent} of ${request.length} bytes sent)`);
    console.log(`idle: 20/20 idle connections and the slow sender (after ${sent} bytes) closed; kafkajs produced ${produced} messages without error`);
    assert.equal(produced, 30);
  } finally {
    await producer.disconnect().catch(() => undefined);
    for (const c of conns) c.socket.destroy();
    await b.stop();
  }
});

test('max.connections.per.ip=10: exactly 10 of 50 connections from one address stay open, and an override raises the limit', { timeout: 60_000 }, async () => {
  const b = await startBroker({ port: 0, config: { 'max.connections.per.ip': 10 } });
  const conns: RawConnection[] = [];
  try {
    for (let i = 0; i < 50; i++) conns.push(await rawConnect(b.port));
    await waitFor(() => conns.filter((c) => c.closed()).length === 40, 10_000, '40 connections closed', 20);
    const kept = conns.filter((c) => !c.closed());
    assert.equal(kept.length, 10);
    for (const c of conns) c.socket.destroy();
    // Once they are gone, new connections are accepted again.
    await waitFor(() => b.broker['servers'][0]?.connectionCount === 0, 10_000, 'connections forgotten', 20);
    const again = await WireClient.connect(b.port);
    assert.ok((await again.apiVersions()).apiKeys.length > 0);
    again.close();
  } finally {
    for (const c of conns) c.socket.destroy();
    await b.stop();
  }
  const o = await startBroker({ port: 0, config: { 'max.connections.per.ip': 2, 'max.connections.per.ip.overrides': '127.0.0.1:5' } });
  const oc: RawConnection[] = [];
  try {
    for (let i = 0; i < 8; i++) oc.push(await rawConnect(o.port));
    await waitFor(() => oc.filter((c) => c.closed()).length === 3, 10_000, '3 of 8 connections closed', 20);
    assert.equal(oc.filter((c) => !c.closed()).length, 5);
  } finally {
    for (const c of oc) c.socket.destroy();
    await o.stop();
  }
});
