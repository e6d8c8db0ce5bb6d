/**
 * The share-partition leader's persister (Kafka's DefaultStatePersister): reads and writes each
 * share-partition's durable state at its share coordinator, the leader of the key's
 * `__share_group_state` partition (share-state-store.ts): directly when that is this broker,
 * else with ReadShareGroupState / WriteShareGroupState over the inter-broker listener (one
 * connection per broker, like the transaction markers').
 *
 * Kafka's rules kept: each request carries the share-partition's leader epoch (the coordinator
 * fences older ones); NOT_COORDINATOR, COORDINATOR_NOT_AVAILABLE, COORDINATOR_LOAD_IN_PROGRESS,
 * a state partition without a leader or an unreachable coordinator are retried after a backoff
 * (the coordinator is found again from the metadata each time) until the request timeout
 * (`offsets.commit.timeout.ms`, the bound of the coordinators' own writes), then
 * the last error is thrown; other errors (FENCED_LEADER_EPOCH) are thrown at once. A write sends
 * the state as it is when the attempt is made, so a retried write never carries stale state.
 *
 * InitializeShareGroupState (a share-partition's first state) and DeleteShareGroupState (a deleted
 * share group's) go the same way.
 *
 * Samsa's deviations: the coordinator is found from the metadata image (Kafka's persister asks
 * FindCoordinator with key type share); the share-partition leader initialises a share-partition
 * without state on its first use (Kafka's group coordinator does on assignment); one request per
 * share-partition.
 */
import type { ClientSecurity } from '../../client/client-security.js';
import { ErrorCode } from '../../common/error-codes.js';
import { KafkaError } from '../../common/kafka-error.js';
import type { Logger } from '../../common/logger.js';
import type { Scheduler } from '../../common/scheduler.js';
import type { MetadataStore } from '../../metadata/store.js';
import { ApiKey } from '../../protocol/generated/api-keys.js';
import type { ReadShareGroupStateResponse } from '../../protocol/generated/messages/read-share-group-state.js';
import type { WriteShareGroupStateResponse } from '../../protocol/generated/messages/write-share-group-state.js';
import { PeerConnections } from '../peer-connections.js';
import type { PersistedShareState } from './share-partition.js';
import { SHARE_STATE_TOPIC, type ShareStateKey, type ShareStateStore } from './share-state-store.js';

export interface SharePersister {
  /** The state of a share-partition (undefined when it has none), read with its leader epoch. */
  read(key: ShareStateKey, leaderEpoch: number): Promise<PersistedShareState | undefined>;
  /** Writes the state (`state()` as it is when sent); resolves once the coordinator committed it. */
  write(key: ShareStateKey, state: () => PersistedShareState, leaderEpoch: number): Promise<void>;
  /** InitializeShareGroupState: the share-partition's first state (no in-flight records). */
  initialize(key: ShareStateKey, stateEpoch: number, startOffset: number): Promise<void>;
  /** DeleteShareGroupState: the share-partition's state is tombstoned. */
  delete(key: ShareStateKey): Promise<void>;
  close(): void;
}

export interface PersisterDeps {
  localId: number;
  store: ShareStateStore;
  metadata: Pick<MetadataStore, 'image'>;
  /** The listener other brokers are reached on (inter.broker.listener.name) and its client security. */
  listenerName: string;
  security: ClientSecurity | undefined;
  scheduler: Pick<Scheduler, 'schedule' | 'now'>;
  backoffMs: number;
  requestTimeoutMs: number;
  logger: Logger;
}

const RETRIED: ReadonlySet<number> = new Set([ErrorCode.NOT_COORDINATOR, ErrorCode.COORDINATOR_NOT_AVAILABLE, ErrorCode.COORDINATOR_LOAD_IN_PROGRESS, ErrorCode.NOT_LEADER_OR_FOLLOWER, ErrorCode.REQUEST_TIMED_OUT, ErrorCode.NOT_ENOUGH_REPLICAS, ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND]);

/** A state partition with no leader yet (or one this broker has not applied): retried. */
class NoCoordinator extends Error {}

export class RoutedSharePersister implements SharePersister {
  private readonly peers: PeerConnections;

  constructor(private readonly deps: PersisterDeps) {
    this.peers = new PeerConnections({
      metadata: deps.metadata,
      listenerName: deps.listenerName,
      clientId: `samsa-share-persister-${deps.localId}`,
      requestTimeoutMs: deps.requestTimeoutMs,
      security: deps.security,
      unregistered: (brokerId) => new NoCoordinator(`broker ${brokerId} is not registered`),
      closedError: () => new Error('the share persister is closed'),
    });
  }

  read(key: ShareStateKey, leaderEpoch: number): Promise<PersistedShareState | undefined> {
    return this.retry(`reading the share state of ${describe(key)}`, key, async (where) => {
      if (where === 'local') return this.deps.store.readForLeader(key, leaderEpoch);
      const r = await this.request<ReadShareGroupStateResponse>(where, ApiKey.ReadShareGroupState, { groupId: key.groupId, topics: [{ topicId: key.topicId, partitions: [{ partition: key.partition, leaderEpoch }] }] });
      const p = r.results[0]?.partitions[0];
      if (p === undefined) throw new KafkaError(ErrorCode.UNKNOWN_SERVER_ERROR, 'ReadShareGroupState answered no partition');
      if (p.errorCode !== ErrorCode.NONE) throw new KafkaError(p.errorCode, p.errorMessage ?? undefined);
      if (p.startOffset < 0n) return undefined;
      return { startOffset: Number(p.startOffset), batches: p.stateBatches.map((b) => ({ firstOffset: Number(b.firstOffset), lastOffset: Number(b.lastOffset), deliveryState: b.deliveryState, deliveryCount: b.deliveryCount })) };
    });
  }

