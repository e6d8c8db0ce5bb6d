/**
 * Topic names and the shapes of topic requests, shared by the controller (topic-controller.ts),
 * the metadata applier (metadata-applier.ts) and the handlers. Kafka's naming rules: 1-249 of
 * [a-zA-Z0-9._-], not "." or ".."; names that differ only by '.' versus '_' collide (checked by
 * the controller against the image).
 * The old TopicManager was split (architecture issue, item 3): validating a request and committing
 * a metadata delta is TopicController's; opening and closing logs, produce policies and live
 * configs follow the committed images in MetadataApplier.
 */
import { ErrorCode } from '../common/error-codes.js';
import { KafkaError } from '../common/kafka-error.js';

const LEGAL_TOPIC_CHARS = /^[a-zA-Z0-9._-]+$/;
export const MAX_TOPIC_NAME_LENGTH = 249;
export const INTERNAL_TOPICS = new Set(['__consumer_offsets', '__transaction_state']);

/** Topic settings the produce path needs beyond TopicSettings (cached per topic). */
export interface ProducePolicy {
  /** cleanup.policy includes compact: every record needs a key. */
  compact: boolean;
  /** compression.type ('producer' keeps the producer's codec). */
  compressionType: string;
  /** compression.<codec>.level for the broker-side recompression (-1/undefined = codec default). */
  compressionLevel: number | undefined;
  /** message.timestamp.before.max.ms / after.max.ms for CreateTime topics (MAX_SAFE_INTEGER = no bound). */
  timestampBeforeMaxMs: number;
  timestampAfterMaxMs: number;
  /** message.timestamp.type is LogAppendTime (checked by the old-format up-conversion). */
  logAppendTime?: boolean;
  /** samsa.key/value.schema.validation: set only when one is on (the normal path checks one field). */
  schemaValidation?: { key: boolean; value: boolean };
}

export interface CreateTopicSpec {
  name: string;
  numPartitions: number;
  replicationFactor: number;
  assignments: { partitionIndex: number; brokerIds: number[] }[];
  configs: Record<string, string>;
}

/** True when `name` is a legal topic name (validateTopicName without building an error: cheap enough to call per name of a huge request). */
export function isLegalTopicName(name: string): boolean {
  return name.length > 0 && name.length <= MAX_TOPIC_NAME_LENGTH && name !== '.' && name !== '..' && LEGAL_TOPIC_CHARS.test(name);
}

/** A topic to create, already validated. */
export interface NewTopicSpec {
  name: string;
  numPartitions: number;
  configs: Record<string, string>;
  internal?: boolean;
  /** Replicas per partition (default 1); placed on the registered brokers as Kafka does. */
  replicationFactor?: number;
  /** Explicit replica lists, one per partition (CreateTopics' assignments), instead of placement. */
  assignments?: readonly (readonly number[])[] | null;
}

export function validateTopicName(name: string): void {
  if (name.length === 0) throw new KafkaError(ErrorCode.INVALID_TOPIC_EXCEPTION, 'Topic name is illegal, it can\'t be empty');
  if (name === '.' || name === '..') throw new KafkaError(ErrorCode.INVALID_TOPIC_EXCEPTION, 'Topic name cannot be "." or ".."');
  if (name.length > MAX_TOPIC_NAME_LENGTH) {
    throw new KafkaError(ErrorCode.INVALID_TOPIC_EXCEPTION, `Topic name is illegal, it can't be longer than ${MAX_TOPIC_NAME_LENGTH} characters, topic name: ${name}`);
  }
  if (!LEGAL_TOPIC_CHARS.test(name)) {
    throw new KafkaError(ErrorCode.INVALID_TOPIC_EXCEPTION, `Topic name ${name} is illegal, it contains a character other than ASCII alphanumerics, '.', '_' and '-'`);
  }
}
