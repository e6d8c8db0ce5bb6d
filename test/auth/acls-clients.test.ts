/**
 * ACLs with real clients (issue 15, ACLs): kafkajs' admin creates, describes and deletes ACLs
 * (connecting from 127.0.0.2, which holds ALL on the cluster through a host-based ACL); kcat's
 * produce and confluent-kafka's group consume from 127.0.0.1 are refused with Kafka's errors until
 * the kafka-acls --producer / --consumer ACLs are granted, then succeed; the ACLs survive a
 * restart (local metadata); without authorizer.class.name the ACL APIs answer SECURITY_DISABLED;
 * super.users is allowed everything; allow.everyone.if.no.acl.found=false denies a resource without ACLs.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import kafkajs, { type ISocketFactory } from 'kafkajs';
import { startBroker, type RunningBroker } from '../../src/index.js';
import { ErrorCode } from '../../src/common/error-codes.js';
import { runPython } from '../helpers/run-process.js';
import { runProcess } from '../helpers/run-process.js';
import { pythonJson } from '../helpers/compat.js';
import { ADMIN_HOST, connectFrom, errorCodes } from './acl-helpers.js';

const { AclOperationTypes, AclPermissionTypes, AclResourceTypes, Kafka, logLevel, ResourcePatternTypes } = kafkajs;
const AUTHORIZER = 'org.apache.kafka.metadata.authorizer.StandardAuthorizer';
const TOPIC = 'acl-clients';
const GROUP = 'acl-clients-g';

const dataDir = mkdtempSync(join(tmpdir(), 'samsa-acl-clients-'));
let broker: RunningBroker | undefined;

const config = { 'authorizer.class.name': AUTHORIZER, 'allow.everyone.if.no.acl.found': 'true', 'num.partitions': 1, 'offsets.topic.num.partitions': 1, 'group.initial.rebalance.delay.ms': 0 };

before(async () => {
  broker = await startBroker({ port: 0, dataDir, config, logger: { level: 'warn' } });
});

after(async () => {
  await broker?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

/** kafkajs connecting from the admin host. */
const fromAdminHost: ISocketFactory = ({ host, port, onConnect }) => {
  const s = connect({ host, port, localAddress: ADMIN_HOST }, onConnect);
  s.setKeepAlive(true, 60_000);
  return s;
};

function adminClient(b: RunningBroker) {
  return new Kafka({ clientId: 'acl-admin', brokers: [b.bootstrap], logLevel: logLevel.NOTHING, socketFactory: fromAdminHost, retry: { retries: 2 } }).admin();
}

const CONSUME = String.raw`
import json, sys
from confluent_kafka import Consumer, KafkaException
job = json.load(sys.stdin)
c = Consumer({'bootstrap.servers': job['bootstrap'], 'group.id': job['group'], 'auto.offset.reset': 'earliest', 'enable.auto.commit': False})
c.subscribe([job['topic']])
out = {'values': [], 'error': None}
import time
deadline = time.time() + 20
while time.time() < deadline and len(out['values']) < job['count']:
    m = c.poll(0.5)
    if m is None:
        continue
    if m.error():
        out['error'] = m.error().name()
        break
    out['values'].append(m.value().decode())
if out['error'] is None and len(out['values']) == job['count']:
    try:
        c.commit(asynchronous=False)
    except KafkaException as e:
        out['error'] = e.args[0].name()
c.close()
print(json.dumps(out))
`;

async function consume(b: RunningBroker, count: number): Promise<{ values: string[]; error: string | null }> {
  const r = await runPython(CONSUME, [], { input: JSON.stringify({ bootstrap: b.bootstrap, topic: TOPIC, group: GROUP, count }), timeoutMs: 60_000 });
  return pythonJson(r, 'confluent-kafka consume');
}

async function kcatProduce(b: RunningBroker, lines: string): Promise<{ code: number | null; stderr: string }> {
  const r = await runProcess('kcat', ['-P', '-b', b.bootstrap, '-t', TOPIC, '-X', 'message.timeout.ms=8000'], { input: lines, timeoutMs: 30_000 });
  assert.equal(r.timedOut, false, 'kcat timed out');
  return { code: r.code, stderr: r.stderr };
}

