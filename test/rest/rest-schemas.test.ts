/**
 * The REST proxy's schema formats (avro, jsonschema, protobuf) through Node's fetch, with records
 * in the schema registry wire format checked by an unchanged third-party decoder
 * (@kafkajs/confluent-schema-registry), and records encoded by it read back through HTTP.
 * The registry is the project's own (src/registry/, built on a parallel branch) when the build has
 * it, else test/rest/stub-registry.ts (the same part of Confluent's HTTP API).
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import { startBroker, type RunningBroker } from '../../src/index.js';
import { RestProxy } from '../../src/rest/server.js';
import { GROUP_TEST_BROKER_CONFIG } from '../group/scenario.js';
import { expectError, expectStatus, http, pollRecords } from './rest-helpers.js';
import { startStubRegistry, type StubRegistry } from './stub-registry.js';

let broker: RunningBroker;
let proxy: RestProxy;
let registry: StubRegistry;

interface ProjectRegistry {
  startRegistry(o: { bootstrap: string; listener: string; replicationFactor: number }): Promise<StubRegistry & { waitForPrimary(timeoutMs?: number): Promise<boolean> }>;
}

/** src/registry/ when this build has it (the specifier is a variable so this compiles without it), else the stub. */
async function startSchemaRegistry(bootstrap: string): Promise<StubRegistry> {
  const specifier = '../../src/registry/registry.js';
  let mod: ProjectRegistry;
  try {
    mod = (await import(specifier)) as ProjectRegistry;
  } catch (e) {
    if ((e as { code?: string }).code !== 'ERR_MODULE_NOT_FOUND') throw e;
    console.log('# schema registry: test/rest/stub-registry.ts (src/registry/ is not in this build)');
    return startStubRegistry();
  }
  const r = await mod.startRegistry({ bootstrap, listener: 'http://127.0.0.1:0', replicationFactor: 1 });
  assert.ok(await r.waitForPrimary(30_000), 'the registry has a primary');
  console.log('# schema registry: src/registry/');
  return r;
}
let decoder: SchemaRegistry;

before(async () => {
  broker = await startBroker({ port: 0, config: GROUP_TEST_BROKER_CONFIG });
  registry = await startSchemaRegistry(broker.bootstrap);
  proxy = await RestProxy.start({ bootstrap: [broker.bootstrap], port: 0, schemaRegistryUrl: registry.url });
  decoder = new SchemaRegistry({ host: registry.url });
});

after(async () => {
  await proxy?.close();
  await registry?.close();
  await broker?.stop();
});

async function topic(name: string): Promise<void> {
  const id = broker.broker.clusterId;
  expectStatus(await http('POST', `${proxy.url}/v3/clusters/${id}/topics`, { topic_name: name, partitions_count: 1, replication_factor: 1 }, { 'content-type': 'application/json' }), 201, `create ${name}`);
}

/** The raw bytes of a topic's values, read through a binary instance. */
async function rawValues(t: string, count: number): Promise<Buffer[]> {
  const c = await http('POST', `${proxy.url}/consumers/raw-${t}`, { name: 'raw', format: 'binary' });
  const uri = (c.json as { base_uri: string }).base_uri;
  await http('POST', `${uri}/assignments`, { partitions: [{ topic: t, partition: 0 }] });
  await http('POST', `${uri}/positions/beginning`, { partitions: [{ topic: t, partition: 0 }] });
  const recs = await pollRecords(uri, 'binary', count);
  await http('DELETE', uri);
  return recs.map((r) => Buffer.from(r['value'] as string, 'base64'));
}

/** The values decoded by an instance of the given format. */
let groups = 0;
async function formatValues(t: string, format: string, count: number): Promise<unknown[]> {
  const c = await http('POST', `${proxy.url}/consumers/${format}-${t}-${groups++}`, { name: 'f', format, 'auto.offset.reset': 'earliest' });
  const uri = (c.json as { base_uri: string }).base_uri;
  await http('POST', `${uri}/subscription`, { topics: [t] });
  const recs = await pollRecords(uri, format, count);
  await http('DELETE', uri);
  return recs.map((r) => r['value']);
}

