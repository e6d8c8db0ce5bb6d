/**
 * A network fault harness for tests: every link between chosen parties goes through a small TCP
 * proxy (node:net) that can cut it, delay it, or drop one direction, while the processes at both
 * ends keep running. Parties are named strings: brokers `b1`, `b2`, ..., etcd `etcd`, and `client`
 * for anything else (producers, consumers, the test's own requests).
 *
 * - `proxy(to, target)` listens on a free port in front of party `to` (a broker's listener, an
 *   etcd member). Each connection it accepts is attributed to a peer by `identify` — for a Kafka
 *   listener, `kafkaPeer` reads the client id of the first request: a broker's replica fetcher
 *   (`samsa-replica-<id>`) and transaction marker sender (`samsa-txn-markers-<id>`) are `b<id>`,
 *   every other client is `client`; a proxy in front of etcd for broker 2 identifies every
 *   connection as `b2`. The target can change (a restarted broker binds a new port).
 * - `cut(a, b)` stops both directions between a and b, `drop(from, to)` one direction, `heal()`
 *   undoes them; `delay(a, b, ms)` delays both directions.
 * A stopped direction *holds* bytes (the proxy stops reading, so TCP backpressure builds) instead
 * of discarding them: that is what a partition does to TCP (segments are retransmitted until the
 * link returns or a peer's timeout closes the connection), so a stream resumes intact when healed.
 * A connection opened during a cut is accepted but gets nowhere (no bytes pass) until healed.
 * close() destroys every proxy and connection.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';

export type Direction = `${string}>${string}`;

/** Attributes a connection to its peer from the first bytes it sent; undefined: need more bytes. */
export type Identify = (head: Buffer) => string | undefined;

/** The client id of the first Kafka request: `b<id>` for a Samsa broker's own connections, else `client`. */
export const kafkaPeer: Identify = (head) => {
  // size:int32 apiKey:int16 apiVersion:int16 correlationId:int32 clientId:nullable string (int16 length)
  if (head.length < 14) return undefined;
  const len = head.readInt16BE(12);
  if (len < 0) return 'client';
  if (head.length < 14 + len) return undefined;
  const m = /^samsa-(?:replica|txn-markers)-(\d+)$/.exec(head.toString('utf8', 14, 14 + len));
  return m ? `b${m[1]}` : 'client';
};

interface Chunk {
  data: Buffer;
  releaseAt: number;
}

/** One direction of one proxied connection. */
class Pump {
  private readonly queue: Chunk[] = [];
  private ended = false;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly net: FaultNet,
    readonly dir: Direction,
    private readonly src: Socket,
    private readonly dst: Socket,
  ) {}

  push(data: Buffer): void {
    this.queue.push({ data, releaseAt: performance.now() + this.net.delayOf(this.dir) });
    this.flush();
  }

  end(): void {
    this.ended = true;
    this.flush();
  }

  flush(): void {
    if (this.dst.destroyed) return;
    if (this.net.blocked(this.dir)) {
      this.src.pause();
      return;
    }
    this.src.resume();
    const now = performance.now();
    while (this.queue.length > 0) {
      const head = this.queue[0] as Chunk;
      if (head.releaseAt > now) {
        if (this.timer === null) {
          this.timer = setTimeout(() => {
            this.timer = null;
            this.flush();
          }, Math.ceil(head.releaseAt - now));
        }
        return;
      }
      this.queue.shift();
      this.dst.write(head.data);
    }
    if (this.ended) this.dst.end();
  }

  stop(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }
}

interface Conn {
  pumps: Pump[];
  sockets: Socket[];
}

export interface Proxy {
  /** The party behind it. */
  readonly to: string;
  /** The port it listens on (127.0.0.1). */
  readonly port: number;
  /** Where it forwards to (set again when the party restarts on another port). */
  target: { host: string; port: number };
  close(): Promise<void>;
}

