/**
 * Topic creation shared by several handlers (a handler never imports another handler):
 * auto-creation (Metadata, Produce) with the broker's defaults, and Kafka's cap on partitions
 * one request may create (CreateTopics, CreatePartitions).
 */
import type { TopicImage } from '../../metadata/image.js';
import type { MetadataStore } from '../../metadata/store.js';
import type { TopicController } from '../topic-controller.js';

/** Kafka's cap on partitions created by one request (its controller rejects more). */
export const MAX_PARTITIONS_PER_REQUEST = 10_000;

/** What auto-creation reads and changes: the metadata image and the topic controller. */
export interface TopicCreationDeps {
  readonly metadata: Pick<MetadataStore, 'image'>;
  readonly topics: Pick<TopicController, 'create'>;
}

/**
 * The topic named `name`, created with the broker's defaults when it does not exist (resolves once
 * the creation is committed; a topic another request created meanwhile is the answer too).
 */
export function autoCreateTopic(deps: TopicCreationDeps, name: string): Promise<TopicImage> {
  const existing = deps.metadata.image().topic(name);
  if (existing) return Promise.resolve(existing);
  return deps.topics.create({ name, numPartitions: -1, replicationFactor: -1, assignments: [], configs: {} }, true);
}
