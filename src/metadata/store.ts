/**
 * Where the cluster metadata lives: an image to read, deltas to commit, and a change feed (Kafka's
 * KRaft metadata log as seen by a broker: the latest `MetadataImage`, and a `MetadataPublisher`
 * called for every new image). Implementations: the local JSON store (cluster/metadata-store.ts),
 * an etcd store for clusters next.
 *
 * commit() is asynchronous because a replicated store (etcd) learns that a delta is committed
 * only after a round trip; every caller awaits it (the topic controller serializes its
 * validate-then-commit steps, see broker/topic-controller.ts). The local store happens to commit
 * before commit() returns, but no caller may rely on that.
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
