/**
 * samsa/streams exception handlers and the Avro serde, against a real in-process broker (and a
 * schema registry from src/registry): a deserialization handler skipping malformed records (told
 * their topic, partition and offset); a processing handler (KIP-1033) dropping the records a
 * processor throws on, and the default failing the application; a production handler dropping
 * the sink records the broker refuses (max.message.bytes) while their neighbours get through,
 * and the default failing; Avro values written by @kafkajs/confluent-schema-registry read and
 * written by the application, and read back with that client.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import { startRegistry } from '../../src/registry/registry.js';
import { avroSerde, HandlerResponse, KafkaStreams, Serdes, StreamsBuilder, type ErrorHandlerContext } from '../../src/streams/index.js';
import { readUntil, startEnv, until, type StreamsEnv } from './helpers.js';

let env: StreamsEnv;

before(async () => {
  env = await startEnv();
});

after(async () => {
  await env?.stop();
});

const common = () => ({ bootstrapServers: env.broker.bootstrap, stateDir: env.stateDir, commitIntervalMs: 200, sessionTimeoutMs: 6_000, heartbeatIntervalMs: 500 });
const dropped = (app: KafkaStreams): number => app.metrics().filter((m) => m.name === 'dropped-records-total').reduce((a, m) => a + m.value, 0);

test('deserialization and processing handlers: continue skips the bad records (with their context), fail stops the application', { timeout: 240_000 }, async () => {
  await env.admin.createTopics({ topics: ['eh-in', 'eh-out', 'eh-out2'].map((topic) => ({ topic, numPartitions: 1 })) });
  const values = Array.from({ length: 20 }, (_, i) => (i % 7 === 3 ? `{not json ${i}` : JSON.stringify({ n: i })));
  await env.producer.send({ topic: 'eh-in', messages: values.map((value, i) => ({ key: `k${i}`, value })) });
  const malformed = values.flatMap((v, i) => (v.startsWith('{not') ? [i] : []));
  const poison = (n: number): boolean => n % 5 === 0; // the processor throws on these
  const good = values.flatMap((v, i) => (v.startsWith('{not') || poison(i) ? [] : [`k${i}|${i * 10}`]));

  const build = (out: string) => {
    const b = new StreamsBuilder();
    b.stream<string, { n: number }>('eh-in', { keySerde: Serdes.String(), valueSerde: Serdes.Json<{ n: number }>() })
      .mapValues((v) => {
        if (poison(v.n)) throw new Error(`poison ${v.n}`);
        return String(v.n * 10);
      })
      .to(out, { keySerde: Serdes.String(), valueSerde: Serdes.String() });
    return b.build();
  };
  const deser: string[] = [];
  const proc: string[] = [];
  const app = new KafkaStreams(build('eh-out'), {
    ...common(),
    applicationId: 'eh-app',
    deserializationExceptionHandler: (ctx: ErrorHandlerContext) => {
      deser.push(`${ctx.topic}-${ctx.partition}@${ctx.offset}`);
      return HandlerResponse.CONTINUE;
    },
    processingExceptionHandler: (ctx, record, error) => {
      proc.push(`${ctx.processorNodeId.replace(/\d+$/, 'N')}:${String(record.key)}:${(error as Error).message}`);
      return HandlerResponse.CONTINUE;
    },
  });
  await app.start();
  try {
    const out = await readUntil(env.kafka, 'eh-out', (rs) => rs.length >= good.length);
    assert.deepEqual(out.map((r) => `${r.key}|${r.value}`), good);
    assert.deepEqual(deser, malformed.map((i) => `eh-in-0@${i}`));
    const poisoned = values.flatMap((v, i) => (!v.startsWith('{not') && poison(i) ? [`KSTREAM-MAPVALUES-N:k${i}:poison ${i}`] : []));
    assert.deepEqual(proc, poisoned);
    await until('the dropped records counted', () => dropped(app) === malformed.length + poisoned.length);
    assert.equal(app.state, 'RUNNING');
  } finally {
    await app.close();
  }

  // The default processing handler fails: the application stops in ERROR (after the malformed records are skipped).
  const errors: unknown[] = [];
  const failing = new KafkaStreams(build('eh-out2'), { ...common(), applicationId: 'eh-app-fail', deserializationExceptionHandler: 'continue', onError: (e) => errors.push(e) });
  await failing.start();
  try {
    await until('the application to fail', () => failing.state === 'ERROR');
    assert.match(String(failing.error), /processing failed \(task 0_0, node KSTREAM-MAPVALUES-\d+, eh-in-0@0\): poison 0/);
  } finally {
    await failing.close();
  }
});

test('production handler: continue drops the sink records the broker refuses and keeps their neighbours; the default fails', { timeout: 240_000 }, async () => {
  await env.admin.createTopics({ topics: [{ topic: 'ph-in', numPartitions: 1 }, { topic: 'ph-out', numPartitions: 1, configEntries: [{ name: 'max.message.bytes', value: '2000' }] }, { topic: 'ph-out2', numPartitions: 1, configEntries: [{ name: 'max.message.bytes', value: '2000' }] }] });
  const sizes = Array.from({ length: 12 }, (_, i) => (i % 4 === 1 ? 5_000 : 10 + i));
  await env.producer.send({ topic: 'ph-in', messages: sizes.map((n, i) => ({ key: `k${i}`, value: String(n) })) });
  const build = (out: string) => {
    const b = new StreamsBuilder();
    b.stream<string, string>('ph-in', { keySerde: Serdes.String(), valueSerde: Serdes.String() })
      .mapValues((n) => 'x'.repeat(Number(n)))
      .to(out, { keySerde: Serdes.String(), valueSerde: Serdes.String() });
    return b.build();
  };
  const refused: string[] = [];
  const app = new KafkaStreams(build('ph-out'), {
    ...common(),
    applicationId: 'ph-app',
    productionExceptionHandler: (ctx, record) => {
      refused.push(`${ctx.topic}:${record.key?.toString()}`);
      return HandlerResponse.CONTINUE;
    },
  });
  const small = sizes.flatMap((n, i) => (n < 1000 ? [`k${i}:${n}`] : []));
  await app.start();
  try {
    const out = await readUntil(env.kafka, 'ph-out', (rs) => rs.length >= small.length);
    assert.deepEqual(out.map((r) => `${r.key}:${r.value?.length}`), small);
    assert.deepEqual(refused, sizes.flatMap((n, i) => (n >= 1000 ? [`ph-out:k${i}`] : [])));
    assert.equal(app.state, 'RUNNING');
  } finally {
    await app.close();
  }
  const failing = new KafkaStreams(build('ph-out2'), { ...common(), applicationId: 'ph-app-fail', onError: () => undefined });
  await failing.start();
  try {
    await until('the application to fail', () => failing.state === 'ERROR');
    assert.match(String(failing.error), /producing to ph-out2-0/);
  } finally {
    await failing.close();
  }
});

test('Avro serde through the schema registry: records from @kafkajs/confluent-schema-registry in, Avro out, read back with that client', { timeout: 240_000 }, async () => {
  await env.admin.createTopics({ topics: [{ topic: 'av-in', numPartitions: 2 }, { topic: 'av-out', numPartitions: 2 }] });
  const reg = await startRegistry({ bootstrap: env.broker.bootstrap, listener: 'http://127.0.0.1:0' });
  try {
    assert.ok(await reg.waitForPrimary(30_000));
    const client = new SchemaRegistry({ host: reg.url });
    const inSchema = { type: 'record', name: 'Purchase', namespace: 'samsa.test', fields: [{ name: 'user', type: 'string' }, { name: 'amount', type: 'int' }] };
    const outSchema = { type: 'record', name: 'Doubled', namespace: 'samsa.test', fields: [{ name: 'user', type: 'string' }, { name: 'total', type: 'long' }, { name: 'note', type: ['null', 'string'], default: null }] };
    const { id } = await client.register({ type: SchemaType.AVRO, schema: JSON.stringify(inSchema) }, { subject: 'av-in-value' });
    const purchases = Array.from({ length: 25 }, (_, i) => ({ user: `u${i % 4}`, amount: i * 3 }));
    await env.producer.send({ topic: 'av-in', messages: await Promise.all(purchases.map(async (p, i) => ({ key: `p${i}`, value: await client.encode(id, p) }))) });

    const inSerde = await avroSerde<{ user: string; amount: number }>({ registryUrl: reg.url, topic: 'av-in' });
    const outSerde = await avroSerde<{ user: string; total: number; note: string | null }>({ registryUrl: reg.url, topic: 'av-out', schema: outSchema });
    assert.equal(inSerde.schemaId, id);
    const b = new StreamsBuilder();
    b.stream('av-in', { keySerde: Serdes.String(), valueSerde: inSerde })
      .mapValues((p) => ({ user: p.user, total: p.amount * 2, note: p.amount > 30 ? 'big' : null }))
      .to('av-out', { keySerde: Serdes.String(), valueSerde: outSerde });
    const app = new KafkaStreams(b.build(), { ...common(), applicationId: 'av-app' });
    await app.start();
    try {
      const consumer = env.kafka.consumer({ groupId: 'av-reader', maxWaitTimeInMs: 200 });
      const got: string[] = [];
      await consumer.connect();
      try {
        await consumer.subscribe({ topic: 'av-out', fromBeginning: true });
        await consumer.run({ eachMessage: async ({ message }) => void got.push(`${message.key?.toString()}=${JSON.stringify(await client.decode(message.value as Buffer))}`) });
        await until('the Avro output', () => got.length >= purchases.length);
      } finally {
        await consumer.disconnect();
      }
      const expected = purchases.map((p, i) => `p${i}=${JSON.stringify({ user: p.user, total: p.amount * 2, note: p.amount > 30 ? 'big' : null })}`);
      assert.deepEqual(got.sort(), expected.sort());
      assert.equal((await client.getLatestSchemaId('av-out-value')), outSerde.schemaId);
    } finally {
      await app.close();
    }
  } finally {
    await reg.close();
  }
});