test('avro: inline schema registered under <topic>-value, then by id; a third-party decoder reads the records', { timeout: 60_000 }, async () => {
  await topic('avro-t');
  const schema = { type: 'record', name: 'Person', fields: [{ name: 'name', type: 'string' }, { name: 'age', type: 'int' }, { name: 'tag', type: ['null', 'string'], default: null }] };
  const ct = { 'content-type': 'application/vnd.kafka.avro.v2+json' };
  const first = await http('POST', `${proxy.url}/topics/avro-t`, { value_schema: JSON.stringify(schema), records: [{ value: { name: 'ann', age: 31, tag: { string: 'x' } } }] }, ct);
  expectStatus(first, 200, 'produce with schema');
  const id = (first.json as { value_schema_id: number }).value_schema_id;
  assert.equal(typeof id, 'number');
  const second = await http('POST', `${proxy.url}/topics/avro-t`, { value_schema_id: id, records: [{ value: { name: 'bob', age: 7, tag: null } }] }, ct);
  expectStatus(second, 200, 'produce by id');
  assert.equal((second.json as { value_schema_id: number }).value_schema_id, id);
  expectError(await http('POST', `${proxy.url}/topics/avro-t`, { value_schema_id: id, records: [{ value: { name: 'bad' } }] }, ct), 422, 42203, 'value not matching the schema');

  const raw = await rawValues('avro-t', 2);
  assert.deepEqual(raw.map((b) => [b[0], b.readUInt32BE(1)]), [[0, id], [0, id]], 'magic byte and schema id');
  assert.deepEqual((await Promise.all(raw.map((b) => decoder.decode(b)))).map((v: object) => ({ ...v })), [{ name: 'ann', age: 31, tag: 'x' }, { name: 'bob', age: 7, tag: null }]);
  assert.deepEqual(await formatValues('avro-t', 'avro', 2), [{ name: 'ann', age: 31, tag: { string: 'x' } }, { name: 'bob', age: 7, tag: null }]);

  // Encoded by the third-party client, produced as binary, read through an avro instance.
  const encoded = await decoder.encode(id, { name: 'cy', age: 2, tag: 'z' });
  expectStatus(await http('POST', `${proxy.url}/topics/avro-t`, { records: [{ value: encoded.toString('base64') }] }, { 'content-type': 'application/vnd.kafka.binary.v2+json' }), 200, 'produce encoded');
  assert.deepEqual((await formatValues('avro-t', 'avro', 3))[2], { name: 'cy', age: 2, tag: { string: 'z' } });
});

test('jsonschema: values are validated against the schema and stored as JSON after the schema id', { timeout: 60_000 }, async () => {
  await topic('js-t');
  const schema = { type: 'object', properties: { id: { type: 'integer' }, name: { type: 'string' } }, required: ['id'] };
  const ct = { 'content-type': 'application/vnd.kafka.jsonschema.v2+json' };
  const p = await http('POST', `${proxy.url}/topics/js-t`, { value_schema: JSON.stringify(schema), records: [{ value: { id: 1, name: 'one' } }, { value: { id: 2 } }] }, ct);
  expectStatus(p, 200, 'produce');
  const id = (p.json as { value_schema_id: number }).value_schema_id;
  expectError(await http('POST', `${proxy.url}/topics/js-t`, { value_schema_id: id, records: [{ value: { name: 'no id' } }] }, ct), 422, 42203, 'invalid value');
  const raw = await rawValues('js-t', 2);
  assert.equal(raw[0]?.readUInt32BE(1), id);
  assert.deepEqual(JSON.parse(raw[0]?.subarray(5).toString() ?? ''), { id: 1, name: 'one' });
  assert.deepEqual(await decoder.decode(raw[1] as Buffer), { id: 2 });
  assert.deepEqual(await formatValues('js-t', 'jsonschema', 2), [{ id: 1, name: 'one' }, { id: 2 }]);
});

test('protobuf: the first message of the schema, message indexes in the wire format', { timeout: 60_000 }, async () => {
  await topic('pb-t');
  const schema = 'syntax = "proto3";\npackage demo;\nmessage Person {\n  string name = 1;\n  int32 age = 2;\n}\n';
  const ct = { 'content-type': 'application/vnd.kafka.protobuf.v2+json' };
  const p = await http('POST', `${proxy.url}/topics/pb-t`, { value_schema: schema, records: [{ value: { name: 'pia', age: 40 } }] }, ct);
  expectStatus(p, 200, 'produce');
  const id = (p.json as { value_schema_id: number }).value_schema_id;
  const raw = await rawValues('pb-t', 1);
  assert.deepEqual([raw[0]?.[0], raw[0]?.readUInt32BE(1), raw[0]?.[5]], [0, id, 0], 'magic, id, message index [0]');
  const decoded = (await decoder.decode(raw[0] as Buffer)) as { name: string; age: number };
  assert.deepEqual({ name: decoded.name, age: decoded.age }, { name: 'pia', age: 40 });
  assert.deepEqual(await formatValues('pb-t', 'protobuf', 1), [{ name: 'pia', age: 40 }]);
  expectError(await http('POST', `${proxy.url}/topics/pb-t`, { value_schema: 'message {', records: [{ value: {} }] }, ct), 422, 42205, 'invalid schema');
});
