/**
 * Which consumer fetches a follower serves (the follower's side of KIP-392, fetch from follower).
 *
 * Kafka's rule: a follower serves a consumer's Fetch v11+ (one that carries client metadata) up to
 * its high watermark, and answers OFFSET_OUT_OF_RANGE for an offset outside its own log; a client
 * implementing KIP-320 sends its current leader epoch, so a follower it reached through stale
 * metadata fences it (FENCED_LEADER_EPOCH), and an out-of-range answer from a follower sends it to
 * the leader before it resets its position.
 *
 * Samsa's deviations, for clients that send Fetch v11 without KIP-320 (librdkafka before 2.1,
 * kafkajs: their current leader epoch is -1 and they follow whatever leader a Metadata answer
 * names); the first two were proposed by Kafka's maintainers for KAFKA-14255 (apache/kafka#12674,
 * #12734, not merged upstream), the third is Samsa's, from its etcd leases:
 * - without `replica.selector.class` no leader ever sends a consumer to a follower, so a consumer
 *   fetching from a follower is there by mistake (stale metadata, e.g. from a broker frozen or cut
 *   off from etcd, or kept after a leader change because the follower kept answering): it gets
 *   NOT_LEADER_OR_FOLLOWER, as before KIP-392, and asks the metadata again;
 * - a follower never answers OFFSET_OUT_OF_RANGE to a consumer: its log may lag the leader's, so
 *   an offset it lacks may well exist; it answers NOT_LEADER_OR_FOLLOWER (the client asks the
 *   leader, which alone decides whether the offset is out of range);
 * - nor does a leader that may have been replaced without knowing it yet (in a cluster: not
 *   registered, or its etcd lease's keep-alives unanswered for half of broker.session.timeout.ms,
 *   cluster-node.ts `leadershipInDoubt`: frozen or cut off from etcd, it still answers Metadata
 *   naming itself, and its log ends below what the new leader has since committed).
 * Why it matters: librdkafka 2.0 treats OFFSET_OUT_OF_RANGE as final and applies
 * auto.offset.reset, so a consumer group member sent to a lagging replica restarts from the
 * earliest offset, below the offsets it had committed (the likely cause of the cluster chaos
 * test's "lost commit" in CI).
 */
import { ErrorCode } from '../common/error-codes.js';

/**
 * The error a consumer's fetch of a partition this broker follows gets before anything is read:
 * NONE when the follower may serve it (Fetch v11+ with `replica.selector.class` configured),
 * else NOT_LEADER_OR_FOLLOWER.
 */
export function consumerFetchAtFollowerError(hasClientMetadata: boolean, selectorConfigured: boolean): number {
  return hasClientMetadata && selectorConfigured ? ErrorCode.NONE : ErrorCode.NOT_LEADER_OR_FOLLOWER;
}

/**
 * The error for a consumer's fetch offset outside this replica's log: OFFSET_OUT_OF_RANGE from a
 * leader sure of its leadership, else (a follower, or a leader in doubt) NOT_LEADER_OR_FOLLOWER.
 */
export function consumerOutOfRangeError(notSurelyLeader: boolean): number {
  return notSurelyLeader ? ErrorCode.NOT_LEADER_OR_FOLLOWER : ErrorCode.OFFSET_OUT_OF_RANGE;
}
