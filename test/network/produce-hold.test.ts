/**
 * Which Produce requests hold the requests pipelined behind them on a connection (connection.ts,
 * holdRequestsUntil): one whose appends finish asynchronously does (nothing may overtake them);
 * one whose appends are done and whose answer only waits for replication (acks=all on a
 * replicated leader) does not, so a producer pipelining acks=all requests is not limited to one
 * replication round trip per request. Answers go out in request order either way.
 * Driven over TCP through a real Connection with a dispatcher standing in for the broker.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import { BufferPool } from '../../src/common/buffer-pool.js';
import { Logger } from '../../src/common/logger.js';
import { ProtocolClient } from '../../src/client/protocol-client.js';
import { Connection, type DispatchResult, type FrameDispatcher } from '../../src/network/connection.js';
import { RequestBudget } from '../../src/network/request-budget.js';

const PRODUCE = 0;

/** A frame the connection dispatches: api key, version, correlation id, client id (null). */
function frame(apiKey: number, correlationId: number): Buffer {
  const b = Buffer.alloc(4 + 10);
  b.writeInt32BE(10, 0);
  b.writeInt16BE(apiKey, 4);
  b.writeInt16BE(0, 6);
  b.writeInt32BE(correlationId, 8);
  b.writeInt16BE(-1, 12);
  return b;
}

/** An answer frame body: the correlation id alone. */
function answer(correlationId: number): Buffer[] {
  const b = Buffer.alloc(4);
  b.writeInt32BE(correlationId, 0);
  return [b];
}

interface Harness {
  port: number;
  dispatched: number[];
  stop(): Promise<void>;
}

async function serve(onDispatch: (correlationId: number, conn: Connection) => DispatchResult | Promise<DispatchResult>): Promise<Harness> {
  const dispatched: number[] = [];
  const conns: Connection[] = [];
  const dispatcher: FrameDispatcher = {
    dispatch(f, conn) {
      const id = f.readInt32BE(4);
      dispatched.push(id);
      return onDispatch(id, conn);
    },
  };
  const budget = new RequestBudget({ maxRequestBytes: 0, maxRequests: 500, maxUnsentResponseBytes: 1 << 20 });
  let next = 1;
  const server: Server = createServer({ noDelay: true, pauseOnConnect: true }, (socket) => {
    conns.push(new Connection(socket, dispatcher, { maxFrameBytes: 1 << 20, listenerName: 'PLAINTEXT', budget, onClose: () => undefined, id: next++, framePool: new BufferPool(1 << 20), logger: new Logger() }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as { port: number }).port,
    dispatched,
    async stop() {
      for (const c of conns) c.close('test over');
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

async function until(what: string, cond: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!cond()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setImmediate(r));
  }
}

test('a Produce whose answer waits (appends done) does not hold the next request: it is dispatched at once, answers stay in order', { timeout: 30_000 }, async () => {
  let release!: () => void;
  const committed = new Promise<void>((r) => (release = r));
  // Request 1: appended, answer waiting for replication (a pending promise, no hold). Request 2: answered at once.
  const h = await serve((id) => (id === 1 ? committed.then(() => answer(1)) : answer(id)));
  const c = await ProtocolClient.connect({ port: h.port });
  try {
    const order: number[] = [];
    const a1 = c.sendFrame(1, frame(PRODUCE, 1)).then(() => order.push(1));
    const a2 = c.sendFrame(2, frame(PRODUCE, 2)).then(() => order.push(2));
    await until('the second Produce to be dispatched while the first waits', () => h.dispatched.length === 2);
    assert.deepEqual(h.dispatched, [1, 2]);
    assert.deepEqual(order, [], 'the second answer waits for the first (request order)');
    release();
    await Promise.all([a1, a2]);
    assert.deepEqual(order, [1, 2]);
  } finally {
    c.close();
    await h.stop();
  }
});

test('a Produce whose appends are asynchronous holds the requests behind it until they are done (holdRequestsUntil)', { timeout: 30_000 }, async () => {
  let appended!: () => void;
  const appends = new Promise<void>((r) => (appended = r));
  const h = await serve((id, conn) => {
    if (id !== 1) return answer(id);
    conn.holdRequestsUntil(appends);
    return appends.then(() => answer(1));
  });
  const c = await ProtocolClient.connect({ port: h.port });
  try {
    const a1 = c.sendFrame(1, frame(PRODUCE, 1));
    const a2 = c.sendFrame(2, frame(18, 2));
    await until('the first request to be dispatched', () => h.dispatched.length >= 1);
    // Let the second frame arrive and be read: it must stay undispatched while the hold lasts.
    for (let i = 0; i < 50; i++) await new Promise((r) => setImmediate(r));
    assert.deepEqual(h.dispatched, [1], 'nothing overtakes the pending appends');
    appended();
    await Promise.all([a1, a2]);
    assert.deepEqual(h.dispatched, [1, 2]);
  } finally {
    c.close();
    await h.stop();
  }
});
