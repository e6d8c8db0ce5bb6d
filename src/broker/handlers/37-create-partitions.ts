/**
 * CreatePartitions (key 37), v0-3.
 * Version notes: v2+ flexible. Partitions can only be added, never removed.
 * controller_mutation_rate (quotas/controller-mutation-quota.ts): the partitions added to an
 * existing topic are charged; v3+ refuse a topic with THROTTLING_QUOTA_EXCEEDED, older versions
 * are throttled.
 */
import { ErrorCode } from '../../common/error-codes.js';
import { KafkaError } from '../../common/kafka-error.js';
import {
  decodeCreatePartitionsRequest,
  encodeCreatePartitionsResponse,
  type CreatePartitionsRequest,
  type CreatePartitionsResponseInit,
} from '../../protocol/generated/messages/create-partitions.js';
import { type ApiHandler, defineHandler } from '../handler.js';
import { MAX_PARTITIONS_PER_REQUEST } from './topic-creation.js';
import type { MetadataStore } from '../../metadata/store.js';
import type { TopicController } from '../topic-controller.js';
import type { ControllerMutationQuotas } from '../quotas/controller-mutation-quota.js';

/** What CreatePartitions uses: the image and the topic controller. */
export interface CreatePartitionsDeps {
  readonly metadata: Pick<MetadataStore, 'image'>;
  readonly topics: Pick<TopicController, 'createPartitions'>;
  /** controller_mutation_rate (absent: not limited). */
  readonly mutationQuotas?: Pick<ControllerMutationQuotas, 'forRequest'>;
}

export function createPartitionsHandler(deps: CreatePartitionsDeps): ApiHandler<CreatePartitionsRequest, CreatePartitionsResponseInit> {
  return defineHandler<CreatePartitionsRequest, CreatePartitionsResponseInit>({
    apiKey: 37,
    name: 'CreatePartitions',
    minVersion: 0,
    maxVersion: 3,
    decode: decodeCreatePartitionsRequest,
    encode: encodeCreatePartitionsResponse,
    async handle(ctx, req) {
      const quota = deps.mutationQuotas?.forRequest(ctx, 3);
      const counts = new Map<string, number>();
      for (const t of req.topics) counts.set(t.name, (counts.get(t.name) ?? 0) + 1);
      let partitionBudget = MAX_PARTITIONS_PER_REQUEST;
      const results: { name: string; errorCode: number; errorMessage: string | null }[] = [];
      for (const t of req.topics) results.push(await (async () => {
        if ((counts.get(t.name) ?? 0) > 1) return { name: t.name, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: 'Duplicate topic in request.' };
        const existing = deps.metadata.image().topic(t.name);
        const current = existing?.partitions.length ?? 0;
        const added = t.count - current;
        if (added > partitionBudget) {
          return { name: t.name, errorCode: ErrorCode.POLICY_VIOLATION, errorMessage: `Excessively large number of partitions per request: at most ${MAX_PARTITIONS_PER_REQUEST} in all.` };
        }
        try {
          if (existing !== undefined && !req.validateOnly) quota?.record(added);
          await deps.topics.createPartitions(t.name, t.count, t.assignments?.map((a) => a.brokerIds) ?? null, req.validateOnly);
          if (added > 0) partitionBudget -= added;
          return { name: t.name, errorCode: ErrorCode.NONE, errorMessage: null };
        } catch (e) {
          if (!(e instanceof KafkaError)) throw e;
          return { name: t.name, errorCode: e.code, errorMessage: e.message };
        }
      })());
      return { throttleTimeMs: 0, results };
    },
    errorResponse(req, errorCode) {
      return { throttleTimeMs: 0, results: req.topics.map((t) => ({ name: t.name, errorCode, errorMessage: null })) };
    },
  });
}
