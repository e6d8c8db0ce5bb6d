/**
 * Where the cluster metadata lives: an image to read, deltas to commit, and a change feed (Kafka's
 * KRaft metadata log as seen by a broker: the latest `MetadataImage`, and a `MetadataPublisher`
 * called for every new image). Implementations: the local JSON store (cluster/metadata-store.ts),
 * an etcd store for clusters next.
 *
 * commit() is asynchronous because a replicated store (etcd) learns that a delta is committed
 * only after a round trip. The local store is synchronous and also offers commitSync() (the
 * SyncMetadataStore interface), which today's controller uses: topic auto-creation runs inside
 * Metadata and Produce, and the coordinators create their internal topics, all synchronously.
 * Those callers move to commit() when the etcd store arrives.
 *
 * Rules every implementation keeps: a delta is durable before its image is published (image()
 * returns it) and before any watcher hears of it; watchers are called once per committed delta, in
 * commit order, each with the new image, the delta and the image before it; a failed commit
 * changes nothing and calls no watcher.
 */
import type { MetadataDelta } from './delta.js';
import type { MetadataImage } from './image.js';

export type MetadataListener = (image: MetadataImage, delta: MetadataDelta, previous: MetadataImage) => void;

export interface MetadataStore {
  /** The latest committed image. */
  image(): MetadataImage;
  /** Commits a delta; resolves to the image it produced. Rejects (changing nothing) when it cannot. */
  commit(delta: MetadataDelta): Promise<MetadataImage>;
  /** Calls `listener` for every later commit; returns the function that stops it. */
  watch(listener: MetadataListener): () => void;
}

/** A store that commits without waiting for anyone else (the local JSON store). */
export interface SyncMetadataStore extends MetadataStore {
  /** commit(), done before returning: the new image, durable and published. Throws when it cannot. */
  commitSync(delta: MetadataDelta): MetadataImage;
}
