/**
 * The gate's rules for the client quota APIs (Kafka's KafkaApis): DescribeClientQuotas needs
 * DESCRIBE_CONFIGS and AlterClientQuotas ALTER_CONFIGS on the cluster; without them the answer is
 * CLUSTER_AUTHORIZATION_FAILED and nothing changes.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { ResourceType, startBroker, type Action, type Authorizer, type RunningBroker, type Session } from '../../src/index.js';
import { AclOperation } from '../../src/broker/authorized-operations.js';
import { ErrorCode } from '../../src/common/error-codes.js';
import { withClient } from '../helpers/wire.js';

class DenyOperations implements Authorizer {
  readonly allowsEverything = false;
  readonly denied = new Set<number>();
  readonly asked: Action[] = [];
  authorize(_session: Session, actions: readonly Action[]): readonly boolean[] {
    this.asked.push(...actions);
    return actions.map((a) => !this.denied.has(a.operation));
  }
}

const authorizer = new DenyOperations();
let broker: RunningBroker;

before(async () => {
  broker = await startBroker({ port: 0, gate: { authorizer } });
});

after(async () => {
  await broker?.stop();
});

test('DescribeClientQuotas needs DESCRIBE_CONFIGS and AlterClientQuotas ALTER_CONFIGS on the cluster', async () => {
  await withClient(broker.port, async (c) => {
    const alterBody = { entries: [{ entity: [{ entityType: 'client-id', entityName: 'a' }], ops: [{ key: 'producer_byte_rate', value: 10, remove: false }] }], validateOnly: false };
    authorizer.denied.add(AclOperation.ALTER_CONFIGS);
    authorizer.denied.add(AclOperation.DESCRIBE_CONFIGS);
    const denied = await c.request<{ entries: { errorCode: number }[] }>(49, 1, alterBody);
    assert.deepEqual(denied.entries.map((e) => e.errorCode), [ErrorCode.CLUSTER_AUTHORIZATION_FAILED]);
    const d = await c.request<{ errorCode: number; entries: unknown[] | null }>(48, 1, { components: [], strict: false });
    assert.equal(d.errorCode, ErrorCode.CLUSTER_AUTHORIZATION_FAILED);
    assert.deepEqual(
      authorizer.asked.map((a) => [a.operation, a.resource.type]),
      [
        [AclOperation.ALTER_CONFIGS, ResourceType.CLUSTER],
        [AclOperation.DESCRIBE_CONFIGS, ResourceType.CLUSTER],
      ],
    );
    authorizer.denied.clear();
    assert.deepEqual((await c.request<{ entries: { errorCode: number }[] }>(49, 1, alterBody)).entries.map((e) => e.errorCode), [0]);
    const allowed = await c.request<{ errorCode: number; entries: unknown[] | null }>(48, 1, { components: [], strict: false });
    assert.equal(allowed.errorCode, 0);
    assert.equal(allowed.entries?.length, 1, 'only the allowed alteration was applied');
  });
});
