/**
 * Topic creation shared by several handlers (a handler never imports another handler):
 * auto-creation (Metadata, Produce) with the broker's defaults, and Kafka's cap on partitions
 * one request may create (CreateTopics, CreatePartitions).
 */
import type { TopicImage } from '../../metadata/image.js';
import type { RequestContext } from '../handler.js';

/** Kafka's cap on partitions created by one request (its controller rejects more). */
export const MAX_PARTITIONS_PER_REQUEST = 10_000;

/**
 * The topic named `name`, created with the broker's defaults when it does not exist (resolves once
 * the creation is committed; a topic another request created meanwhile is the answer too).
 */
export function autoCreateTopic(ctx: RequestContext, name: string): Promise<TopicImage> {
  const existing = ctx.broker.metadata.image().topic(name);
  if (existing) return Promise.resolve(existing);
  return ctx.broker.topics.create({ name, numPartitions: -1, replicationFactor: -1, assignments: [], configs: {} }, true);
}
