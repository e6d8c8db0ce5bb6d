/** TCP listener that hands each accepted socket to a Connection. */
import { createServer, type Server, type Socket } from 'node:net';
import { Connection, type FrameDispatcher } from './connection.js';

export interface ListenOptions {
  host: string;
  port: number;
  listenerName: string;
  maxFrameBytes: number;
  maxConnections?: number;
}

export class KafkaServer {
  private server: Server | null = null;
  private readonly connections = new Set<Connection>();

  constructor(private readonly dispatcher: FrameDispatcher, private readonly opts: ListenOptions) {}

  listen(): Promise<{ host: string; port: number }> {
    return new Promise((resolve, reject) => {
      // Paused: the Connection moves the socket into frame-reading mode before anything is read.
      const server = createServer({ noDelay: true, pauseOnConnect: true }, (socket: Socket) => this.accept(socket));
      server.once('error', reject);
      const host = this.opts.host === '' ? undefined : this.opts.host;
      server.listen({ port: this.opts.port, host }, () => {
        server.off('error', reject);
        this.server = server;
        const addr = server.address();
        if (addr === null || typeof addr === 'string') return reject(new Error('listener has no TCP address'));
        resolve({ host: addr.address, port: addr.port });
      });
    });
  }

  get connectionCount(): number {
    return this.connections.size;
  }

  private accept(socket: Socket): void {
    // Counted here: the accepted socket objects are handed over (see adoptFrameSocket), so the
    // net.Server's own count does not see them.
    if (this.opts.maxConnections !== undefined && this.connections.size >= this.opts.maxConnections) {
      socket.destroy();
      return;
    }
    const conn = new Connection(socket, this.dispatcher, this.opts.maxFrameBytes, this.opts.listenerName, (c) => this.connections.delete(c));
    this.connections.add(conn);
  }

  close(): Promise<void> {
    for (const c of [...this.connections]) c.close();
    const server = this.server;
    this.server = null;
    if (!server) return Promise.resolve();
    return new Promise((resolve) => server.close(() => resolve()));
  }
}
