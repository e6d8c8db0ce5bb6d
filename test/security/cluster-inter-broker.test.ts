/**
 * Inter-broker security (config/inter-broker-security.ts): three brokers on etcd whose only
 * listener is SASL_SSL, for clients and for replication alike, with ACLs on (Kafka's
 * StandardAuthorizer; the brokers' principal is a super user, as Kafka deployments configure it).
 * - kafkajs over SASL_SSL (SCRAM-SHA-512, credentials set with AlterUserScramCredentials through
 *   Samsa's own client over SASL_SSL) produces with acks=all to an RF 3 topic, the leader stops,
 *   another broker takes over, kafkajs produces more, every acknowledged record is read back once
 *   and in order, and the stopped broker comes back and rejoins the ISR (replicating over SASL_SSL).
 * - A broker configured with a wrong inter-broker password cannot replicate: the leader drops it
 *   from the ISR, its log says why (SASL authentication failed), and acks=all produce goes on with
 *   the other two (min.insync.replicas=2).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { pbkdf2Sync, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Kafka, logLevel } from 'kafkajs';
import { useEtcd } from '../helpers/etcd.js';
import { startCluster, type TestCluster } from '../helpers/cluster.js';
import { until } from '../helpers/cluster-partitions.js';
import { makeTestCerts, type TestCerts } from '../helpers/certs.js';
import { ProtocolClient } from '../../src/client/protocol-client.js';
import type { ClientSecurity } from '../../src/client/client-security.js';
import type { RunningBroker } from '../../src/index.js';

const fx = useEtcd({ before, after });
let certs: TestCerts;
before(() => {
  certs = makeTestCerts();
});
after(() => certs?.remove());

const JAAS = (password: string): string =>
  `org.apache.kafka.common.security.plain.PlainLoginModule required username="broker" password="${password}" user_broker="broker-secret" user_alice="alice-secret";`;

function secureConfig(): Record<string, string> {
  return {
    listeners: 'SASL_SSL://127.0.0.1:0',
    'ssl.keystore.type': 'PEM',
    'ssl.keystore.location': certs.serverPem,
    'ssl.truststore.type': 'PEM',
    'ssl.truststore.location': certs.caFile,
    'sasl.enabled.mechanisms': 'PLAIN,SCRAM-SHA-512',
    'sasl.mechanism.inter.broker.protocol': 'PLAIN',
    'listener.name.sasl_ssl.plain.sasl.jaas.config': JAAS('broker-secret'),
    'authorizer.class.name': 'org.apache.kafka.metadata.authorizer.StandardAuthorizer',
    'super.users': 'User:broker;User:alice',
    'connection.failed.authentication.delay.ms': '20',
  };
}

const portOf = (b: RunningBroker): number => (b.broker.listeners[0] as { port: number }).port;

async function asAlice<T>(port: number, fn: (c: ProtocolClient) => Promise<T>): Promise<T> {
  const security: ClientSecurity = { tls: { ca: readFileSync(certs.caFile) }, sasl: { mechanism: 'PLAIN', username: 'alice', password: 'alice-secret' } };
  const c = await ProtocolClient.connect({ port, security, connectTimeoutMs: 20_000 });
  try {
    return await fn(c);
  } finally {
    c.close();
  }
}

async function createTopic(port: number, name: string, assignment: number[]): Promise<void> {
  const res = await asAlice(port, (c) =>
    c.request<{ topics: { errorCode: number; errorMessage: string | null }[] }>(19, 7, {
      topics: [{ name, numPartitions: -1, replicationFactor: -1, assignments: [{ partitionIndex: 0, brokerIds: assignment }], configs: [{ name: 'min.insync.replicas', value: '2' }] }],
      timeoutMs: 10_000,
      validateOnly: false,
    }),
  );
  assert.equal(res.topics[0]?.errorCode, 0, res.topics[0]?.errorMessage ?? '');
}

function isrOn(cluster: TestCluster, nodeId: number, topic: string): readonly number[] | undefined {
  return cluster.brokers[nodeId - 1]?.running?.broker.metadata.image().topic(topic)?.partitions[0]?.isr;
}

function leaderOn(cluster: TestCluster, nodeId: number, topic: string): number | undefined {
  return cluster.brokers[nodeId - 1]?.running?.broker.metadata.image().topic(topic)?.partitions[0]?.leader;
}

test('SASL_SSL only, for clients and replication: kafkajs acks=all through a leader failover, every record read back, the stopped broker rejoins the ISR', { timeout: 240_000 }, async (t) => {
  const cluster = await startCluster({ endpoints: fx.etcd.endpoints, prefix: fx.prefix(), size: 3, config: secureConfig() });
  t.after(() => cluster.stop());
  try {
    const port1 = portOf(cluster.broker(1));
    // carol's SCRAM-SHA-512 credential, set over SASL_SSL by Samsa's own client.
    const salt = randomBytes(16);
    const set = await asAlice(port1, (c) =>
      c.request<{ results: { errorCode: number }[] }>(51, 0, { deletions: [], upsertions: [{ name: 'carol', mechanism: 2, iterations: 8192, salt, saltedPassword: pbkdf2Sync('carol-secret', salt, 8192, 64, 'sha512') }] }),
    );
    assert.equal(set.results[0]?.errorCode, 0);
    await createTopic(port1, 'secure-r3', [1, 2, 3]);
    await until('a full ISR of secure-r3 on every broker', () => [1, 2, 3].every((id) => isrOn(cluster, id, 'secure-r3')?.length === 3), 60_000);

    const kafka = new Kafka({
      clientId: 'ib-secure',
      brokers: cluster.brokers.map((b) => `127.0.0.1:${portOf(b.running as RunningBroker)}`),
      ssl: { ca: [readFileSync(certs.caFile)] },
      sasl: { mechanism: 'scram-sha-512', username: 'carol', password: 'carol-secret' },
      logLevel: logLevel.NOTHING,
      retry: { retries: 10, initialRetryTime: 200 },
    });
    // SCRAM login works on every broker (the credential is in etcd); carol has no ACL, so the
    // data is moved by alice (a super user) below.
    const carolAdmin = kafka.admin();
    await carolAdmin.connect();
    await carolAdmin.disconnect();

    const aliceKafka = new Kafka({
      clientId: 'ib-secure-alice',
      brokers: cluster.brokers.map((b) => `127.0.0.1:${portOf(b.running as RunningBroker)}`),
      ssl: { ca: [readFileSync(certs.caFile)] },
      sasl: { mechanism: 'plain', username: 'alice', password: 'alice-secret' },
      logLevel: logLevel.NOTHING,
      retry: { retries: 15, initialRetryTime: 200 },
    });
    const producer = aliceKafka.producer({ allowAutoTopicCreation: false });
    await producer.connect();
    t.after(() => producer.disconnect());
    const acked: string[] = [];
    const sendRound = async (from: number): Promise<void> => {
      for (let i = from; i < from + 25; i += 5) {
        const values = [0, 1, 2, 3, 4].map((k) => `v${i + k}`);
        await producer.send({ topic: 'secure-r3', acks: -1, messages: values.map((value) => ({ value })) });
        acked.push(...values);
      }
    };
    await sendRound(0);
    const leader = leaderOn(cluster, 1, 'secure-r3') as number;
    // Every replica has the records (they went over SASL_SSL fetches).
    await until('every replica to hold 25 records', () => cluster.brokers.every((b) => b.running?.broker.replicas.partition('secure-r3', 0)?.logEndOffset === 25), 30_000);

    const stoppedAt = performance.now();
    await cluster.stopBroker(leader);
    const survivor = [1, 2, 3].find((id) => id !== leader) as number;
    await until('a new leader', () => {
      const l = leaderOn(cluster, survivor, 'secure-r3');
      return l !== undefined && l >= 0 && l !== leader;
    }, 30_000);
    await sendRound(25);
    const resumedMs = performance.now() - stoppedAt;
    console.log(`secure cluster: produce resumed ${resumedMs.toFixed(0)} ms after the leader (broker ${leader}) stopped`);

    // The stopped broker comes back and catches up over SASL_SSL.
    await cluster.startBroker(leader);
    await until(`broker ${leader} back in the ISR`, () => isrOn(cluster, survivor, 'secure-r3')?.includes(leader) === true, 60_000);
    await until(`broker ${leader} to hold all 50 records`, () => cluster.brokers[leader - 1]?.running?.broker.replicas.partition('secure-r3', 0)?.logEndOffset === 50, 30_000);
    // Read back with a group (its __consumer_offsets needs three brokers for RF 3).
    const consumer = aliceKafka.consumer({ groupId: 'ib-secure-readers' });
    await consumer.connect();
    t.after(() => consumer.disconnect());
    await consumer.subscribe({ topic: 'secure-r3', fromBeginning: true });
    const read: string[] = [];
    await consumer.run({ eachMessage: async ({ message }) => void read.push(message.value?.toString() ?? '') });
    await until('every acknowledged record read back', () => read.length >= acked.length, 60_000);
    assert.deepEqual(read, acked, 'each acknowledged record once, in order');
    // While the brokers still run (after they stop, kafkajs would retry leaving the group for minutes).
    await consumer.disconnect();
    await producer.disconnect();

  } catch (e) {
    console.log(cluster.dumpLogs());
    throw e;
  }
});

test('a wrong inter-broker password: that broker cannot replicate, drops out of the ISR with a clear log line; acks=all goes on with two', { timeout: 180_000 }, async (t) => {
  const cluster = await startCluster({
    endpoints: fx.etcd.endpoints,
    prefix: fx.prefix(),
    size: 3,
    config: secureConfig(),
    brokerConfig: (id) => (id === 3 ? { 'listener.name.sasl_ssl.plain.sasl.jaas.config': JAAS('not-the-password') } : {}),
  });
  t.after(() => cluster.stop());
  try {
    const port1 = portOf(cluster.broker(1));
    await createTopic(port1, 'wrong-pw', [1, 2, 3]);
    await until('broker 3 out of the ISR of wrong-pw (leader 1)', () => {
      const isr = isrOn(cluster, 1, 'wrong-pw');
      return isr !== undefined && isr.length === 2 && !isr.includes(3);
    }, 60_000);
    const b3 = cluster.brokers[2] as { lines: string[] };
    const line = b3.lines.find((l) => /replica fetcher of broker 3 from broker 1: SASL PLAIN authentication of broker failed/.test(l));
    assert.ok(line !== undefined, `broker 3 logs why it cannot replicate:\n${b3.lines.slice(-20).join('\n')}`);
    assert.match(line, /Invalid username or password|invalid credentials|authentication failed/i);
    // acks=all with min.insync.replicas=2 is answered by the two that replicate.
    const produced = await asAlice(port1, async (c) => {
      const { encodeRecordBatch } = await import('../../src/protocol/records/record.js');
      return c.request<{ responses: { partitionResponses: { errorCode: number }[] }[] }>(0, 9, {
        transactionalId: null,
        acks: -1,
        timeoutMs: 10_000,
        topicData: [{ name: 'wrong-pw', partitionData: [{ index: 0, records: encodeRecordBatch({ baseTimestamp: 1n, records: [{ value: 'x', timestamp: 1n }] }) }] }],
      });
    });
    assert.equal(produced.responses[0]?.partitionResponses[0]?.errorCode, 0);
    assert.equal(cluster.brokers[2]?.running?.broker.replicas.partition('wrong-pw', 0)?.logEndOffset ?? 0, 0, 'broker 3 holds nothing');
  } catch (e) {
    console.log(cluster.dumpLogs());
    throw e;
  }
});

test('with ACLs on, a broker principal that is no super user replicates only once it is allowed CLUSTER_ACTION', { timeout: 180_000 }, async (t) => {
  const cluster = await startCluster({ endpoints: fx.etcd.endpoints, prefix: fx.prefix(), size: 3, config: { ...secureConfig(), 'super.users': 'User:alice' } });
  t.after(() => cluster.stop());
  try {
    const port1 = portOf(cluster.broker(1));
    await createTopic(port1, 'needs-acl', [1, 2, 3]);
    // The followers' fetches are refused (TOPIC_AUTHORIZATION_FAILED without CLUSTER_ACTION): they drop out of the ISR.
    await until('the followers out of the ISR of needs-acl', () => {
      const isr = isrOn(cluster, 1, 'needs-acl');
      return isr !== undefined && isr.length === 1 && isr[0] === 1;
    }, 60_000);
    const created = await asAlice(port1, (c) =>
      c.request<{ results: { errorCode: number; errorMessage: string | null }[] }>(30, 3, {
        // CLUSTER (4) kafka-cluster, LITERAL (3), CLUSTER_ACTION (9), ALLOW (3).
        creations: [{ resourceType: 4, resourceName: 'kafka-cluster', resourcePatternType: 3, principal: 'User:broker', host: '*', operation: 9, permissionType: 3 }],
      }),
    );
    assert.equal(created.results[0]?.errorCode, 0, created.results[0]?.errorMessage ?? '');
    await until('both followers back in the ISR', () => isrOn(cluster, 1, 'needs-acl')?.length === 3, 60_000);
  } catch (e) {
    console.log(cluster.dumpLogs());
    throw e;
  }
});

test('SSL only with ssl.client.auth=required: the brokers replicate with their key store as client certificate (mTLS)', { timeout: 120_000 }, async (t) => {
  const cluster = await startCluster({
    endpoints: fx.etcd.endpoints,
    prefix: fx.prefix(),
    size: 3,
    config: {
      listeners: 'SSL://127.0.0.1:0',
      'ssl.keystore.type': 'PEM',
      'ssl.keystore.location': certs.serverPem,
      'ssl.truststore.type': 'PEM',
      'ssl.truststore.location': certs.caFile,
      'ssl.client.auth': 'required',
    },
  });
  t.after(() => cluster.stop());
  try {
    const c = certs.client('admin');
    const security: ClientSecurity = { tls: { ca: readFileSync(certs.caFile), cert: readFileSync(c.certFile), key: readFileSync(c.keyFile) } };
    const port1 = portOf(cluster.broker(1));
    const client = await ProtocolClient.connect({ port: port1, security, connectTimeoutMs: 20_000 });
    t.after(() => client.close());
    const created = await client.request<{ topics: { errorCode: number; errorMessage: string | null }[] }>(19, 7, {
      topics: [{ name: 'mtls-r3', numPartitions: -1, replicationFactor: -1, assignments: [{ partitionIndex: 0, brokerIds: [1, 2, 3] }], configs: [{ name: 'min.insync.replicas', value: '3' }] }],
      timeoutMs: 10_000,
      validateOnly: false,
    });
    assert.equal(created.topics[0]?.errorCode, 0, created.topics[0]?.errorMessage ?? '');
    await until('a full ISR of mtls-r3', () => isrOn(cluster, 1, 'mtls-r3')?.length === 3, 60_000);
    const { encodeRecordBatch } = await import('../../src/protocol/records/record.js');
    // acks=all with min.insync.replicas=3: answered only once both followers fetched it over mTLS.
    const produced = await client.request<{ responses: { partitionResponses: { errorCode: number }[] }[] }>(0, 9, {
      transactionalId: null,
      acks: -1,
      timeoutMs: 10_000,
      topicData: [{ name: 'mtls-r3', partitionData: [{ index: 0, records: encodeRecordBatch({ baseTimestamp: 1n, records: [{ value: 'm', timestamp: 1n }] }) }] }],
    });
    assert.equal(produced.responses[0]?.partitionResponses[0]?.errorCode, 0);
    await until('every replica to hold the record', () => cluster.brokers.every((b) => b.running?.broker.replicas.partition('mtls-r3', 0)?.logEndOffset === 1), 30_000);
  } catch (e) {
    console.log(cluster.dumpLogs());
    throw e;
  }
});
