/**
 * Authorized operations (issue 11 item 6). With no authorizer Kafka answers every operation the
 * resource type supports when the client asks, and INT32_MIN ("not requested") otherwise. Driven
 * with @platformatic/kafka's own Metadata v10/v12 and DescribeCluster v1 request code over its
 * Connection, and at the wire level for DescribeGroups.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Connection, describeClusterV1, metadataV10, metadataV12 } from '@platformatic/kafka';
import { startBroker, type RunningBroker } from '../../src/index.js';
import { WireClient } from '../helpers/wire.js';
import type { DescribeGroupsResponse } from '../../src/protocol/generated/messages/describe-groups.js';

/** Kafka's AclOperation codes. */
const READ = 3, WRITE = 4, CREATE = 5, DELETE = 6, ALTER = 7, DESCRIBE = 8, CLUSTER_ACTION = 9, DESCRIBE_CONFIGS = 10, ALTER_CONFIGS = 11, IDEMPOTENT_WRITE = 12;
const bits = (...ops: number[]): number => ops.reduce((v, op) => v | (1 << op), 0);
const TOPIC_OPS = bits(READ, WRITE, CREATE, DELETE, ALTER, DESCRIBE, DESCRIBE_CONFIGS, ALTER_CONFIGS);
const CLUSTER_OPS = bits(CREATE, CLUSTER_ACTION, DESCRIBE_CONFIGS, ALTER_CONFIGS, IDEMPOTENT_WRITE, ALTER, DESCRIBE);
const GROUP_OPS = bits(READ, DESCRIBE, DELETE, DESCRIBE_CONFIGS, ALTER_CONFIGS);
const NOT_REQUESTED = -2147483648;

let broker: RunningBroker;
let conn: Connection;

before(async () => {
  broker = await startBroker({ port: 0 });
  conn = new Connection('authz-ops');
  await conn.connect('127.0.0.1', broker.port);
});

after(async () => {
  await conn?.close();
  await broker?.stop();
});

test('the bit sets are the ones Kafka documents (3576 for a topic, 8096 for the cluster)', () => {
  assert.equal(TOPIC_OPS, 3576);
  assert.equal(CLUSTER_OPS, 8096);
});

test('platformatic Metadata v12: topic authorized operations when asked, INT32_MIN when not', async () => {
  const asked = await metadataV12.api.async(conn, ['authz-topic'], true, true);
  const t = asked.topics.find((x) => x.name === 'authz-topic');
  assert.ok(t, 'topic auto-created and described');
  assert.equal(t.topicAuthorizedOperations, TOPIC_OPS);
  const notAsked = await metadataV12.api.async(conn, ['authz-topic'], false, false);
  assert.equal(notAsked.topics[0]?.topicAuthorizedOperations, NOT_REQUESTED);
});

test('platformatic Metadata v10 (all topics): every topic carries the topic bit set', async () => {
  const res = await metadataV10.api.async(conn, null, false, true);
  assert.ok(res.topics.length >= 1);
  for (const t of res.topics) assert.equal(t.topicAuthorizedOperations, TOPIC_OPS, `topic ${t.name}`);
});

test('platformatic DescribeCluster v1: cluster authorized operations when asked, INT32_MIN when not', async () => {
  const asked = await describeClusterV1.api.async(conn, true, 1);
  assert.equal(asked.clusterAuthorizedOperations, CLUSTER_OPS);
  const notAsked = await describeClusterV1.api.async(conn, false, 1);
  assert.equal(notAsked.clusterAuthorizedOperations, NOT_REQUESTED);
});

test('wire Metadata v8-v10 cluster authorized operations; v8 topic operations', async () => {
  const c = await WireClient.connect(broker.port);
  try {
    for (const v of [8, 9, 10]) {
      const res = await c.request<{ clusterAuthorizedOperations: number; topics: { topicAuthorizedOperations: number }[] }>(3, v, {
        topics: [{ name: 'authz-topic', topicId: 'AAAAAAAAAAAAAAAAAAAAAA' }], allowAutoTopicCreation: false, includeClusterAuthorizedOperations: true, includeTopicAuthorizedOperations: v === 8,
      });
      assert.equal(res.clusterAuthorizedOperations, CLUSTER_OPS, `v${v} cluster`);
      assert.equal(res.topics[0]?.topicAuthorizedOperations, v === 8 ? TOPIC_OPS : NOT_REQUESTED, `v${v} topic`);
    }
  } finally {
    c.close();
  }
});

test('wire DescribeGroups v5: every group operation Kafka 4 supports when asked', async () => {
  const c = await WireClient.connect(broker.port);
  try {
    const res = await c.request<DescribeGroupsResponse>(15, 5, { groups: ['authz-group'], includeAuthorizedOperations: true });
    assert.equal(res.groups[0]?.authorizedOperations, GROUP_OPS);
  } finally {
    c.close();
  }
});
