/**
 * The registry's view of a Kafka cluster, through Samsa's protocol client (src/client) only, so
 * the registry runs against any Kafka-protocol cluster: one connection per broker, opened on
 * demand; Metadata from any reachable broker (bootstrap servers first, then known brokers); a
 * broken connection is dropped and reopened on next use.
 *
 * Kafka's rule (clients): requests for a partition go to its leader, group requests to the
 * group's coordinator (FindCoordinator); NOT_LEADER_OR_FOLLOWER / NOT_COORDINATOR mean "refresh
 * metadata and retry". Samsa's deviation: no connection pooling or request pipelining beyond what
 * one ProtocolClient does, as the registry's traffic is tiny.
 */
import { errorName } from '../common/error-codes.js';
import type { ClientSecurity } from '../client/client-security.js';
import { ProtocolClient } from '../client/protocol-client.js';
import type { MetadataResponse } from '../protocol/generated/messages/metadata.js';
import type { FindCoordinatorResponse } from '../protocol/generated/messages/find-coordinator.js';

export const Api = {
  Produce: 0,
  Fetch: 1,
  ListOffsets: 2,
  Metadata: 3,
  FindCoordinator: 10,
  JoinGroup: 11,
  Heartbeat: 12,
  LeaveGroup: 13,
  SyncGroup: 14,
  CreateTopics: 19,
} as const;

export interface HostPort {
  host: string;
  port: number;
}

/** A Kafka error code answered where the registry could not go on. */
export class KafkaLinkError extends Error {
  constructor(
    readonly what: string,
    readonly code: number,
  ) {
    super(`${what}: ${errorName(code)}`);
    this.name = 'KafkaLinkError';
  }
}

export function parseBootstrap(s: string): HostPort[] {
  return s
    .split(',')
    .map((x) => x.trim().replace(/^[a-z_]+:\/\//i, ''))
    .filter((x) => x.length > 0)
    .map((x) => {
      const m = /^\[([^\]]+)\]:(\d+)$/.exec(x) ?? /^([^:]+):(\d+)$/.exec(x);
      if (!m) throw new Error(`invalid bootstrap server '${x}', expected host:port`);
      return { host: m[1] as string, port: Number(m[2]) };
    });
}

export class KafkaLink {
  private readonly brokers = new Map<number, HostPort>();
  private readonly conns = new Map<string, Promise<ProtocolClient>>();
  private closed = false;

  constructor(
    private readonly bootstrap: readonly HostPort[],
    private readonly clientId: string,
    private readonly requestTimeoutMs = 30_000,
    /** TLS / SASL of every connection (client-security.ts); undefined: PLAINTEXT. */
    private readonly security?: ClientSecurity,
  ) {}

  /**
   * A connection to host:port (reused while it stays open). A broker answers a connection's
   * requests in order, so long polls (the log follower's Fetch, JoinGroup) get a `lane` of their
   * own: requests on the default lane never wait behind them.
   */
  connection(hp: HostPort, lane = ''): Promise<ProtocolClient> {
    if (this.closed) return Promise.reject(new Error('the registry is closing'));
    const key = `${hp.host}:${hp.port}/${lane}`;
    const existing = this.conns.get(key);
    if (existing) {
      return existing.then(
        (c) => {
          if (!c.closed) return c;
          this.conns.delete(key);
          return this.connection(hp, lane);
        },
        () => {
          this.conns.delete(key);
          return this.connection(hp, lane);
        },
      );
    }
    const p = ProtocolClient.connect({ host: hp.host, port: hp.port, clientId: this.clientId, connectTimeoutMs: 5_000, requestTimeoutMs: this.requestTimeoutMs, ...(this.security !== undefined ? { security: this.security } : {}) });
    this.conns.set(key, p);
    p.catch(() => this.conns.delete(key));
    return p;
  }

  /** A connection to broker `nodeId` (from the last metadata). */
  async node(nodeId: number, lane = ''): Promise<ProtocolClient> {
    let hp = this.brokers.get(nodeId);
    if (!hp) {
      await this.metadata([]);
      hp = this.brokers.get(nodeId);
    }
    if (!hp) throw new Error(`broker ${nodeId} is not in the cluster metadata`);
    return this.connection(hp, lane);
  }

  /** Sends a request to any reachable broker (bootstrap servers, then known brokers). */
  async any<T>(apiKey: number, version: number, body: unknown): Promise<T> {
    let last: unknown;
    for (const hp of [...this.bootstrap, ...this.brokers.values()]) {
      try {
        const c = await this.connection(hp);
        return await c.request<T>(apiKey, version, body);
      } catch (e) {
        last = e;
      }
    }
    throw last instanceof Error ? last : new Error('no broker reachable');
  }

  /** Metadata v12 for `topics` (null: all); remembers the brokers. */
  async metadata(topics: readonly string[] | null): Promise<MetadataResponse> {
    const res = await this.any<MetadataResponse>(Api.Metadata, 12, {
      topics: topics === null ? null : topics.map((name) => ({ name })),
      allowAutoTopicCreation: false,
    });
    for (const b of res.brokers) this.brokers.set(b.nodeId, { host: b.host, port: b.port });
    return res;
  }

  /** The leader of a partition (-1 while there is none), with the topic's replica count. */
  async partitionLeader(topic: string, partition: number): Promise<{ leader: number; errorCode: number }> {
    const md = await this.metadata([topic]);
    const t = md.topics.find((x) => x.name === topic);
    if (!t) return { leader: -1, errorCode: 3 };
    if (t.errorCode !== 0) return { leader: -1, errorCode: t.errorCode };
    const p = t.partitions.find((x) => x.partitionIndex === partition);
    return { leader: p?.leaderId ?? -1, errorCode: p?.errorCode ?? 3 };
  }

  /** The coordinator of a group, on the 'group' lane (JoinGroup waits for the whole group). */
  async groupCoordinator(group: string): Promise<ProtocolClient> {
    const res = await this.any<FindCoordinatorResponse>(Api.FindCoordinator, 4, { keyType: 0, coordinatorKeys: [group] });
    const c = res.coordinators[0];
    if (!c || c.errorCode !== 0) throw new KafkaLinkError(`FindCoordinator for group '${group}'`, c?.errorCode ?? -1);
    this.brokers.set(c.nodeId, { host: c.host, port: c.port });
    return this.connection({ host: c.host, port: c.port }, 'group');
  }

  close(): void {
    this.closed = true;
    for (const p of this.conns.values()) p.then((c) => c.close(), () => undefined);
    this.conns.clear();
  }
}
