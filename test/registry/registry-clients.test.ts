/**
 * Issue 19 must-show 1: the two npm schema registry clients, unchanged, against the registry
 * served by a Samsa broker (schema.registry.listeners): register Avro, JSON Schema and Protobuf
 * schemas, encode records, produce them with kafkajs, consume them back and decode them; an
 * incompatible evolution is refused with 409 under BACKWARD and accepted under NONE.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Kafka, logLevel } from 'kafkajs';
import { COMPATIBILITY, SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import {
  AvroDeserializer,
  AvroSerializer,
  JsonDeserializer,
  JsonSerializer,
  ProtobufDeserializer,
  ProtobufSerializer,
  SchemaRegistryClient,
  SerdeType,
} from '@confluentinc/schemaregistry';
import { create, createFileRegistry, createMutableRegistry, fromBinary } from '@bufbuild/protobuf';
import { FileDescriptorProtoSchema } from '@bufbuild/protobuf/wkt';
import protobuf from 'protobufjs';
import descriptor from 'protobufjs/ext/descriptor/index.js';
import { startBrokerWithRegistry, sr, type BrokerWithRegistry } from '../helpers/registry.js';

let env: BrokerWithRegistry;
let kafka: Kafka;

before(async () => {
  env = await startBrokerWithRegistry();
  kafka = new Kafka({ clientId: 'sr-clients', brokers: [env.broker.bootstrap], logLevel: logLevel.NOTHING });
});

after(async () => {
  await env?.stop();
});

/** Produces the values with kafkajs and reads them back with a kafkajs consumer group. */
async function roundTrip(topic: string, values: Buffer[]): Promise<Buffer[]> {
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
  await admin.disconnect();
  const producer = kafka.producer();
  await producer.connect();
  await producer.send({ topic, messages: values.map((value) => ({ value })) });
  await producer.disconnect();
  const consumer = kafka.consumer({ groupId: `g-${topic}`, sessionTimeout: 10_000, rebalanceTimeout: 10_000 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const got: Buffer[] = [];
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`consumed ${got.length} of ${values.length} within 60 s`)), 60_000);
    void consumer.run({
      eachMessage: async ({ message }) => {
        if (message.value) got.push(message.value);
        if (got.length >= values.length) {
          clearTimeout(timer);
          resolve();
        }
      },
    });
  });
  await consumer.disconnect();
  return got;
}

const userV1 = { type: 'record', name: 'User', namespace: 'samsa.test', fields: [{ name: 'name', type: 'string' }, { name: 'age', type: 'int' }] };
const jsonV1 = { type: 'object', properties: { sku: { type: 'string' }, qty: { type: 'integer' } }, required: ['sku'], additionalProperties: false };
const protoV1 = 'syntax = "proto3";\npackage samsa.test;\n\nmessage Order {\n  string id = 1;\n  int64 amount = 2;\n  repeated string tags = 3;\n}\n';

test('@kafkajs/confluent-schema-registry: Avro, JSON Schema and Protobuf registered, encoded, produced with kafkajs, consumed and decoded', async () => {
  const registry = new SchemaRegistry({ host: env.url });
  const avro = await registry.register({ type: SchemaType.AVRO, schema: JSON.stringify(userV1) }, { subject: 'kjs-avro-value' });
  const json = await registry.register({ type: SchemaType.JSON, schema: JSON.stringify(jsonV1) }, { subject: 'kjs-json-value' });
  const proto = await registry.register({ type: SchemaType.PROTOBUF, schema: protoV1 }, { subject: 'kjs-proto-value' });
  assert.equal(new Set([avro.id, json.id, proto.id]).size, 3, 'three distinct schemas get three ids');

  const users = [{ name: 'ada', age: 36 }, { name: 'linus', age: 54 }];
  const orders = [{ sku: 'a-1', qty: 2 }, { sku: 'b-2' }];
  const protos = [{ id: 'o1', amount: 1200, tags: ['x', 'y'] }, { id: 'o2', amount: 5, tags: [] }];
  const encoded = [
    ...(await Promise.all(users.map((u) => registry.encode(avro.id, u)))),
    ...(await Promise.all(orders.map((o) => registry.encode(json.id, o)))),
    ...(await Promise.all(protos.map((p) => registry.encode(proto.id, p)))),
  ];
  for (const b of encoded) assert.equal(b[0], 0, 'Confluent wire format: magic byte 0');
  const back = await roundTrip('sr-kafkajs-client', encoded);
  assert.equal(back.length, encoded.length);
  const decoded = await Promise.all(back.map((b) => registry.decode(b)));
  assert.deepEqual(decoded.slice(0, 2).map((u) => ({ ...(u as object) })), users);
  assert.deepEqual(decoded.slice(2, 4), orders);
  const p0 = decoded[4] as { id: string; amount: unknown; tags: string[] };
  assert.equal(p0.id, 'o1');
  assert.equal(Number(p0.amount), 1200);
  assert.deepEqual(p0.tags, ['x', 'y']);
  assert.equal(await registry.getLatestSchemaId('kjs-avro-value'), avro.id);

  // Incompatible evolution: a required field without a default, under the default BACKWARD.
  const userV2 = { ...userV1, fields: [...userV1.fields, { name: 'email', type: 'string' }] };
  await assert.rejects(registry.register({ type: SchemaType.AVRO, schema: JSON.stringify(userV2) }, { subject: 'kjs-avro-value' }), (e: Error & { status?: number }) => {
    assert.equal(e.status, 409, String(e));
    return true;
  });
  const answer = await sr(env.url, 'POST', '/subjects/kjs-avro-value/versions', { schema: JSON.stringify(userV2) });
  assert.equal(answer.status, 409);
  assert.equal((answer.body as { error_code: number }).error_code, 409);
  assert.equal((await sr(env.url, 'PUT', '/config/kjs-avro-value', { compatibility: 'NONE' })).status, 200);
  // (this client checks the subject's level against the one it is told before registering)
  const v2 = await registry.register({ type: SchemaType.AVRO, schema: JSON.stringify(userV2) }, { subject: 'kjs-avro-value', compatibility: COMPATIBILITY.NONE });
  assert.notEqual(v2.id, avro.id);
  assert.deepEqual((await sr(env.url, 'GET', '/subjects/kjs-avro-value/versions')).body, [1, 2]);
});

