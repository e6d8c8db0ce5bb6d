/**
 * The answers of the share coordinator's RPCs (Initialize/Read/Write/DeleteShareGroupState,
 * ReadShareGroupStateSummary): per topic, per partition, each partition answered on its own —
 * Kafka's ShareCoordinatorService answers a failing share-partition with its error code and
 * message while the others succeed. A KafkaError becomes that partition's error (with the API's
 * empty values for its other fields); anything else is a bug and fails the request.
 */
import { ErrorCode } from '../../common/error-codes.js';
import { KafkaError } from '../../common/kafka-error.js';
import type { ShareStateKey } from './share-state-store.js';

interface PartitionError {
  partition: number;
  errorCode: number;
  errorMessage: string | null;
}

interface TopicAnswer<A> {
  topicId: string;
  partitions: A[];
}

/** Runs `answer` for each share-partition of `groupId` in `topics`, all at once. */
export function answerEachSharePartition<P extends { partition: number }, A, E extends object>(
  groupId: string,
  topics: readonly { topicId: string; partitions: readonly P[] }[],
  failed: E,
  answer: (key: ShareStateKey, p: P) => Promise<A> | A,
): Promise<TopicAnswer<A | (PartitionError & E)>[]> {
  return Promise.all(
    topics.map(async (t) => ({
      topicId: t.topicId,
      partitions: await Promise.all(
        t.partitions.map(async (p): Promise<A | (PartitionError & E)> => {
          try {
            return await answer({ groupId, topicId: t.topicId, partition: p.partition }, p);
          } catch (e) {
            if (!(e instanceof KafkaError)) throw e;
            return { partition: p.partition, errorCode: e.code, errorMessage: e.message || null, ...failed };
          }
        }),
      ),
    })),
  );
}

/** Every share-partition of `topics` answered with `errorCode` (a request refused as a whole). */
export function allSharePartitionsFailed<E extends object>(topics: readonly { topicId: string; partitions: readonly { partition: number }[] }[], errorCode: number, failed: E): TopicAnswer<PartitionError & E>[] {
  return topics.map((t) => ({ topicId: t.topicId, partitions: t.partitions.map((p) => ({ partition: p.partition, errorCode, errorMessage: null, ...failed })) }));
}

/** A share-partition answered without error (no other fields). */
export function sharePartitionOk(partition: number): PartitionError {
  return { partition, errorCode: ErrorCode.NONE, errorMessage: null };
}
