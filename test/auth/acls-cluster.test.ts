/**
 * ACLs in a cluster (issue 15: "ACLs persist ... etcd in a cluster, and apply on every broker"):
 * bindings created through one broker are written under <prefix>/acls/ in etcd and every broker
 * enforces and describes them; a deletion through another broker is seen by the first.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { useEtcd } from '../helpers/etcd.js';
import { startCluster } from '../helpers/cluster.js';
import { waitFor } from '../helpers/wire.js';
import { Etcd3 } from 'etcd3';
import { ErrorCode } from '../../src/common/error-codes.js';
import { AclOp, AclResourceType as R } from '../../src/auth/acl.js';
import type { ProtocolClient } from '../../src/client/protocol-client.js';
import { ADMIN_HOST, CLIENT_HOST, bootstrapAcls, connectFrom, createAcls, deleteAcls, errorCodes, grant } from './acl-helpers.js';

const fx = useEtcd({ before, after });

test('ACLs created on one broker are stored in etcd and enforced by every broker; a deletion on another broker applies everywhere', { timeout: 120_000 }, async (t) => {
  const prefix = fx.prefix();
  const cluster = await startCluster({
    endpoints: fx.etcd.endpoints,
    prefix,
    size: 2,
    config: { 'authorizer.class.name': 'org.apache.kafka.metadata.authorizer.StandardAuthorizer', 'allow.everyone.if.no.acl.found': 'true' },
  });
  t.after(() => cluster.stop());
  const clients: ProtocolClient[] = [];
  t.after(() => clients.forEach((c) => c.close()));
  const open = async (nodeId: number, host: string): Promise<ProtocolClient> => {
    const c = await connectFrom(cluster.broker(nodeId).port, host);
    clients.push(c);
    return c;
  };
  const admin1 = await open(1, ADMIN_HOST);
  const admin2 = await open(2, ADMIN_HOST);
  const client2 = await open(2, CLIENT_HOST);
  const client1 = await open(1, CLIENT_HOST);

  await bootstrapAcls(admin1);
  // Broker 2 learns the bootstrap ACLs (its admin connection may alter the cluster once it has them).
  await waitFor(async () => (errorCodes(await admin2.request(29, 3, { resourceTypeFilter: 1, resourceNameFilter: null, patternTypeFilter: 1, principalFilter: null, hostFilter: null, operation: 1, permissionType: 1 })).every((c) => c === 0) ? true : undefined), 20_000, 'broker 2 to apply the bootstrap ACLs');
  const created = await admin1.request<{ topics: { errorCode: number }[] }>(19, 7, { topics: [{ name: 'acl-c', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 10_000, validateOnly: false });
  assert.equal(created.topics[0]?.errorCode, 0);

  const describeTopic = async (c: ProtocolClient): Promise<number | undefined> => {
    const md = await c.request<{ topics: { errorCode: number }[] }>(3, 12, { topics: [{ topicId: 'AAAAAAAAAAAAAAAAAAAAAA', name: 'acl-c' }], allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false });
    return md.topics[0]?.errorCode;
  };
  assert.equal(await describeTopic(client2), ErrorCode.TOPIC_AUTHORIZATION_FAILED);

  // Granted through broker 1: broker 2 allows it.
  const acl = grant(R.TOPIC, 'acl-c', AclOp.DESCRIBE);
  await createAcls(admin1, [acl]);
  await waitFor(async () => ((await describeTopic(client2)) === 0 ? true : undefined), 20_000, 'broker 2 to allow DESCRIBE on acl-c');

  // The binding is one key under <prefix>/acls/.
  const etcd = new Etcd3({ hosts: fx.etcd.endpoints });
  t.after(() => etcd.close());
  const keys = await etcd.getAll().prefix(`${prefix}/acls/`).keys();
  assert.equal(keys.length, 5, `acl keys: ${keys.join(', ')}`);

  // Deleted through broker 2: broker 1 denies again.
  assert.equal(await deleteAcls(admin2, [acl]), 1);
  await waitFor(async () => ((await describeTopic(client1)) === ErrorCode.TOPIC_AUTHORIZATION_FAILED ? true : undefined), 20_000, 'broker 1 to deny DESCRIBE on acl-c');
  assert.equal((await etcd.getAll().prefix(`${prefix}/acls/`).keys()).length, 4);
});
