/**
 * CreateTopics (key 19), v2-7 advertised (older still decode).
 * Version notes: v1+ validateOnly; v5+ flexible, returns partitions, replication factor and
 * configs of the created topic; v7+ topic ids.
 * A topic whose directories cannot be made (EMFILE, ENOSPC) is not created and gets
 * KAFKA_STORAGE_ERROR; the other topics of the request are unaffected.
 * controller_mutation_rate (quotas/controller-mutation-quota.ts): each topic's partitions are
 * charged once it is valid; v6+ refuse a topic with THROTTLING_QUOTA_EXCEEDED, older versions are
 * throttled.
 */
import { ErrorCode } from '../../common/error-codes.js';
import { KafkaError } from '../../common/kafka-error.js';
import { formatConfigValue } from '../../config/config-types.js';
import { resolveTopicConfigs } from '../../config/topic-config-resolver.js';
import { topicConfigByName } from '../../config/topic-config.js';
import {
  decodeCreateTopicsRequest,
  encodeCreateTopicsResponse,
  type CreateTopicsRequest,
  type CreateTopicsResponseInit,
} from '../../protocol/generated/messages/create-topics.js';
import { ZERO_UUID } from '../../protocol/primitives/uuid.js';
import { sliceWork, whenDone } from '../../common/yield.js';
import { defineHandler, type ApiHandler } from '../handler.js';
import type { CreateTopicSpec } from '../topic-manager.js';
import { CONFIG_SOURCE } from './config-sources.js';
import { MAX_PARTITIONS_PER_REQUEST } from './topic-creation.js';
import type { BrokerConfig } from '../../config/broker-config.js';
import type { TopicController } from '../topic-controller.js';
import type { ControllerMutationQuotas } from '../quotas/controller-mutation-quota.js';


type TopicOut = NonNullable<CreateTopicsResponseInit['topics']>[number];

function configsOf(deps: CreateTopicsDeps, overrides: Record<string, string>): NonNullable<TopicOut['configs']> {
  const resolved = resolveTopicConfigs(deps.config, overrides);
  return [...resolved.values()].map((c) => ({
    name: c.name,
    value: formatConfigValue(c.value),
    readOnly: false,
    configSource: c.source === 'topic' ? CONFIG_SOURCE.DYNAMIC_TOPIC_CONFIG : c.source === 'broker' ? CONFIG_SOURCE.STATIC_BROKER_CONFIG : CONFIG_SOURCE.DEFAULT_CONFIG,
    isSensitive: topicConfigByName.get(c.name)?.sensitive ?? false,
  }));
}

/** What CreateTopics uses: the topic controller and the broker configs (topic defaults). */
export interface CreateTopicsDeps {
  readonly topics: Pick<TopicController, 'validateCreate' | 'createEach'>;
  readonly config: BrokerConfig;
  /** controller_mutation_rate (absent: not limited). */
  readonly mutationQuotas?: Pick<ControllerMutationQuotas, 'forRequest'>;
}

export function createTopicsHandler(deps: CreateTopicsDeps): ApiHandler<CreateTopicsRequest, CreateTopicsResponseInit> {
  return defineHandler<CreateTopicsRequest, CreateTopicsResponseInit>({
    apiKey: 19,
    name: 'CreateTopics',
    minVersion: 2,
    maxVersion: 7,
    decode: decodeCreateTopicsRequest,
    encode: encodeCreateTopicsResponse,
    handle(ctx, req) {
      const { topics } = deps;
      const quota = deps.mutationQuotas?.forRequest(ctx, 6);
      // In time slices (common/yield.ts): a request may name a million topics.
      const checked = sliceWork(function* (slice) {
        const seen = new Map<string, number>();
        for (const t of req.topics) {
          seen.set(t.name, (seen.get(t.name) ?? 0) + 1);
          if (slice.tick()) yield;
        }
        const results: TopicOut[] = [];
        let partitionBudget = MAX_PARTITIONS_PER_REQUEST;
        const toCreate: { name: string; numPartitions: number; replicationFactor: number; assignments: number[][] | null; configs: Record<string, string>; out: TopicOut }[] = [];
        for (const t of req.topics) {
          const out: TopicOut = { name: t.name, topicId: ZERO_UUID, errorCode: ErrorCode.NONE, errorMessage: null, numPartitions: -1, replicationFactor: -1, configs: null };
          results.push(out);
          if (slice.tick()) yield;
          if ((seen.get(t.name) ?? 0) > 1) {
            out.errorCode = ErrorCode.INVALID_REQUEST;
            out.errorMessage = `Create topics request from client contains a duplicate topic ${t.name}`;
            continue;
          }
          const configs: Record<string, string> = {};
          for (const c of t.configs) if (c.value !== null) configs[c.name] = c.value;
          const spec: CreateTopicSpec = {
            name: t.name,
            numPartitions: t.numPartitions,
            replicationFactor: t.replicationFactor,
            assignments: t.assignments.map((a) => ({ partitionIndex: a.partitionIndex, brokerIds: a.brokerIds })),
            configs,
          };
          try {
            const requested = spec.assignments.length > 0 ? spec.assignments.length : spec.numPartitions;
            if (requested > partitionBudget) {
              throw new KafkaError(ErrorCode.POLICY_VIOLATION, `Excessively large number of partitions per request: at most ${MAX_PARTITIONS_PER_REQUEST} in all.`);
            }
            const { numPartitions, replicationFactor, assignments } = topics.validateCreate(spec);
            if (!req.validateOnly) quota?.record(numPartitions);
            partitionBudget -= numPartitions;
            out.numPartitions = numPartitions;
            out.replicationFactor = replicationFactor;
            if (ctx.apiVersion >= 5) out.configs = configsOf(deps, configs);
            if (!req.validateOnly) toCreate.push({ name: t.name, numPartitions, replicationFactor, assignments, configs, out });
          } catch (e) {
            if (!(e instanceof KafkaError)) throw e;
            out.errorCode = e.code;
            out.errorMessage = e.message;
          }
        }
        return { results, toCreate };
      });
      return whenDone(checked, async ({ results, toCreate }) => {
        if (toCreate.length > 0) {
          // Each topic is created whole or not at all (a storage failure answers KAFKA_STORAGE_ERROR);
          // a topic another request created meanwhile gets TOPIC_ALREADY_EXISTS.
          (await topics.createEach(toCreate)).forEach((r, i) => {
            const out = (toCreate[i] as { out: TopicOut }).out;
            if (r instanceof KafkaError) {
              Object.assign(out, { errorCode: r.code, errorMessage: r.message, numPartitions: -1, replicationFactor: -1, configs: null });
            } else {
              out.topicId = r.topicId;
            }
          });
        }
        return { throttleTimeMs: 0, topics: results };
      });
    },
    errorResponse(req, errorCode) {
      return { throttleTimeMs: 0, topics: req.topics.map((t) => ({ name: t.name, errorCode, errorMessage: null })) };
    },
  });
}
