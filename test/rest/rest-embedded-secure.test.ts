/**
 * A broker's own REST proxy and schema registry together:
 * - with both rest.proxy.listeners and schema.registry.listeners and no schema.registry.url, the
 *   proxy registers and resolves Avro schemas in the broker's own registry;
 * - on a broker whose only listener is SASL_SSL, the registry reaches the broker through the
 *   inter-broker listener with the inter-broker client security (PLAIN, the JAAS config's
 *   username/password, the listener's trust store), and the proxy maps HTTP basic credentials to
 *   SASL logins over TLS: an Avro record produced through the proxy is registered and readable;
 * - without a usable inter-broker SASL mechanism such a broker refuses to start, saying what to set.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startBroker, type RunningBroker } from '../../src/index.js';
import { makeTestCerts } from '../helpers/certs.js';
import { PLAIN_JAAS } from '../helpers/security.js';
import { expectStatus, http } from './rest-helpers.js';

const basic = (user: string, password: string): Record<string, string> => ({ authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` });
const schema = { type: 'record', name: 'Reading', fields: [{ name: 'sensor', type: 'string' }, { name: 'value', type: 'double' }] };

/** Creates `topic`, produces one Avro record with an inline schema, checks the broker's registry has it. */
async function avroRoundTrip(broker: RunningBroker, topic: string, auth: Record<string, string>): Promise<void> {
  const proxy = broker.broker.restProxy;
  assert.ok(proxy, 'the broker started its REST proxy');
  const registryStart = broker.broker.schemaRegistry;
  assert.ok(registryStart, 'the broker starts its schema registry');
  const registry = await registryStart;
  assert.ok(await registry.waitForPrimary(60_000), 'the registry has a primary');
  const c = `${proxy.url}/v3/clusters/${broker.broker.clusterId}`;
  expectStatus(await http('POST', `${c}/topics`, { topic_name: topic, partitions_count: 1, replication_factor: 1 }, { 'content-type': 'application/json', ...auth }), 201, `create ${topic}`);
  const produced = await http('POST', `${proxy.url}/topics/${topic}`, { value_schema: JSON.stringify(schema), records: [{ value: { sensor: 's1', value: 21.5 } }] }, { 'content-type': 'application/vnd.kafka.avro.v2+json', ...auth });
  expectStatus(produced, 200, 'avro produce');
  const out = produced.json as { value_schema_id: number; offsets: { error_code: unknown }[] };
  assert.equal(typeof out.value_schema_id, 'number');
  assert.equal(out.offsets[0]?.error_code, null);
  const subjects = await http('GET', `${registry.url}/subjects`);
  expectStatus(subjects, 200, 'registry subjects');
  assert.ok((subjects.json as string[]).includes(`${topic}-value`), `subjects: ${JSON.stringify(subjects.json)}`);
  const byId = await http('GET', `${registry.url}/schemas/ids/${out.value_schema_id}`);
  expectStatus(byId, 200, 'schema by id');
  assert.deepEqual(JSON.parse((byId.json as { schema: string }).schema), schema);

  // Read back through a consumer instance: the proxy decodes with the same registry.
  const inst = await http('POST', `${proxy.url}/consumers/${topic}-g`, { name: 'c', format: 'avro', 'auto.offset.reset': 'earliest' }, { 'content-type': 'application/vnd.kafka.v2+json', ...auth });
  expectStatus(inst, 200, 'consumer instance');
  const uri = (inst.json as { base_uri: string }).base_uri;
  expectStatus(await http('POST', `${uri}/subscription`, { topics: [topic] }, { 'content-type': 'application/vnd.kafka.v2+json', ...auth }), 204, 'subscribe');
  const got: unknown[] = [];
  const deadline = Date.now() + 60_000;
  while (got.length < 1) {
    assert.ok(Date.now() < deadline, 'no record read back');
    const r = await http('GET', `${uri}/records?timeout=500`, undefined, { accept: 'application/vnd.kafka.avro.v2+json', ...auth });
    expectStatus(r, 200, 'records');
    got.push(...(r.json as { value: unknown }[]).map((x) => x.value));
  }
  assert.deepEqual(got, [{ sensor: 's1', value: 21.5 }]);
  expectStatus(await http('DELETE', uri, undefined, auth), 204, 'delete instance');
}

test('the broker’s REST proxy uses the broker’s own registry when schema.registry.url is unset', { timeout: 180_000 }, async () => {
  const broker = await startBroker({
    port: 0,
    config: { 'rest.proxy.listeners': 'http://127.0.0.1:0', 'schema.registry.listeners': 'http://127.0.0.1:0', 'num.partitions': 1, 'offsets.topic.num.partitions': 1, 'group.initial.rebalance.delay.ms': 0 },
  });
  try {
    await avroRoundTrip(broker, 'avro-own', {});
  } finally {
    await broker.stop();
  }
});

test('a SASL_SSL-only broker: registry over the inter-broker client security, proxy over SASL_SSL', { timeout: 180_000 }, async () => {
  const certs = makeTestCerts();
  try {
    const broker = await startBroker({
      port: 0,
      config: {
        listeners: 'SASL_SSL://127.0.0.1:0',
        'ssl.keystore.type': 'PEM',
        'ssl.keystore.location': certs.serverPem,
        'ssl.truststore.type': 'PEM',
        'ssl.truststore.location': certs.caFile,
        'sasl.enabled.mechanisms': 'PLAIN',
        'sasl.mechanism.inter.broker.protocol': 'PLAIN',
        'listener.name.sasl_ssl.plain.sasl.jaas.config': PLAIN_JAAS,
        'rest.proxy.listeners': 'http://127.0.0.1:0',
        'schema.registry.listeners': 'http://127.0.0.1:0',
        'num.partitions': 1,
        'offsets.topic.num.partitions': 1,
        'group.initial.rebalance.delay.ms': 0,
      },
    });
    try {
      await avroRoundTrip(broker, 'avro-sasl-ssl', basic('alice', 'alice-secret'));
      const proxy = broker.broker.restProxy;
      assert.ok(proxy);
      const none = await http('GET', `${proxy.url}/topics`);
      assert.equal(none.status, 401, 'HTTP credentials are required');
    } finally {
      await broker.stop();
    }
  } finally {
    certs.remove();
  }
});

test('a SASL_SSL-only broker with a registry but no usable inter-broker mechanism refuses to start', { timeout: 60_000 }, async () => {
  const certs = makeTestCerts();
  try {
    await assert.rejects(
      startBroker({
        port: 0,
        config: {
          listeners: 'SASL_SSL://127.0.0.1:0',
          'ssl.keystore.type': 'PEM',
          'ssl.keystore.location': certs.serverPem,
          'ssl.truststore.type': 'PEM',
          'ssl.truststore.location': certs.caFile,
          'sasl.enabled.mechanisms': 'PLAIN',
          'listener.name.sasl_ssl.plain.sasl.jaas.config': PLAIN_JAAS,
          'schema.registry.listeners': 'http://127.0.0.1:0',
        },
      }),
      /sasl\.mechanism\.inter\.broker\.protocol/,
    );
  } finally {
    certs.remove();
  }
});
