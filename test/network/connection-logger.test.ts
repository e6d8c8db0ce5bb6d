/**
 * A connection's log lines carry its context as fields (network/connection.ts's child logger):
 * connectionId, listener, clientAddress, and once known clientId (from a request header) and
 * principal. The lines are the broker's JSON log lines: the request log's line for an ApiVersions
 * and the connection's own "closing connection" line when the client sends a frame over
 * socket.request.max.bytes; a second connection that never sent a request has its own id and no
 * clientId.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { startBroker, type RunningBroker } from '../../src/index.js';
import { API, WireClient, waitFor } from '../helpers/wire.js';
import { logRecords, type LogRecord } from '../helpers/log-lines.js';

let broker: RunningBroker;
const lines: string[] = [];

before(async () => {
  broker = await startBroker({ port: 0, logger: { sink: (l) => void lines.push(l), level: 'debug' } });
});
after(async () => {
  await broker?.stop();
});

const closing = (): LogRecord[] => logRecords(lines).filter((r) => r.msg.startsWith('closing connection'));

test("a connection's log lines carry its id, listener, client address, client id and principal", { timeout: 60_000 }, async () => {
  const c = await WireClient.connect(broker.port);
  try {
    await c.request(API.ApiVersions, 3, { clientSoftwareName: 'samsa-test', clientSoftwareVersion: '1' });
    const request = await waitFor(() => logRecords(lines).find((r) => r.component === 'request' && r.api === 'ApiVersions'), 10_000, 'the request log line');
    // A frame over socket.request.max.bytes: the connection logs why it closes, then closes.
    c.writeRaw(Buffer.from([0x7f, 0xff, 0xff, 0xff]));
    assert.ok(await c.waitClosed(10_000), 'the broker closes the connection');
    const closed = await waitFor(() => closing().find((r) => r.connectionId === request.connectionId), 10_000, 'the closing line');
    for (const r of [request, closed]) {
      assert.equal(typeof r.connectionId, 'number', r.msg);
      assert.equal(r.listener, 'PLAINTEXT', r.msg);
      assert.match(String(r.clientAddress), /^127\.0\.0\.1:\d+$/, r.msg);
      assert.equal(r.clientId, 'samsa-test', r.msg);
      assert.equal(r.principal, 'User:ANONYMOUS', r.msg);
    }
    assert.equal(closed.clientAddress, request.clientAddress);
  } finally {
    c.close();
  }

  // Another connection, no request read: its own id, and no client id yet.
  await new Promise<void>((resolve, reject) => {
    const s = connect(broker.port, '127.0.0.1', () => s.write(Buffer.from([0x7f, 0xff, 0xff, 0xff])));
    s.on('error', reject);
    s.on('close', () => resolve());
    s.resume();
  });
  const ids = await waitFor(() => {
    const all = closing();
    return all.length >= 2 ? all : undefined;
  }, 10_000, 'two closing lines');
  const [first, second] = ids;
  assert.ok(first !== undefined && second !== undefined);
  assert.notEqual(second.connectionId, first.connectionId);
  assert.equal(second.clientId, undefined);
  assert.equal(second.principal, 'User:ANONYMOUS');
  assert.equal(second.listener, 'PLAINTEXT');
});
