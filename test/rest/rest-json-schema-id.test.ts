/**
 * JSON schemas with an `$id` through the REST proxy (Confluent's jsonschema embedded format): the
 * validator of each registered schema is compiled apart, so two proxies in one process (two
 * brokers' rest.proxy.listeners, as tests run them) and two versions of a subject sharing an `$id`
 * all validate. Before, one module-level Ajv held every compiled schema by its `$id` and refused
 * the second ("schema with key or id ... already exists": 422 INVALID_SCHEMA).
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startBroker, type RunningBroker } from '../../src/index.js';
import { RestProxy } from '../../src/rest/server.js';
import { startRegistry, type RunningRegistry } from '../../src/registry/registry.js';
import { GROUP_TEST_BROKER_CONFIG } from '../group/scenario.js';
import { expectError, expectStatus, http } from './rest-helpers.js';

const quiet = { sink: (): void => undefined, level: 'warn' as const };
let broker: RunningBroker;
let registry: RunningRegistry;
const proxies: RestProxy[] = [];

before(async () => {
  broker = await startBroker({ port: 0, logger: quiet, config: GROUP_TEST_BROKER_CONFIG });
  registry = await startRegistry({ bootstrap: broker.bootstrap, listener: 'http://127.0.0.1:0', replicationFactor: 1 });
  assert.ok(await registry.waitForPrimary(30_000), 'the registry has a primary');
  for (let i = 0; i < 2; i++) proxies.push(await RestProxy.start({ bootstrap: [broker.bootstrap], port: 0, schemaRegistryUrl: registry.url }));
});

after(async () => {
  for (const p of proxies) await p.close();
  await registry?.close();
  await broker?.stop();
});

test('two REST proxies in one process and two versions of a schema with the same $id each validate their records', { timeout: 60_000 }, async () => {
  const [a, b] = proxies as [RestProxy, RestProxy];
  const id = broker.broker.clusterId;
  expectStatus(await http('POST', `${a.url}/v3/clusters/${id}/topics`, { topic_name: 'js-id', partitions_count: 1, replication_factor: 1 }, { 'content-type': 'application/json' }), 201, 'create js-id');
  const ct = { 'content-type': 'application/vnd.kafka.jsonschema.v2+json' };
  const v1 = { $id: 'https://samsa.test/person.json', type: 'object', properties: { id: { type: 'integer' } }, required: ['id'] };
  // A compatible (BACKWARD) second version: id no longer required.
  const v2 = { $id: v1.$id, type: 'object', properties: v1.properties };
  const produce = (p: RestProxy, schema: object, value: unknown): Promise<Awaited<ReturnType<typeof http>>> => http('POST', `${p.url}/topics/js-id`, { value_schema: JSON.stringify(schema), records: [{ value }] }, ct);

  const first = await produce(a, v1, { id: 1 });
  expectStatus(first, 200, 'proxy A, v1');
  const second = await produce(b, v1, { id: 2 });
  expectStatus(second, 200, 'proxy B, the same schema');
  assert.equal((second.json as { value_schema_id: number }).value_schema_id, (first.json as { value_schema_id: number }).value_schema_id);
  const third = await produce(a, v2, { name: 'three' });
  expectStatus(third, 200, 'proxy A, v2 with the same $id');
  assert.notEqual((third.json as { value_schema_id: number }).value_schema_id, (first.json as { value_schema_id: number }).value_schema_id);
  // Each validator still checks its own schema.
  expectError(await produce(b, v1, { name: 'no id' }), 422, 42203, 'proxy B rejects a value without id');
  expectError(await produce(a, v2, { id: 'four' }), 422, 42203, 'proxy A rejects a non-integer id under v2');
});
