/**
 * Helpers for cluster tests that watch partition state: poll with a deadline, read a partition as
 * one broker's metadata image has it, create a one-partition topic with an explicit assignment.
 */
import assert from 'node:assert/strict';
import type { TestCluster } from './cluster.js';
import { WireClient, API } from './wire.js';
import type { PartitionImage } from '../../src/metadata/image.js';

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