test('kafkajs admin creates ACLs; kcat produce and confluent-kafka consume are refused without them and succeed with kafka-acls --producer/--consumer ACLs; ACLs survive a restart', { timeout: 180_000 }, async () => {
  const b = broker as RunningBroker;
  let admin = adminClient(b);
  await admin.connect();
  try {
    // Bootstrap: the admin host gets ALL on the cluster and on every topic; a placeholder makes every topic and group "have ACLs".
    await admin.createAcls({
      acl: [
        { resourceType: AclResourceTypes.CLUSTER, resourceName: 'kafka-cluster', resourcePatternType: ResourcePatternTypes.LITERAL, principal: 'User:ANONYMOUS', host: ADMIN_HOST, operation: AclOperationTypes.ALL, permissionType: AclPermissionTypes.ALLOW },
        { resourceType: AclResourceTypes.TOPIC, resourceName: '*', resourcePatternType: ResourcePatternTypes.LITERAL, principal: 'User:ANONYMOUS', host: ADMIN_HOST, operation: AclOperationTypes.ALL, permissionType: AclPermissionTypes.ALLOW },
        { resourceType: AclResourceTypes.TOPIC, resourceName: '*', resourcePatternType: ResourcePatternTypes.LITERAL, principal: 'User:placeholder', host: '*', operation: AclOperationTypes.READ, permissionType: AclPermissionTypes.ALLOW },
        { resourceType: AclResourceTypes.GROUP, resourceName: '*', resourcePatternType: ResourcePatternTypes.LITERAL, principal: 'User:placeholder', host: '*', operation: AclOperationTypes.READ, permissionType: AclPermissionTypes.ALLOW },
      ],
    });
    assert.equal(await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: 1 }] }), true);

    const refused = await kcatProduce(b, 'a\nb\n');
    assert.notEqual(refused.code, 0, 'kcat produce without WRITE fails');
    assert.match(refused.stderr, /authorization failed/i);

    // kafka-acls --producer: WRITE, DESCRIBE, CREATE on the topic (prefixed pattern: acl-).
    const producerAcls = [AclOperationTypes.WRITE, AclOperationTypes.DESCRIBE, AclOperationTypes.CREATE].map((operation) => ({
      resourceType: AclResourceTypes.TOPIC, resourceName: 'acl-', resourcePatternType: ResourcePatternTypes.PREFIXED, principal: 'User:ANONYMOUS', host: '127.0.0.1', operation, permissionType: AclPermissionTypes.ALLOW,
    }));
    await admin.createAcls({ acl: producerAcls });
    const produced = await kcatProduce(b, 'a\nb\nc\n');
    assert.equal(produced.code, 0, `kcat produce with the producer ACLs: ${produced.stderr}`);

    const noGroup = await consume(b, 3);
    assert.equal(noGroup.error, 'GROUP_AUTHORIZATION_FAILED', `consume without READ on the group: ${JSON.stringify(noGroup)}`);

    // kafka-acls --consumer: READ, DESCRIBE on the topic, READ on the group.
    const consumerAcls = [
      { resourceType: AclResourceTypes.TOPIC, resourceName: TOPIC, resourcePatternType: ResourcePatternTypes.LITERAL, principal: 'User:ANONYMOUS', host: '*', operation: AclOperationTypes.READ, permissionType: AclPermissionTypes.ALLOW },
      { resourceType: AclResourceTypes.GROUP, resourceName: GROUP, resourcePatternType: ResourcePatternTypes.LITERAL, principal: 'User:ANONYMOUS', host: '*', operation: AclOperationTypes.READ, permissionType: AclPermissionTypes.ALLOW },
    ];
    await admin.createAcls({ acl: consumerAcls });
    const consumed = await consume(b, 3);
    assert.deepEqual(consumed, { values: ['a', 'b', 'c'], error: null });

    const described = await admin.describeAcls({ resourceType: AclResourceTypes.ANY, resourcePatternType: ResourcePatternTypes.ANY, operation: AclOperationTypes.ANY, permissionType: AclPermissionTypes.ANY });
    const count = described.resources.reduce((n, r) => n + r.acls.length, 0);
    assert.equal(count, 4 + producerAcls.length + consumerAcls.length, JSON.stringify(described.resources));
    const prefixed = described.resources.find((r) => r.resourcePatternType === ResourcePatternTypes.PREFIXED);
    assert.deepEqual(prefixed?.acls.map((a) => a.operation).sort(), [AclOperationTypes.WRITE, AclOperationTypes.CREATE, AclOperationTypes.DESCRIBE].sort());
  } finally {
    await admin.disconnect();
  }

  // The ACLs are in the metadata: a restart keeps them and keeps enforcing them.
  await b.stop();
  broker = await startBroker({ port: 0, dataDir, config, logger: { level: 'warn' } });
  const b2 = broker;
  admin = adminClient(b2);
  await admin.connect();
  try {
    const described = await admin.describeAcls({ resourceType: AclResourceTypes.TOPIC, resourceName: TOPIC, resourcePatternType: ResourcePatternTypes.MATCH, operation: AclOperationTypes.ANY, permissionType: AclPermissionTypes.ANY });
    // MATCH: the literal ACL on the topic, the `*` placeholder and the prefixed acl- ACLs.
    assert.deepEqual(described.resources.map((r) => `${r.resourcePatternType}:${r.resourceName}`).sort(), [`${ResourcePatternTypes.LITERAL}:*`, `${ResourcePatternTypes.LITERAL}:${TOPIC}`, `${ResourcePatternTypes.PREFIXED}:acl-`].sort());
    const deleted = await admin.deleteAcls({ filters: [{ resourceType: AclResourceTypes.TOPIC, resourceName: TOPIC, resourcePatternType: ResourcePatternTypes.LITERAL, principal: 'User:ANONYMOUS', operation: AclOperationTypes.READ, permissionType: AclPermissionTypes.ALLOW }] });
    assert.equal(deleted.filterResponses[0]?.matchingAcls.length, 1);
  } finally {
    await admin.disconnect();
  }
  // Removing the consumer's topic READ: Fetch is refused again (librdkafka keeps retrying quietly, so the wire answer is checked).
  const c = await connectFrom(b2.port, '127.0.0.1');
  try {
    const fetched = await c.request(1, 12, {
      replicaId: -1, maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1,
      topics: [{ topic: TOPIC, partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: 0n, lastFetchedEpoch: -1, logStartOffset: -1n, partitionMaxBytes: 1 << 20 }] }],
      forgottenTopicsData: [], rackId: '',
    });
    assert.ok(errorCodes(fetched).includes(ErrorCode.TOPIC_AUTHORIZATION_FAILED), JSON.stringify(errorCodes(fetched)));
  } finally {
    c.close();
  }
});

