/**
 * A connection to etcd for one cluster: the etcd3 client and the key layout under the cluster's
 * prefix (keys.ts). Only src/cluster/etcd/ touches the etcd3 client; the rest of Samsa sees the
 * MetadataStore interface, a BrokerRegistration and a ControllerLeadership.
 * The client is set up for etcd outages (docs/cluster.md): unary calls fail after
 * ETCD_CALL_DEADLINE_MS instead of hanging on a cut link, a member that failed is tried again at
 * once (no circuit breaker), and connections and watches come back within a second of etcd's return.
 */
import { Etcd3, type IOptions } from 'etcd3';
import { systemClock } from '../../common/clock.js';
import { EtcdKeys, normalizePrefix } from './keys.js';

type FaultHandling = NonNullable<IOptions['faultHandling']>;
type HostPolicy = ReturnType<NonNullable<FaultHandling['host']>>;
type Backoff = NonNullable<FaultHandling['watchBackoff']>;

/** A unary etcd call (a read, a transaction) fails after this long instead of hanging on a dead link. */
export const ETCD_CALL_DEADLINE_MS = 5000;

/**
 * No circuit breaker per etcd member: etcd3's default stops calling a member for 5 s after three
 * failures, which would keep a returning etcd unused for longer than a broker's lease. Calls still
 * go to another member on failure (etcd3's global retry picks a new host each time).
 */
const passThrough = {
  // async: a synchronous throw becomes a rejection (etcd3's markFailed relies on that).
  execute: async <T>(fn: (context: { signal: AbortSignal }) => PromiseLike<T> | T, signal?: AbortSignal): Promise<T> => fn({ signal: signal ?? new AbortController().signal }),
  onSuccess: () => ({ dispose: () => undefined }),
  onFailure: () => ({ dispose: () => undefined }),
} as unknown as HostPolicy;

/** Watch re-connection backoff: 100 ms doubling to 1 s (etcd3's default grows to 30 s). */
function watchBackoff(ms = 100): Backoff {
  return { duration: ms, next: () => watchBackoff(Math.min(1000, ms * 2)) } as unknown as Backoff;
}

export const DEFAULT_ETCD_PREFIX = '/samsa';

export interface EtcdSessionOptions {
  /** etcd client URLs, as a list or comma-separated (etcd.endpoints). */
  readonly endpoints: readonly string[] | string;
  /** Key prefix of this cluster (etcd.prefix), default /samsa. */
  readonly prefix?: string;
}

function clientOptions(hosts: string[]): IOptions {
  return {
    hosts,
    faultHandling: { host: () => passThrough, watchBackoff: watchBackoff() },
    defaultCallOptions: (ctx) => (ctx.isStream ? {} : { deadline: systemClock.now() + ETCD_CALL_DEADLINE_MS }),
    grpcOptions: {
      // A connection that went silent (a cut link) is noticed and replaced (etcd accepts pings every 5 s).
      'grpc.keepalive_time_ms': 10_000,
      'grpc.keepalive_timeout_ms': 5000,
      'grpc.keepalive_permit_without_calls': 1,
      // Reconnect within a second of etcd's return (gRPC's backoff grows to 120 s), well inside a lease.
      'grpc.initial_reconnect_backoff_ms': 100,
      'grpc.max_reconnect_backoff_ms': 1000,
    },
  };
}

export class EtcdSession {
  readonly client: Etcd3;
  readonly keys: EtcdKeys;
  /** The etcd members' client URLs (etcd.endpoints). */
  readonly endpoints: readonly string[];
  private closed = false;
  private readonly closeHooks: (() => void)[] = [];
  private readonly memberClients = new Map<string, Etcd3>();

  constructor(options: EtcdSessionOptions) {
    const hosts = (typeof options.endpoints === 'string' ? options.endpoints.split(',') : [...options.endpoints]).map((h) => h.trim()).filter((h) => h !== '');
    if (hosts.length === 0) throw new Error('etcd.endpoints is empty');
    this.endpoints = hosts;
    this.keys = new EtcdKeys(normalizePrefix(options.prefix ?? DEFAULT_ETCD_PREFIX));
    this.client = new Etcd3(clientOptions(hosts));
  }

  /**
   * A client bound to one member of `endpoints` (the lease keeper chooses which member carries its
   * keep-alive stream, and moves it when that member goes silent). gRPC shares the connection to a
   * member between clients with the same options, so this opens no extra connection.
   */
  memberClient(endpoint: string): Etcd3 {
    if (this.endpoints.length === 1 || this.closed) return this.client;
    let c = this.memberClients.get(endpoint);
    if (c === undefined) {
      c = new Etcd3(clientOptions([endpoint]));
      this.memberClients.set(endpoint, c);
    }
    return c;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Runs `hook` when the session closes (stops the keep-alive timers of a lease, say). */
  onClose(hook: () => void): void {
    this.closeHooks.push(hook);
  }

  /**
   * Closes the client. Registrations stop their keep-alives without revoking (they expire after
   * their TTL, as after a crash); a controller candidate resigns. The etcd3 client's own close()
   * leaves keep-alive streams running, hence the hooks.
   */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const h of this.closeHooks) {
      try {
        h();
      } catch {
        // closing anyway
      }
    }
    this.client.close();
    for (const c of this.memberClients.values()) c.close();
    this.memberClients.clear();
  }
}
