/**
 * ACLs against SASL principals (Kafka's StandardAuthorizer on a SASL_PLAINTEXT listener with PLAIN
 * users from the listener's JAAS config): `super.users=User:admin` may do everything; User:alice
 * and User:bob are denied a topic until an ACL names them, and an ACL for alice does not let bob
 * in. Real kafkajs clients logged in as each user; the ACLs are created by admin over SASL too.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Kafka, logLevel } from 'kafkajs';
import { startBroker, type RunningBroker } from '../../src/index.js';

const JAAS = 'org.apache.kafka.common.security.plain.PlainLoginModule required username="admin" password="admin-secret" user_admin="admin-secret" user_alice="alice-secret" user_bob="bob-secret";';
const TOPIC = 'acl-sasl';
/** kafkajs reports the refusal as a non-retriable error naming topic authorization. */
const DENIED = /TOPIC_AUTHORIZATION_FAILED|Topic authorization failed/;

let broker: RunningBroker;
let port = 0;

before(async () => {
  broker = await startBroker({
    port: 0,
    config: {
      listeners: 'SASL_PLAINTEXT://127.0.0.1:0',
      'sasl.enabled.mechanisms': 'PLAIN',
      'listener.name.sasl_plaintext.plain.sasl.jaas.config': JAAS,
      'authorizer.class.name': 'org.apache.kafka.metadata.authorizer.StandardAuthorizer',
      'super.users': 'User:admin',
      'connection.failed.authentication.delay.ms': '10',
    },
  });
  port = broker.broker.listeners[0]?.port ?? 0;
});

after(async () => {
  await broker?.stop();
});

function client(user: string): Kafka {
  return new Kafka({
    clientId: `acl-sasl-${user}`,
    brokers: [`127.0.0.1:${port}`],
    sasl: { mechanism: 'plain', username: user, password: `${user}-secret` },
    logLevel: logLevel.NOTHING,
    retry: { retries: 0 },
  });
}

async function produceAs(user: string, value: string): Promise<string> {
  const producer = client(user).producer({ allowAutoTopicCreation: false, retry: { retries: 0 } });
  await producer.connect();
  try {
    await producer.send({ topic: TOPIC, messages: [{ value }] });
    return 'ok';
  } catch (e) {
    const err = e as { type?: string; message?: string };
    return `${err.type ?? ''} ${err.message ?? String(e)}`;
  } finally {
    await producer.disconnect();
  }
}

test('SASL principals: super user admin, alice allowed only once granted, bob still denied', { timeout: 60_000 }, async () => {
  const admin = client('admin').admin();
  await admin.connect();
  try {
    assert.equal(await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: 1 }] }), true, 'admin is a super user');

    assert.match(await produceAs('alice', 'a0'), DENIED, 'no ACL names alice yet');
    await admin.createAcls({
      acl: [
        { resourceType: 2 /* TOPIC */, resourceName: TOPIC, resourcePatternType: 3 /* LITERAL */, principal: 'User:alice', host: '*', operation: 4 /* WRITE */, permissionType: 3 /* ALLOW */ },
      ],
    });
    const described = await admin.describeAcls({ resourceType: 2, resourceName: TOPIC, resourcePatternType: 3, principal: 'User:alice', host: '*', operation: 1 /* ANY */, permissionType: 1 /* ANY */ });
    assert.equal(described.resources.length, 1);
    assert.equal(await produceAs('alice', 'a1'), 'ok', 'alice holds WRITE on the topic');
    assert.match(await produceAs('bob', 'b1'), DENIED, "alice's ACL does not let bob in");

    const offsets = await admin.fetchTopicOffsets(TOPIC);
    assert.equal(offsets[0]?.high, '1', 'only the one allowed record was written');
  } finally {
    await admin.disconnect();
  }
});
