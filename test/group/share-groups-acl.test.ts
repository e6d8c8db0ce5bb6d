/**
 * Authorization of the share group APIs (gate/share-access-rules.ts) over the wire, with an
 * authorizer that refuses the group `denied-g` and the topic `secret`: ShareGroupHeartbeat needs
 * READ on the group and DESCRIBE on the topics, ShareGroupDescribe DESCRIBE on each group,
 * ShareFetch/ShareAcknowledge READ on the group and the topics.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startBroker, type RunningBroker } from '../../src/index.js';
import { ResourceType, type Action, type Authorizer } from '../../src/broker/gate/authorizer.js';
import { WireClient } from '../helpers/wire.js';
import type { ShareFetchResponse } from '../../src/protocol/generated/messages/share-fetch.js';
import type { ShareGroupHeartbeatResponse } from '../../src/protocol/generated/messages/share-group-heartbeat.js';
import type { ShareGroupDescribeResponse } from '../../src/protocol/generated/messages/share-group-describe.js';
import type { ShareAcknowledgeResponse } from '../../src/protocol/generated/messages/share-acknowledge.js';

class DenyingAuthorizer implements Authorizer {
  readonly allowsEverything = false;
  authorize(_session: unknown, actions: readonly Action[]): readonly boolean[] {
    return actions.map((a) => !((a.resource.type === ResourceType.GROUP && a.resource.name === 'denied-g') || (a.resource.type === ResourceType.TOPIC && a.resource.name === 'secret')));
  }
  byResourceType(): boolean {
    return true;
  }
}

let broker: RunningBroker;
let wire: WireClient;

before(async () => {
  broker = await startBroker({ port: 0, config: { 'group.coordinator.rebalance.protocols': 'classic,consumer,share', 'offsets.topic.num.partitions': 1, 'share.coordinator.state.topic.num.partitions': 1 }, gate: { authorizer: new DenyingAuthorizer() } });
  wire = await WireClient.connect(broker.port);
  assert.equal(await wire.createTopic('open', 1), 0);
  assert.equal(await wire.createTopic('secret', 1), 0);
});

after(async () => {
  wire.close();
  await broker.stop();
});

test('share group APIs are authorized on the group and the topics', { timeout: 30_000 }, async () => {
  const hb = (group: string, topic: string): Promise<ShareGroupHeartbeatResponse> => wire.request<ShareGroupHeartbeatResponse>(76, 0, { groupId: group, memberId: 'm', memberEpoch: 0, rackId: null, subscribedTopicNames: [topic] });
  assert.equal((await hb('denied-g', 'open')).errorCode, 30, 'GROUP_AUTHORIZATION_FAILED');
  assert.equal((await hb('ok-g', 'secret')).errorCode, 29, 'TOPIC_AUTHORIZATION_FAILED');
  assert.equal((await hb('ok-g', 'open')).errorCode, 0);
  const d = await wire.request<ShareGroupDescribeResponse>(77, 0, { groupIds: ['ok-g', 'denied-g'], includeAuthorizedOperations: false });
  assert.deepEqual(d.groups.map((g) => [g.groupId, g.errorCode]), [['ok-g', 0], ['denied-g', 30]]);
  // (Metadata hides the id of a topic the principal may not describe: read it from the broker.)
  const idOf = (n: string): string => broker.broker.metadata.image().topic(n)?.topicId as string;
  const fetch = (group: string, topic: string): Promise<ShareFetchResponse> =>
    wire.request<ShareFetchResponse>(78, 0, { groupId: group, memberId: 'm', shareSessionEpoch: 0, maxWaitMs: 0, minBytes: 1, maxBytes: 1024, topics: [{ topicId: idOf(topic), partitions: [{ partitionIndex: 0, partitionMaxBytes: 1024, acknowledgementBatches: [] }] }], forgottenTopicsData: [] });
  assert.equal((await fetch('denied-g', 'open')).errorCode, 30);
  assert.equal((await fetch('ok-g', 'secret')).errorCode, 29);
  assert.equal((await fetch('ok-g', 'open')).errorCode, 0);
  const ack = await wire.request<ShareAcknowledgeResponse>(79, 0, { groupId: 'denied-g', memberId: 'm', shareSessionEpoch: 1, topics: [] });
  assert.equal(ack.errorCode, 30);
});
