/**
 * Metadata (key 3), v0-12.
 * Version notes: v0 with an empty topic list and v1+ with a null list mean "all topics". Topics
 * named in the request are auto-created when auto.create.topics.enable is true and the request
 * allows it (always before v4). v10+ may name topics by id. Authorized operations are not
 * computed (no ACLs yet): INT32_MIN is returned as Kafka does when they are not requested.
 */
import { ErrorCode } from '../../common/error-codes.js';
import { KafkaError } from '../../common/kafka-error.js';
import {
  decodeMetadataRequest,
  encodeMetadataResponse,
  type MetadataRequest,
  type MetadataResponseInit,
} from '../../protocol/generated/messages/metadata.js';
import { ZERO_UUID } from '../../protocol/primitives/uuid.js';
import type { TopicMetadata } from '../../cluster/metadata-store.js';
import { defineHandler, type RequestContext } from '../handler.js';
import { validateTopicName } from '../topic-manager.js';

type TopicOut = NonNullable<MetadataResponseInit['topics']>[number];

function topicEntry(t: TopicMetadata): TopicOut {
  return {
    errorCode: ErrorCode.NONE,
    name: t.name,
    topicId: t.topicId,
    isInternal: t.internal,
    partitions: t.partitions.map((p) => ({
      errorCode: ErrorCode.NONE,
      partitionIndex: p.partition,
      leaderId: p.leader,
      leaderEpoch: p.leaderEpoch,
      replicaNodes: p.replicas,
      isrNodes: p.isr,
      offlineReplicas: [],
    })),
  };
}

export function autoCreateTopic(ctx: RequestContext, name: string): TopicMetadata {
  const existing = ctx.broker.metadata.topic(name);
  if (existing) return existing;
  return ctx.broker.topics.create({ name, numPartitions: -1, replicationFactor: -1, assignments: [], configs: {} });
}

export const metadataHandler = defineHandler<MetadataRequest, MetadataResponseInit>({
  apiKey: 3,
  name: 'Metadata',
  minVersion: 0,
  maxVersion: 12,
  decode: decodeMetadataRequest,
  encode: encodeMetadataResponse,
  handle(ctx, req) {
    const { broker, apiVersion } = ctx;
    const listener = broker.listenerNamed(ctx.connection.listenerName);
    const brokers = [{ nodeId: broker.nodeId, host: listener?.advertisedHost ?? 'localhost', port: listener?.advertisedPort ?? 9092, rack: null }];
    const all = req.topics === null || (apiVersion === 0 && req.topics.length === 0);
    const topics: TopicOut[] = [];
    if (all) {
      for (const t of broker.metadata.allTopics()) topics.push(topicEntry(t));
    } else {
      const autoCreate = broker.config.bool('auto.create.topics.enable') && (apiVersion < 4 || req.allowAutoTopicCreation);
      for (const rt of req.topics ?? []) {
        if (rt.name === null || rt.name === undefined) {
          const byId = rt.topicId !== ZERO_UUID ? broker.metadata.topicById(rt.topicId) : undefined;
          topics.push(byId ? topicEntry(byId) : { errorCode: ErrorCode.UNKNOWN_TOPIC_ID, name: null, topicId: rt.topicId, partitions: [] });
          continue;
        }
        const t = broker.metadata.topic(rt.name);
        if (t) {
          topics.push(topicEntry(t));
          continue;
        }
        try {
          validateTopicName(rt.name);
        } catch {
          topics.push({ errorCode: ErrorCode.INVALID_TOPIC_EXCEPTION, name: rt.name, isInternal: false, partitions: [] });
          continue;
        }
        if (!autoCreate) {
          topics.push({ errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, name: rt.name, isInternal: false, partitions: [] });
          continue;
        }
        try {
          topics.push(topicEntry(autoCreateTopic(ctx, rt.name)));
        } catch (e) {
          topics.push({ errorCode: e instanceof KafkaError ? e.code : ErrorCode.UNKNOWN_SERVER_ERROR, name: rt.name, isInternal: false, partitions: [] });
        }
      }
    }
    return {
      throttleTimeMs: 0,
      brokers,
      clusterId: broker.clusterId,
      controllerId: broker.nodeId,
      topics,
    };
  },
  errorResponse(req, errorCode) {
    return {
      brokers: [],
      topics: (req.topics ?? []).map((t) => ({ errorCode, name: t.name, topicId: t.topicId, partitions: [] })),
    };
  },
});
