/**
 * Which etcd member carries the keep-alives of a lease, seen from inside this process: wraps
 * etcd3's LeaseClient.leaseKeepAlive (for every etcd3 client of the process, so install it before
 * the brokers start) to note the member each keep-alive stream was opened to, and the lease ids
 * written on that stream. A test then knows exactly which member to kill or freeze to silence a
 * broker's lease keeper, whatever the keeper's own code does (it needs no hook in src/).
 */
import { LeaseClient, type IDuplexStream, type ILeaseKeepAliveRequest, type ILeaseKeepAliveResponse } from 'etcd3';

type KeepAliveStream = IDuplexStream<ILeaseKeepAliveRequest, ILeaseKeepAliveResponse>;
interface Connection {
  resource: { host: string };
}
/** The part of etcd3's connection pool (LeaseClient's private `client`) the wrapper uses. */
interface Pool {
  withConnection<T>(service: string, fn: (c: Connection) => Promise<T> | T): Promise<T>;
}
type KeepAlive = (this: { client: Pool }, options?: unknown) => Promise<KeepAliveStream>;

export interface KeepAliveSpy {
  /** host:port of the member the latest keep-alive of `leaseId` went to (undefined: none seen). */
  memberOf(leaseId: string): string | undefined;
  /** Every member the keep-alives of `leaseId` have gone to, in order (repeats collapsed), with when (performance.now()) the first keep-alive went there. */
  history(leaseId: string): { host: string; at: number }[];
  /** Puts etcd3's leaseKeepAlive back. */
  uninstall(): void;
}

export function spyOnKeepAlives(): KeepAliveSpy {
  const proto = LeaseClient.prototype as unknown as { leaseKeepAlive: KeepAlive };
  const original = proto.leaseKeepAlive;
  const latest = new Map<string, string>();
  const seen = new Map<string, { host: string; at: number }[]>();
  proto.leaseKeepAlive = function (this: { client: Pool }, options?: unknown): Promise<KeepAliveStream> {
    const pool = this.client;
    let host = '';
    // The pool with withConnection observed: the rest (markFailed, callOptionsFactory) is inherited.
    const spy = Object.create(pool) as Pool;
    spy.withConnection = (service, fn) =>
      pool.withConnection(service, (c) => {
        host = c.resource.host;
        return fn(c);
      });
    return original.call({ client: spy }, options).then((stream) => {
      const write = stream.write.bind(stream) as (req: ILeaseKeepAliveRequest) => boolean;
      (stream as unknown as { write: typeof write }).write = (req) => {
        const id = String(req.ID);
        latest.set(id, host);
        const h = seen.get(id) ?? [];
        if (h[h.length - 1]?.host !== host) h.push({ host, at: performance.now() });
        seen.set(id, h);
        return write(req);
      };
      return stream;
    });
  };
  return {
    memberOf: (id) => latest.get(id),
    history: (id) => [...(seen.get(id) ?? [])],
    uninstall: () => {
      proto.leaseKeepAlive = original;
    },
  };
}