test('without authorizer.class.name the ACL APIs answer SECURITY_DISABLED and nothing is checked', async () => {
  const plain = await startBroker({ port: 0, logger: { level: 'warn' } });
  try {
    const c = await connectFrom(plain.port, '127.0.0.1');
    try {
      const d = await c.request(29, 3, { resourceTypeFilter: 1, resourceNameFilter: null, patternTypeFilter: 1, principalFilter: null, hostFilter: null, operation: 1, permissionType: 1 });
      const cr = await c.request(30, 3, { creations: [{ resourceType: 2, resourceName: 't', resourcePatternType: 3, principal: 'User:x', host: '*', operation: 3, permissionType: 3 }] });
      const dl = await c.request(31, 3, { filters: [{ resourceTypeFilter: 1, resourceNameFilter: null, patternTypeFilter: 1, principalFilter: null, hostFilter: null, operation: 1, permissionType: 1 }] });
      assert.deepEqual([errorCodes(d), errorCodes(cr), errorCodes(dl)], [[ErrorCode.SECURITY_DISABLED], [ErrorCode.SECURITY_DISABLED], [ErrorCode.SECURITY_DISABLED]]);
    } finally {
      c.close();
    }
  } finally {
    await plain.stop();
  }
});

test('allow.everyone.if.no.acl.found=false (the default) denies resources without ACLs; super.users are allowed everything', async () => {
  for (const superUsers of [null, 'User:admin;User:ANONYMOUS']) {
    const b = await startBroker({ port: 0, config: { 'authorizer.class.name': 'kafka.security.authorizer.AclAuthorizer', ...(superUsers === null ? {} : { 'super.users': superUsers }) }, logger: { level: 'warn' } });
    try {
      const c = await connectFrom(b.port, '127.0.0.1');
      try {
        const create = await c.request(19, 7, { topics: [{ name: 'su-t', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 10_000, validateOnly: false });
        const acl = await c.request(30, 3, { creations: [{ resourceType: 2, resourceName: 'su-t', resourcePatternType: 3, principal: 'User:x', host: '*', operation: 3, permissionType: 3 }] });
        const cluster = await c.request(60, 1, { includeClusterAuthorizedOperations: false, endpointType: 1 });
        const expected = superUsers === null ? [[ErrorCode.TOPIC_AUTHORIZATION_FAILED], [ErrorCode.CLUSTER_AUTHORIZATION_FAILED], [ErrorCode.CLUSTER_AUTHORIZATION_FAILED]] : [[0], [0], [0]];
        assert.deepEqual([errorCodes(create), errorCodes(acl), errorCodes(cluster)], expected, `super.users=${superUsers}`);
      } finally {
        c.close();
      }
    } finally {
      await b.stop();
    }
  }
});
