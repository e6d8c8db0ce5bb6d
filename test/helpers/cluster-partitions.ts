/**
 * Helpers for cluster tests that watch partition state: poll with a deadline, read a partition as
 * one broker's metadata image has it, create a one-partition topic with an explicit assignment.
 */
import assert from 'node:assert/strict';
import type { TestCluster } from './cluster.js';
import { WireClient, API } from './wire.js';
import type { PartitionImage } from '../../src/metadata/image.js';
import { decodeRecordBatches, type RecordBatch } from '../../src/protocol/records/record.js';

/** Polls `fn` every 50 ms until it returns a value (not undefined/false); throws after `timeoutMs`. */
export async function until<T>(what: string, fn: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** `topic`-`partition` in broker `nodeId`'s image (undefined when it is not running). */
export function partitionOn(cluster: TestCluster, nodeId: number, topic: string, partition = 0): PartitionImage | undefined {
  return cluster.brokers[nodeId - 1]?.running?.broker.metadata.image().topic(topic)?.partitions[partition];
}

/** CreateTopics of `name` with one partition on `assignment` (its first broker preferred). */
export async function createTopic(port: number, name: string, assignment: number[], configs: Record<string, string> = {}): Promise<void> {
  const admin = await WireClient.connect(port);
  try {
    const created = await admin.request(API.CreateTopics, 7, {
      topics: [{ name, numPartitions: -1, replicationFactor: -1, assignments: [{ partitionIndex: 0, brokerIds: assignment }], configs: Object.entries(configs).map(([n, value]) => ({ name: n, value })) }],
      timeoutMs: 10_000,
      validateOnly: false,
    });
    assert.equal(created.topics[0].errorCode, 0, created.topics[0].errorMessage);
  } finally {
    admin.close();
  }
}

/**
 * Every batch of `topic`-0 in broker `nodeId`'s own log (read from its files, CRCs checked), once
 * that log ends at `end`.
 */
export async function replicaLogBatches(cluster: TestCluster, nodeId: number, topic: string, end: number, timeoutMs?: number): Promise<RecordBatch[]> {
  const p = await until(`broker ${nodeId} to hold ${end} records`, () => {
    const part = cluster.broker(nodeId).broker.replicas.partition(topic, 0);
    return part !== undefined && part.logEndOffset === end ? part : undefined;
  }, timeoutMs);
  const got: RecordBatch[] = [];
  let offset = 0;
  while (offset < end) {
    const decoded = decodeRecordBatches(p.log.read(offset, 1 << 20, end, true).records, { verifyCrc: true });
    const last = decoded[decoded.length - 1];
    assert.ok(last !== undefined, `broker ${nodeId}: no batch at offset ${offset}`);
    got.push(...decoded);
    offset = Number(last.baseOffset) + last.lastOffsetDelta + 1;
  }
  return got;
}
