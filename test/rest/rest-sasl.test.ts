/**
 * The REST proxy in front of a SASL_PLAINTEXT-only broker (PLAIN users from a JAAS config), the
 * proxy started by the broker itself (rest.proxy.listeners): HTTP basic credentials are the SASL
 * PLAIN login of the Kafka connections of that user, so the broker sees each HTTP user as its own
 * principal; no or wrong credentials are 401 (40101); a consumer instance belongs to its creator.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startBroker, type RunningBroker } from '../../src/index.js';
import { PLAIN_JAAS, RecordingAuthorizer } from '../helpers/security.js';
import { expectError, expectStatus, http } from './rest-helpers.js';

let broker: RunningBroker;
let url: string;
const authorizer = new RecordingAuthorizer();

const basic = (user: string, password: string): Record<string, string> => ({ authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` });
const alice = basic('alice', 'alice-secret');
const admin = basic('admin', 'admin-secret');

before(async () => {
  broker = await startBroker({
    port: 0,
    gate: { authorizer },
    config: {
      listeners: 'SASL_PLAINTEXT://127.0.0.1:0',
      'sasl.enabled.mechanisms': 'PLAIN',
      'listener.name.sasl_plaintext.plain.sasl.jaas.config': PLAIN_JAAS,
      'connection.failed.authentication.delay.ms': '10',
      'group.initial.rebalance.delay.ms': 100,
      'rest.proxy.listeners': 'http://127.0.0.1:0',
    },
  });
  const rest = broker.broker.restProxy;
  assert.ok(rest, 'the broker started its REST proxy on the SASL listener');
  url = rest.url;
});

after(async () => {
  await broker?.stop();
});

test('HTTP basic credentials become the SASL PLAIN principal of the Kafka connections', { timeout: 60_000 }, async () => {
  const none = await http('GET', `${url}/topics`);
  expectError(none, 401, 40101, 'no credentials');
  expectError(await http('GET', `${url}/topics`, undefined, basic('alice', 'wrong')), 401, 40101, 'wrong password');
  expectError(await http('GET', `${url}/v3/clusters`, undefined, basic('mallory', 'x')), 401, 401, 'unknown user (v3)');

  const c = `${url}/v3/clusters/${broker.broker.clusterId}`;
  expectStatus(await http('POST', `${c}/topics`, { topic_name: 'sasl-t', partitions_count: 1, replication_factor: 1 }, { 'content-type': 'application/json', ...admin }), 201, 'admin creates a topic');
  const p = await http('POST', `${url}/topics/sasl-t`, { records: [{ value: { by: 'alice' } }] }, { 'content-type': 'application/vnd.kafka.json.v2+json', ...alice });
  expectStatus(p, 200, 'alice produces');
  const principals = authorizer.principals('SASL_PLAINTEXT');
  assert.ok(principals.has('User:alice'), `principals seen: ${[...principals].join(', ')}`);
  assert.ok(principals.has('User:admin'), `principals seen: ${[...principals].join(', ')}`);
  assert.ok(!principals.has('User:ANONYMOUS'));

  const inst = await http('POST', `${url}/consumers/sasl-g`, { name: 'a', format: 'json', 'auto.offset.reset': 'earliest' }, { 'content-type': 'application/vnd.kafka.v2+json', ...alice });
  expectStatus(inst, 200, 'alice creates an instance');
  const uri = (inst.json as { base_uri: string }).base_uri;
  expectError(await http('GET', `${uri}/subscription`, undefined, admin), 404, 40403, 'another principal cannot use it');
  expectStatus(await http('POST', `${uri}/subscription`, { topics: ['sasl-t'] }, { 'content-type': 'application/vnd.kafka.v2+json', ...alice }), 204, 'subscribe');
  const got: unknown[] = [];
  const deadline = Date.now() + 30_000;
  while (got.length < 1) {
    assert.ok(Date.now() < deadline, 'no record');
    const r = await http('GET', `${uri}/records?timeout=500`, undefined, { accept: 'application/vnd.kafka.json.v2+json', ...alice });
    expectStatus(r, 200, 'records');
    got.push(...(r.json as { value: unknown }[]).map((x) => x.value));
  }
  assert.deepEqual(got, [{ by: 'alice' }]);
  expectStatus(await http('DELETE', uri, undefined, alice), 204, 'delete');
});
