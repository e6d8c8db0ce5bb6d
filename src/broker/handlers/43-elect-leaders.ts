/**
 * ElectLeaders (key 43), v0-2.
 * Version notes: v1+ election type (0 preferred, 1 unclean; v0 is always preferred) and a
 * top-level error code; v2+ flexible. Kafka's controller rule per partition: unknown topic or
 * partition -> UNKNOWN_TOPIC_OR_PARTITION; leader already the preferred replica (unclean: a leader
 * exists) -> ELECTION_NOT_NEEDED; otherwise a new leader is elected. A null partition list means
 * every partition, and then partitions that need no election are left out of the answer (each
 * topic still listed). An unknown election type fails the request with INVALID_REQUEST.
 * A single node is its own preferred replica and leader of everything, so no election is ever
 * needed. In a cluster each election goes through `elections` (cluster/leader-elections.ts: the
 * controller's rules, written with compare-and-swap): NONE when a new leader was written,
 * PREFERRED_LEADER_NOT_AVAILABLE (the first replica is not alive or not in the ISR),
 * ELIGIBLE_LEADERS_NOT_AVAILABLE (unclean: no live replica). Samsa deviation: the broker that
 * receives the request writes the elections (Kafka forwards it to the controller).
 */
import { ErrorCode } from '../../common/error-codes.js';
import { KafkaError } from '../../common/kafka-error.js';
import type { MetadataImage, PartitionImage } from '../../metadata/image.js';
import {
  decodeElectLeadersRequest,
  encodeElectLeadersResponse,
  type ElectLeadersRequest,
  type ElectLeadersResponseInit,
} from '../../protocol/generated/messages/elect-leaders.js';
import { defineHandler, type ApiHandler } from '../handler.js';
import type { MetadataStore } from '../../metadata/store.js';

export const ElectionType = { preferred: 0, unclean: 1 } as const;
export type ElectionType = (typeof ElectionType)[keyof typeof ElectionType];

type PartitionResult = { partitionId: number; errorCode: number; errorMessage: string | null };

/** Kafka's default messages for the election outcomes (ApiError without a message of its own). */
const OUTCOME_MESSAGE: Readonly<Record<number, string>> = {
  [ErrorCode.ELECTION_NOT_NEEDED]: 'Leader election not needed for topic partition.',
  [ErrorCode.PREFERRED_LEADER_NOT_AVAILABLE]: 'The preferred leader was not available.',
  [ErrorCode.ELIGIBLE_LEADERS_NOT_AVAILABLE]: 'Eligible topic partition leaders are not available.',
};

function electionOutcome(p: PartitionImage, type: ElectionType): number {
  const notNeeded = type === ElectionType.preferred ? p.leader >= 0 && p.leader === p.replicas[0] : p.leader >= 0;
  if (notNeeded) return ErrorCode.ELECTION_NOT_NEEDED;
  // A single node is always the preferred leader of its partitions; no other replica can take over.
  return type === ElectionType.preferred ? ErrorCode.PREFERRED_LEADER_NOT_AVAILABLE : ErrorCode.ELIGIBLE_LEADERS_NOT_AVAILABLE;
}

/** Elects one partition's leader in a cluster; resolves with the partition's error code. */
export interface LeaderElector {
  elect(topic: string, partition: number, type: ElectionType): Promise<number>;
}

async function electOne(deps: ElectLeadersDeps, metadata: MetadataImage, topic: string, partition: number, type: ElectionType): Promise<PartitionResult> {
  const elections = deps.elections ?? null;
  if (elections !== null) {
    const errorCode = await elections.elect(topic, partition, type);
    const message = errorCode === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION ? `No such topic or partition as ${topic}-${partition}` : (OUTCOME_MESSAGE[errorCode] ?? null);
    return { partitionId: partition, errorCode, errorMessage: message };
  }
  const t = metadata.topic(topic);
  if (!t) return { partitionId: partition, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: `No such topic as ${topic}` };
  const p = t.partitions[partition];
  if (!p) return { partitionId: partition, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: `No such partition as ${topic}-${partition}` };
  const errorCode = electionOutcome(p, type);
  return { partitionId: partition, errorCode, errorMessage: OUTCOME_MESSAGE[errorCode] ?? null };
}

/** What ElectLeaders reads: the metadata image; in a cluster, the elections (null on a single node). */
export interface ElectLeadersDeps {
  readonly metadata: Pick<MetadataStore, 'image'>;
  readonly elections?: LeaderElector | null;
}

export function electLeadersHandler(deps: ElectLeadersDeps): ApiHandler<ElectLeadersRequest, ElectLeadersResponseInit> {
  return defineHandler<ElectLeadersRequest, ElectLeadersResponseInit>({
    apiKey: 43,
    name: 'ElectLeaders',
    minVersion: 0,
    maxVersion: 2,
    decode: decodeElectLeadersRequest,
    encode: encodeElectLeadersResponse,
    async handle(ctx, req) {
      const raw = ctx.apiVersion >= 1 ? req.electionType : ElectionType.preferred;
      if (raw !== ElectionType.preferred && raw !== ElectionType.unclean) throw new KafkaError(ErrorCode.INVALID_REQUEST, `Unknown election type ${raw}`);
      const type: ElectionType = raw;
      const metadata = deps.metadata.image();
      if (req.topicPartitions === null) {
        const replicaElectionResults = [];
        for (const t of metadata.topics()) {
          const partitionResult: PartitionResult[] = [];
          for (const p of t.partitions) partitionResult.push(await electOne(deps, metadata, t.name, p.partition, type));
          replicaElectionResults.push({ topic: t.name, partitionResult: partitionResult.filter((r) => r.errorCode !== ErrorCode.ELECTION_NOT_NEEDED) });
        }
        return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, replicaElectionResults };
      }
      const replicaElectionResults = [];
      for (const t of req.topicPartitions) {
        const partitionResult: PartitionResult[] = [];
        for (const p of t.partitions) partitionResult.push(await electOne(deps, metadata, t.topic, p, type));
        replicaElectionResults.push({ topic: t.topic, partitionResult });
      }
      return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, replicaElectionResults };
    },
    errorResponse(req, errorCode) {
      return {
        throttleTimeMs: 0,
        errorCode,
        replicaElectionResults: (req.topicPartitions ?? []).map((t) => ({
          topic: t.topic,
          partitionResult: t.partitions.map((p) => ({ partitionId: p, errorCode, errorMessage: null })),
        })),
      };
    },
  });
}
