/**
 * The CLI's connection (src/client/connection.ts, on the one protocol client) facing a peer that
 * sends a broken stream: a negative size prefix, a frame too short to hold a correlation id, a size
 * prefix of 2 GiB. Each must reject the pending request with ClientConnectionError and close the
 * connection; the process must not crash on an exception thrown from a socket event, and the
 * request must not sit until its timeout. The peer is a bare TCP server (a real broker never sends
 * such bytes), and the client is driven only through the API the CLI uses.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server, type Socket } from 'node:net';
import { ClientConnectionError, KafkaConnection } from '../../src/client/connection.js';

const API_VERSIONS = 18;

/** A server that answers the first bytes it receives with `reply`, and the port it listens on. */
async function hostilePeer(reply: Buffer): Promise<{ server: Server; port: number; sockets: Set<Socket> }> {
  const sockets = new Set<Socket>();
  const server = createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => undefined);
    s.once('data', () => s.write(reply));
  });
  await new Promise<void>((res) => server.listen(0, '127.0.0.1', () => res()));
  const addr = server.address();
  assert.ok(addr !== null && typeof addr === 'object');
  return { server, port: addr.port, sockets };
}

function int32(v: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeInt32BE(v, 0);
  return b;
}

const cases: { name: string; reply: Buffer }[] = [
  { name: 'a negative size prefix', reply: int32(-1) },
  { name: 'a 2-byte frame (no room for a correlation id)', reply: Buffer.concat([int32(2), Buffer.from([0, 1])]) },
  { name: 'a size prefix of 2 GiB - 1', reply: Buffer.concat([int32(0x7fffffff), int32(1)]) },
];

for (const { name, reply } of cases) {
  test(`a peer that answers with ${name}: the request rejects as a broken stream and the connection closes`, async () => {
    const peer = await hostilePeer(reply);
    try {
      const conn = await KafkaConnection.open(`127.0.0.1:${peer.port}`, { clientId: 'hostile-test', timeoutMs: 5000 });
      try {
        // A 20 s request timeout: the rejection must come from the broken stream, not the timer.
        const err = await conn.request(API_VERSIONS, 0, {}, 20_000).then(
          () => null,
          (e: unknown) => e,
        );
        assert.ok(err instanceof ClientConnectionError, `expected a ClientConnectionError, got ${String(err)}`);
        assert.match(err.message, /malformed/);
        await assert.rejects(conn.request(API_VERSIONS, 0, {}, 20_000), ClientConnectionError);
      } finally {
        conn.close();
      }
    } finally {
      for (const s of peer.sockets) s.destroy();
      await new Promise<void>((res) => peer.server.close(() => res()));
    }
  });
}
