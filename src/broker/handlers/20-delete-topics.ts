/**
 * DeleteTopics (key 20), v1-6 advertised.
 * Version notes: v4+ flexible; v5+ error messages; v6+ topics by name or id.
 * controller_mutation_rate (quotas/controller-mutation-quota.ts): each topic deleted charges its
 * partitions; v5+ refuse a topic with THROTTLING_QUOTA_EXCEEDED, older versions are throttled.
 */
import { ErrorCode } from '../../common/error-codes.js';
import { KafkaError } from '../../common/kafka-error.js';
import {
  decodeDeleteTopicsRequest,
  encodeDeleteTopicsResponse,
  type DeleteTopicsRequest,
  type DeleteTopicsResponseInit,
} from '../../protocol/generated/messages/delete-topics.js';
import { ZERO_UUID } from '../../protocol/primitives/uuid.js';
import { mapSliced, sliceWork, whenDone } from '../../common/yield.js';
import { type ApiHandler, defineHandler } from '../handler.js';
import { INTERNAL_TOPICS } from '../topic-manager.js';
import type { MetadataStore } from '../../metadata/store.js';
import type { TopicController } from '../topic-controller.js';
import type { ControllerMutationQuotas } from '../quotas/controller-mutation-quota.js';

type Out = NonNullable<DeleteTopicsResponseInit['responses']>[number];

/** What DeleteTopics uses: the image and the topic controller. */
export interface DeleteTopicsDeps {
  readonly metadata: Pick<MetadataStore, 'image'>;
  readonly topics: Pick<TopicController, 'delete'>;
  /** controller_mutation_rate (absent: not limited). */
  readonly mutationQuotas?: Pick<ControllerMutationQuotas, 'forRequest'>;
}

export function deleteTopicsHandler(deps: DeleteTopicsDeps): ApiHandler<DeleteTopicsRequest, DeleteTopicsResponseInit> {
  return defineHandler<DeleteTopicsRequest, DeleteTopicsResponseInit>({
    apiKey: 20,
    name: 'DeleteTopics',
    minVersion: 1,
    maxVersion: 6,
    decode: decodeDeleteTopicsRequest,
    encode: encodeDeleteTopicsResponse,
    handle(ctx, req) {
      const quota = deps.mutationQuotas?.forRequest(ctx, 5);
      const wanted: { name: string | null; topicId: string }[] =
        ctx.apiVersion >= 6 ? req.topics.map((t) => ({ name: t.name, topicId: t.topicId })) : req.topicNames.map((n) => ({ name: n, topicId: ZERO_UUID }));
      // Deletions run on the controller's queue, in request order; the answer waits for all of them.
      const deleting: Promise<void>[] = [];
      // In time slices (common/yield.ts): a request may name a million topics.
      const answered = sliceWork(function* (slice) {
        const responses = yield* mapSliced(wanted, slice, (w): Out => {
          const meta = w.name !== null ? deps.metadata.image().topic(w.name) : deps.metadata.image().topicById(w.topicId);
          const out: Out = { name: w.name, topicId: w.topicId, errorCode: ErrorCode.NONE, errorMessage: null };
          if (!meta) {
            out.errorCode = w.name === null ? ErrorCode.UNKNOWN_TOPIC_ID : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
            return out;
          }
          out.name = meta.name;
          out.topicId = meta.topicId;
          if (INTERNAL_TOPICS.has(meta.name)) {
            out.errorCode = ErrorCode.INVALID_TOPIC_EXCEPTION;
            out.errorMessage = `Topic ${meta.name} is an internal topic and cannot be deleted`;
            return out;
          }
          try {
            quota?.record(meta.partitions.length);
          } catch (e) {
            if (!(e instanceof KafkaError)) throw e;
            out.errorCode = e.code;
            out.errorMessage = e.message;
            return out;
          }
          deleting.push(
            deps.topics.delete(meta.name).catch((e: unknown) => {
              if (!(e instanceof KafkaError)) throw e;
              out.errorCode = e.code;
              out.errorMessage = e.message;
            }),
          );
          return out;
        });
        return { throttleTimeMs: 0, responses };
      });
      return whenDone(answered, async (response) => {
        await Promise.all(deleting);
        return response;
      });
    },
    errorResponse(req, errorCode) {
      return {
        throttleTimeMs: 0,
        responses: [...req.topics.map((t) => ({ name: t.name, topicId: t.topicId, errorCode })), ...req.topicNames.map((n) => ({ name: n, errorCode }))],
      };
    },
  });
}
