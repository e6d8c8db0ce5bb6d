/**
 * The replica fetchers of one broker (Kafka's ReplicaFetcherManager): one fetcher per source
 * broker (`num.replica.fetchers` = 1), each fetching every partition this broker follows from that
 * leader. A partition whose leader changes moves to the new leader's fetcher (and truncates
 * first); a fetcher left with no partition is stopped and its connection closed.
 */
import type { ProtocolClient } from '../client/protocol-client.js';
import { ReplicaFetcher, type FollowerPartition, type ReplicaFetcherOptions } from './replica-fetcher.js';

export interface FetcherManagerOptions extends Omit<ReplicaFetcherOptions, 'sourceId' | 'connect'> {
  /** Opens a connection to broker `brokerId` (its inter-broker listener). */
  connect(brokerId: number): Promise<ProtocolClient>;
}

const key = (topic: string, partition: number): string => `${topic}\u0000${partition}`;

export class ReplicaFetcherManager {
  private readonly fetchers = new Map<number, ReplicaFetcher>();
  /** Which source each followed partition is fetched from. */
  private readonly sourceOf = new Map<string, number>();
  /** Stopped (the broker is shutting down): partitions becoming followers are not fetched any more. */
  private stopped = false;

  constructor(private readonly opts: FetcherManagerOptions) {}

  /** Fetches `p` from `leaderId` from now on (truncating first), wherever it was fetched before. */
  follow(p: FollowerPartition, leaderId: number): void {
    this.unfollow(p.topic, p.partition);
    if (this.stopped) return;
    let f = this.fetchers.get(leaderId);
    if (f === undefined) {
      f = new ReplicaFetcher({ ...this.opts, sourceId: leaderId, connect: () => this.opts.connect(leaderId) });
      this.fetchers.set(leaderId, f);
    }
    f.add(p);
    this.sourceOf.set(key(p.topic, p.partition), leaderId);
  }

  /** Stops fetching `topic`-`partition` (it became leader, was deleted, or has no leader). */
  unfollow(topic: string, partition: number): void {
    const k = key(topic, partition);
    const source = this.sourceOf.get(k);
    if (source === undefined) return;
    this.sourceOf.delete(k);
    const f = this.fetchers.get(source);
    if (f === undefined) return;
    f.remove(topic, partition);
    if (f.size === 0) {
      this.fetchers.delete(source);
      void f.stop();
    }
  }

  /** The broker `topic`-`partition` is fetched from, or undefined. */
  source(topic: string, partition: number): number | undefined {
    return this.sourceOf.get(key(topic, partition));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    const all = [...this.fetchers.values()];
    this.fetchers.clear();
    this.sourceOf.clear();
    await Promise.all(all.map((f) => f.stop()));
  }
}
