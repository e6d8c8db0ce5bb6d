/**
 * A TCP proxy that records the request frames real clients send: every client→broker byte is
 * forwarded unchanged and also split into size-prefixed frames, which are kept (size prefix
 * included) for the broker fuzz test's corpus. Clients find the proxy because the broker
 * advertises it (advertised.listeners=PLAINTEXT://127.0.0.1:<proxy port>).
 */
import { createServer, connect, type Server, type Socket } from 'node:net';

export interface RecordingProxy {
  port: number;
  /** Recorded request frames, each with its 4-byte size prefix, in arrival order per connection. */
  readonly frames: Buffer[];
  /** Forward new connections to this broker port (set once the broker is up). */
  setTarget(port: number): void;
  close(): Promise<void>;
}

export async function startRecordingProxy(maxFrameBytes = 1 << 20): Promise<RecordingProxy> {
  const frames: Buffer[] = [];
  const sockets = new Set<Socket>();
  let target = 0;
  const server: Server = createServer((client) => {
    sockets.add(client);
    const upstream = connect({ host: '127.0.0.1', port: target });
    sockets.add(upstream);
    let pending: Buffer = Buffer.alloc(0);
    client.on('data', (d: Buffer) => {
      upstream.write(d);
      pending = pending.length === 0 ? d : Buffer.concat([pending, d]);
      while (pending.length >= 4) {
        const size = pending.readInt32BE(0);
        if (size < 0 || size > maxFrameBytes) {
          pending = Buffer.alloc(0); // not a frame we keep; stop splitting this connection
          break;
        }
        if (pending.length < 4 + size) break;
        frames.push(Buffer.from(pending.subarray(0, 4 + size)));
        pending = pending.subarray(4 + size);
      }
    });
    upstream.on('data', (d: Buffer) => client.write(d));
    const end = (): void => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('close', end);
    upstream.on('close', end);
    client.on('error', end);
    upstream.on('error', end);
  });
  await new Promise<void>((res) => server.listen(0, '127.0.0.1', () => res()));
  const addr = server.address();
  if (addr === null || typeof addr === 'string') throw new Error('proxy has no port');
  return {
    port: addr.port,
    frames,
    setTarget(port: number) {
      target = port;
    },
    close() {
      for (const s of sockets) s.destroy();
      return new Promise<void>((res) => server.close(() => res()));
    },
  };
}
