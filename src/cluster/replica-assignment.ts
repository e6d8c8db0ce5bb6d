/**
 * Where a new topic's (or new partitions') replicas go: Kafka's assignment of replicas to brokers
 * (AdminUtils.assignReplicasToBrokers, used by CreateTopics and CreatePartitions without an
 * explicit assignment).
 *
 * Kafka's rules:
 * - Brokers sorted by id. The first replica of partition p is broker (p + start) mod n, where
 *   `start` is random, so leaders spread evenly; the others follow at a shift that is also random
 *   and grows by one every n partitions, so the followers of one broker's leaders spread over the
 *   others instead of all landing on its neighbour.
 * - With racks: brokers are listed alternating between racks (rack a's first, rack b's first, ...,
 *   rack a's second, ...) and a partition's next replica is the next broker in that list on a rack
 *   that holds none of its replicas yet (once every rack has one, any broker without one).
 * Samsa deviation: a broker with no rack counts as being on a rack of its own named '' (Kafka's
 * older placer refuses a mix of brokers with and without racks; its newer one accepts it).
 */
import { ErrorCode } from '../common/error-codes.js';
import { KafkaError } from '../common/kafka-error.js';

export interface PlacementBroker {
  readonly id: number;
  readonly rack: string | null;
}

export interface AssignmentOptions {
  numPartitions: number;
  replicationFactor: number;
  /** The first partition id to place (CreatePartitions adds after the existing ones). */
  startPartition?: number;
  /** Random integers in [0, n); injected so that tests are deterministic. */
  random?: (n: number) => number;
}

const defaultRandom = (n: number): number => Math.floor(Math.random() * n);

/** The replica lists of partitions startPartition .. startPartition + numPartitions - 1. */
export function assignReplicas(brokers: readonly PlacementBroker[], opts: AssignmentOptions): number[][] {
  const { numPartitions, replicationFactor } = opts;
  if (replicationFactor <= 0) throw new KafkaError(ErrorCode.INVALID_REPLICATION_FACTOR, 'Replication factor must be larger than 0.');
  if (numPartitions <= 0) throw new KafkaError(ErrorCode.INVALID_PARTITIONS, 'Number of partitions must be larger than 0.');
  if (replicationFactor > brokers.length) {
    throw new KafkaError(ErrorCode.INVALID_REPLICATION_FACTOR, `Replication factor: ${replicationFactor} larger than available brokers: ${brokers.length}.`);
  }
  const random = opts.random ?? defaultRandom;
  const racks = new Set(brokers.map((b) => b.rack ?? ''));
  const arranged = racks.size > 1 ? rackAlternated(brokers) : [...brokers].sort((a, b) => a.id - b.id);
  return place(arranged, racks.size, opts.startPartition ?? 0, numPartitions, replicationFactor, random);
}

/** Brokers taken one rack at a time in rack order, each rack's brokers in id order. */
function rackAlternated(brokers: readonly PlacementBroker[]): PlacementBroker[] {
  const byRack = new Map<string, PlacementBroker[]>();
  for (const b of [...brokers].sort((x, y) => x.id - y.id)) {
    const rack = b.rack ?? '';
    byRack.set(rack, [...(byRack.get(rack) ?? []), b]);
  }
  const lists = [...byRack.keys()].sort().map((r) => byRack.get(r) as PlacementBroker[]);
  const out: PlacementBroker[] = [];
  for (let i = 0; out.length < brokers.length; i++) {
    for (const l of lists) {
      const b = l[i];
      if (b !== undefined) out.push(b);
    }
  }
  return out;
}

function replicaIndex(first: number, shift: number, j: number, n: number): number {
  return (first + 1 + ((shift + j) % (n - 1))) % n;
}

function place(arranged: readonly PlacementBroker[], numRacks: number, startPartition: number, numPartitions: number, rf: number, random: (n: number) => number): number[][] {
  const n = arranged.length;
  const start = random(n);
  let shift = random(n);
  const out: number[][] = [];
  for (let p = Math.max(0, startPartition); out.length < numPartitions; p++) {
    if (p > 0 && p % n === 0) shift++;
    const first = (p + start) % n;
    const leader = arranged[first] as PlacementBroker;
    const replicas = [leader.id];
    if (numRacks <= 1) {
      for (let j = 0; j < rf - 1; j++) replicas.push((arranged[replicaIndex(first, shift, j, n)] as PlacementBroker).id);
    } else {
      const racksUsed = new Set([leader.rack ?? '']);
      const used = new Set([leader.id]);
      let k = 0;
      while (replicas.length < rf) {
        const b = arranged[replicaIndex(first, shift * numRacks, k++, n)] as PlacementBroker;
        const rack = b.rack ?? '';
        if ((!racksUsed.has(rack) || racksUsed.size === numRacks) && (!used.has(b.id) || used.size === n)) {
          replicas.push(b.id);
          racksUsed.add(rack);
          used.add(b.id);
        }
      }
    }
    out.push(replicas);
  }
  return out;
}