export class FaultNet {
  private readonly blockedDirs = new Set<Direction>();
  private readonly delays = new Map<Direction, number>();
  private readonly conns = new Set<Conn>();
  private readonly servers: Server[] = [];

  /** A proxy in front of party `to`, forwarding to `target`; `identify` names each connection's peer. */
  async proxy(to: string, target: { host: string; port: number }, identify: Identify): Promise<Proxy> {
    const server = createServer((socket) => this.accept(socket, to, proxy, identify));
    this.servers.push(server);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const addr = server.address();
    const proxy: Proxy = {
      to,
      port: typeof addr === 'object' && addr !== null ? addr.port : 0,
      target,
      close: () => new Promise((resolve) => server.close(() => resolve())),
    };
    return proxy;
  }

  /** Stops both directions between `a` and `b`. */
  cut(a: string, b: string): void {
    this.drop(a, b);
    this.drop(b, a);
  }

  /** Stops bytes from `from` to `to` (the other direction still flows). */
  drop(from: string, to: string): void {
    this.blockedDirs.add(`${from}>${to}`);
  }

  /** Delays both directions between `a` and `b` by `ms` (0: no delay). */
  delay(a: string, b: string, ms: number): void {
    for (const d of [`${a}>${b}`, `${b}>${a}`] as Direction[]) {
      if (ms > 0) this.delays.set(d, ms);
      else this.delays.delete(d);
    }
    this.flushAll();
  }

  /** Lets bytes flow again: between `a` and `b`, or (no arguments) everywhere; delays stay. */
  heal(a?: string, b?: string): void {
    if (a === undefined || b === undefined) this.blockedDirs.clear();
    else {
      this.blockedDirs.delete(`${a}>${b}`);
      this.blockedDirs.delete(`${b}>${a}`);
    }
    this.flushAll();
  }

  /** Cuts `party` off from every party in `others`. */
  isolate(party: string, others: readonly string[]): void {
    for (const o of others) if (o !== party) this.cut(party, o);
  }

  blocked(dir: Direction): boolean {
    return this.blockedDirs.has(dir);
  }

  delayOf(dir: Direction): number {
    return this.delays.get(dir) ?? 0;
  }

  /** Number of open proxied connections (for a test's own checks). */
  get connections(): number {
    return this.conns.size;
  }

  async close(): Promise<void> {
    for (const c of this.conns) for (const s of c.sockets) s.destroy();
    this.conns.clear();
    await Promise.all(this.servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  }

  private flushAll(): void {
    for (const c of this.conns) for (const p of c.pumps) p.flush();
  }

  private accept(socket: Socket, to: string, proxy: Proxy, identify: Identify): void {
    const conn: Conn = { pumps: [], sockets: [socket] };
    this.conns.add(conn);
    let head = Buffer.alloc(0);
    let upstream: Socket | null = null;
    let forward: Pump | null = null;
    const close = (): void => {
      for (const s of conn.sockets) s.destroy();
      for (const p of conn.pumps) p.stop();
      this.conns.delete(conn);
    };
    socket.on('error', close);
    socket.on('close', close);
    socket.on('end', () => forward?.end());
    socket.on('data', (chunk: Buffer) => {
      if (forward !== null) {
        forward.push(chunk);
        return;
      }
      head = Buffer.concat([head, chunk]);
      const from = identify(head);
      if (from === undefined) return;
      upstream = connect(proxy.target.port, proxy.target.host);
      conn.sockets.push(upstream);
      upstream.on('error', close);
      upstream.on('close', close);
      forward = new Pump(this, `${from}>${to}`, socket, upstream);
      const back = new Pump(this, `${to}>${from}`, upstream, socket);
      conn.pumps.push(forward, back);
      upstream.on('data', (c: Buffer) => back.push(c));
      upstream.on('end', () => back.end());
      forward.push(head);
    });
  }
}

/** The proxy identification for a link whose peer is known in advance (a broker's etcd link). */
export function fixedPeer(peer: string): Identify {
  return () => peer;
}