  write(key: ShareStateKey, state: () => PersistedShareState, leaderEpoch: number): Promise<void> {
    return this.retry(`writing the share state of ${describe(key)}`, key, async (where) => {
      if (where === 'local') return this.deps.store.write(key, state, leaderEpoch);
      const s = state();
      const r = await this.request<WriteShareGroupStateResponse>(where, ApiKey.WriteShareGroupState, {
        groupId: key.groupId,
        topics: [
          {
            topicId: key.topicId,
            partitions: [
              {
                partition: key.partition,
                stateEpoch: 0,
                leaderEpoch,
                startOffset: BigInt(s.startOffset),
                stateBatches: s.batches.map((b) => ({ firstOffset: BigInt(b.firstOffset), lastOffset: BigInt(b.lastOffset), deliveryState: b.deliveryState, deliveryCount: b.deliveryCount })),
              },
            ],
          },
        ],
      });
      const p = r.results[0]?.partitions[0];
      if (p === undefined) throw new KafkaError(ErrorCode.UNKNOWN_SERVER_ERROR, 'WriteShareGroupState answered no partition');
      if (p.errorCode !== ErrorCode.NONE) throw new KafkaError(p.errorCode, p.errorMessage ?? undefined);
    });
  }

  initialize(key: ShareStateKey, stateEpoch: number, startOffset: number): Promise<void> {
    return this.retry(`initializing the share state of ${describe(key)}`, key, async (where) => {
      if (where === 'local') return this.deps.store.initialize(key, stateEpoch, startOffset);
      const r = await this.request<PartitionResults>(where, ApiKey.InitializeShareGroupState, { groupId: key.groupId, topics: [{ topicId: key.topicId, partitions: [{ partition: key.partition, stateEpoch, startOffset: BigInt(startOffset) }] }] });
      throwIfFailed(r, 'InitializeShareGroupState');
    });
  }

  delete(key: ShareStateKey): Promise<void> {
    return this.retry(`deleting the share state of ${describe(key)}`, key, async (where) => {
      if (where === 'local') return this.deps.store.deleteState(key);
      const r = await this.request<PartitionResults>(where, ApiKey.DeleteShareGroupState, { groupId: key.groupId, topics: [{ topicId: key.topicId, partitions: [{ partition: key.partition }] }] });
      throwIfFailed(r, 'DeleteShareGroupState');
    });
  }

  close(): void {
    this.peers.close();
  }

  // ------------------------------------------------------------------------------ internals

  /** Runs `attempt` at the key's coordinator, again after a backoff while the error is retriable, until the request timeout. */
  private async retry<T>(what: string, key: ShareStateKey, attempt: (where: 'local' | number) => Promise<T>): Promise<T> {
    const deadline = this.deps.scheduler.now() + this.deps.requestTimeoutMs;
    for (let tries = 1; ; tries++) {
      try {
        await this.deps.store.ensureTopic();
        return await attempt(this.coordinatorOf(key));
      } catch (e) {
        const retriable = !(e instanceof KafkaError) || RETRIED.has(e.code);
        if (this.peers.isClosed || !retriable || this.deps.scheduler.now() >= deadline) {
          if (e instanceof KafkaError) throw e;
          throw new KafkaError(ErrorCode.COORDINATOR_NOT_AVAILABLE, `${what}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
        }
        if (tries === 1 || tries % 20 === 0) this.deps.logger.debug(`${what} (attempt ${tries}): ${e instanceof Error ? e.message : String(e)}; retrying`);
        await new Promise<void>((resolve) => this.deps.scheduler.schedule(this.deps.backoffMs, resolve));
      }
    }
  }

  /** Where the key's coordinator is: this broker, another broker, or nowhere yet (NoCoordinator, retried). */
  private coordinatorOf(key: ShareStateKey): 'local' | number {
    const partition = this.deps.store.partitionOf(key);
    if (partition === undefined) throw new NoCoordinator(`${SHARE_STATE_TOPIC} does not exist yet`);
    if (this.deps.store.leads(partition)) return 'local';
    const leader = this.deps.metadata.image().topic(SHARE_STATE_TOPIC)?.partitions[partition]?.leader ?? -1;
    // Led here by the image but not applied yet, or led by nobody: wait.
    if (leader < 0 || leader === this.deps.localId) throw new NoCoordinator(`${SHARE_STATE_TOPIC}-${partition} has no leader to write to yet`);
    return leader;
  }

  private async request<T>(brokerId: number, apiKey: number, body: unknown): Promise<T> {
    const client = await this.peers.get(brokerId);
    try {
      return await client.request<T>(apiKey, 0, body);
    } catch (e) {
      this.peers.drop(brokerId, client);
      throw e;
    }
  }
}

/** The shape of the Initialize/DeleteShareGroupState responses. */
interface PartitionResults {
  results: { partitions: { errorCode: number; errorMessage: string | null }[] }[];
}

function throwIfFailed(r: PartitionResults, api: string): void {
  const p = r.results[0]?.partitions[0];
  if (p === undefined) throw new KafkaError(ErrorCode.UNKNOWN_SERVER_ERROR, `${api} answered no partition`);
  if (p.errorCode !== ErrorCode.NONE) throw new KafkaError(p.errorCode, p.errorMessage ?? undefined);
}

function describe(key: ShareStateKey): string {
  return `${key.groupId}:${key.topicId}:${key.partition}`;
}
