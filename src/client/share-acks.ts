/**
 * The pending acknowledgements of a share consumer and how they go on the wire: per
 * "topicId:partition", offset → AcknowledgeType, sent as acknowledgement batches in ShareFetch and
 * ShareAcknowledge requests.
 *
 * Kafka's rules kept: the acknowledge types are KIP-932's (0 gap, 1 accept, 2 release, 3 reject);
 * a batch covers contiguous offsets and carries one type when all of its offsets agree, else one
 * type per offset. Samsa's deviations: none.
 */

export const AcknowledgeType = { Gap: 0, Accept: 1, Release: 2, Reject: 3 } as const;
export type AcknowledgeType = (typeof AcknowledgeType)[keyof typeof AcknowledgeType];

/** "topicId:partition" → offset → acknowledge type. */
export type Acks = Map<string, Map<bigint, number>>;

/** Request topics for `keys` ("topicId:partition"), each with its acknowledgement batches from `acks`. */
export function requestTopics(keys: readonly string[], acks: Acks, partitionMaxBytes: number): { topicId: string; partitions: { partitionIndex: number; partitionMaxBytes: number; acknowledgementBatches: { firstOffset: bigint; lastOffset: bigint; acknowledgeTypes: number[] }[] }[] }[] {
  const topics = new Map<string, { partitionIndex: number; partitionMaxBytes: number; acknowledgementBatches: { firstOffset: bigint; lastOffset: bigint; acknowledgeTypes: number[] }[] }[]>();
  for (const k of new Set([...keys, ...acks.keys()])) {
    const { topicId, partition } = splitKey(k);
    let list = topics.get(topicId);
    if (!list) topics.set(topicId, (list = []));
    list.push({ partitionIndex: partition, partitionMaxBytes, acknowledgementBatches: batchesOf(acks.get(k)) });
  }
  return [...topics].map(([topicId, partitions]) => ({ topicId, partitions }));
}

export function splitKey(k: string): { topicId: string; partition: number } {
  const sep = k.lastIndexOf(':');
  return { topicId: k.slice(0, sep), partition: Number(k.slice(sep + 1)) };
}

/** Contiguous offsets become one batch (one type when all agree, else one per offset). */
function batchesOf(m: Map<bigint, number> | undefined): { firstOffset: bigint; lastOffset: bigint; acknowledgeTypes: number[] }[] {
  if (m === undefined) return [];
  const offsets = [...m.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const out: { firstOffset: bigint; lastOffset: bigint; acknowledgeTypes: number[] }[] = [];
  for (const o of offsets) {
    const t = m.get(o) as number;
    const prev = out[out.length - 1];
    if (prev && prev.lastOffset === o - 1n) {
      prev.lastOffset = o;
      prev.acknowledgeTypes.push(t);
    } else out.push({ firstOffset: o, lastOffset: o, acknowledgeTypes: [t] });
  }
  for (const b of out) if (b.acknowledgeTypes.every((t) => t === b.acknowledgeTypes[0])) b.acknowledgeTypes = [b.acknowledgeTypes[0] as number];
  return out;
}