/** A bufbuild message descriptor for a .proto source, built through protobufjs's descriptor. */
function bufbuildRegistry(source: string, file: string): ReturnType<typeof createMutableRegistry> {
  const root = protobuf.parse(source, { keepCase: true }).root;
  const set = (root as unknown as { toDescriptor(s: string): { file: { name?: string }[] } }).toDescriptor('proto3');
  const fdp = set.file[0] as { name?: string };
  fdp.name = file;
  const bytes = (descriptor as unknown as { FileDescriptorProto: { encode(m: unknown): { finish(): Uint8Array } } }).FileDescriptorProto.encode(fdp).finish();
  const files = createFileRegistry(fromBinary(FileDescriptorProtoSchema, bytes), () => undefined);
  return createMutableRegistry(...files);
}

test('@confluentinc/schemaregistry: Avro, JSON Schema and Protobuf serializers and deserializers through kafkajs; 409 under BACKWARD, accepted under NONE', async () => {
  const client = new SchemaRegistryClient({ baseURLs: [env.url] });
  const topicAvro = 'sr-confluent-avro';
  const topicJson = 'sr-confluent-json';
  const topicProto = 'sr-confluent-proto';
  const avroId = await client.register(`${topicAvro}-value`, { schemaType: 'AVRO', schema: JSON.stringify(userV1) });
  const jsonId = await client.register(`${topicJson}-value`, { schemaType: 'JSON', schema: JSON.stringify(jsonV1) });
  assert.ok(avroId > 0 && jsonId > 0 && avroId !== jsonId);

  const avroSer = new AvroSerializer(client, SerdeType.VALUE, { useLatestVersion: true });
  const jsonSer = new JsonSerializer(client, SerdeType.VALUE, { useLatestVersion: true });
  const protoRegistry = bufbuildRegistry(protoV1, 'samsa/order.proto');
  const protoSer = new ProtobufSerializer(client, SerdeType.VALUE, { autoRegisterSchemas: true, registry: protoRegistry });
  const orderDesc = protoRegistry.getMessage('samsa.test.Order');
  assert.ok(orderDesc);

  const user = { name: 'grace', age: 85 };
  const order = { sku: 'c-3', qty: 7 };
  const avroBytes = await avroSer.serialize(topicAvro, user);
  const jsonBytes = await jsonSer.serialize(topicJson, order);
  const protoBytes = await protoSer.serialize(topicProto, create(orderDesc, { id: 'p1', amount: 42n, tags: ['t'] }));
  assert.equal(avroBytes.readInt32BE(1), avroId);
  assert.equal(jsonBytes.readInt32BE(1), jsonId);
  const protoId = protoBytes.readInt32BE(1);
  assert.ok(protoId > 0 && protoId !== avroId && protoId !== jsonId);

  const [a] = await roundTrip(topicAvro, [avroBytes]);
  const [j] = await roundTrip(topicJson, [jsonBytes]);
  const [p] = await roundTrip(topicProto, [protoBytes]);
  assert.deepEqual({ ...((await new AvroDeserializer(client, SerdeType.VALUE, {}).deserialize(topicAvro, a as Buffer)) as object) }, user);
  assert.deepEqual(await new JsonDeserializer(client, SerdeType.VALUE, {}).deserialize(topicJson, j as Buffer), order);
  const decodedOrder = (await new ProtobufDeserializer(client, SerdeType.VALUE, {}).deserialize(topicProto, p as Buffer)) as { id: string; amount: bigint; tags: string[] };
  assert.equal(decodedOrder.id, 'p1');
  assert.equal(decodedOrder.amount, 42n);
  assert.deepEqual(decodedOrder.tags, ['t']);

  // Incompatible JSON evolution (a new required property) refused under BACKWARD, accepted under NONE.
  const jsonV2 = { ...jsonV1, properties: { ...jsonV1.properties, price: { type: 'number' } }, required: ['sku', 'price'] };
  await assert.rejects(client.register(`${topicJson}-value`, { schemaType: 'JSON', schema: JSON.stringify(jsonV2) }), (e: Error & { status?: number }) => {
    assert.equal(e.status, 409, String(e));
    return true;
  });
  assert.equal(await client.getCompatibility(`${topicJson}-value`).catch(() => 'unset'), 'unset');
  await client.updateCompatibility(`${topicJson}-value`, 'NONE' as Parameters<typeof client.updateCompatibility>[1]);
  const v2 = await client.register(`${topicJson}-value`, { schemaType: 'JSON', schema: JSON.stringify(jsonV2) });
  assert.ok(v2 > jsonId);
});
