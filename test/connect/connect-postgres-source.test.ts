/**
 * The PostgreSQL source (Confluent JDBC source's keys) against a real PostgreSQL of the test's own:
 * incrementing mode copies a table's rows into `<topic.prefix><table>` and, after the distributed
 * worker is stopped and another started, resumes from the offset stored in connect-offsets (no
 * row twice, none lost); timestamp+incrementing pages through rows sharing one timestamp and sends
 * an updated row again; timestamp mode over a `query` reads every row of a timestamp that spans a
 * page. Records are read back with kafkajs.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Kafka, logLevel, type Consumer } from 'kafkajs';
import pg from 'pg';
import { startBroker, type RunningBroker } from '../../src/index.js';
import { ConnectWorker } from '../../src/connect/worker.js';
import { GROUP_TEST_BROKER_CONFIG } from '../group/scenario.js';
import { expectStatus, http, startPostgres, waitFor, type Postgres } from './connect-helpers.js';

let broker: RunningBroker;
let pgsql: Postgres | null;
let db: pg.Client | null = null;
let kafka: Kafka;

before(async () => {
  broker = await startBroker({ port: 0, config: { ...GROUP_TEST_BROKER_CONFIG } });
  pgsql = await startPostgres();
  if (pgsql !== null) {
    db = new pg.Client({ connectionString: `postgres://postgres@127.0.0.1:${pgsql.port}/postgres` });
    await db.connect();
  }
  kafka = new Kafka({ brokers: [broker.bootstrap], clientId: 'pg-source-test', logLevel: logLevel.NOTHING });
});

after(async () => {
  await db?.end();
  await pgsql?.stop();
  await broker?.stop();
});

/** A kafkajs consumer collecting a topic's values (parsed JSON) from the beginning. */
async function collect(topic: string): Promise<{ values: unknown[]; consumer: Consumer }> {
  const consumer = kafka.consumer({ groupId: `reader-${topic}` });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const values: unknown[] = [];
  await consumer.run({ eachMessage: async ({ message }) => void values.push(JSON.parse(message.value?.toString() ?? 'null')) });
  return { values, consumer };
}

const distributed = (): Promise<ConnectWorker> =>
  ConnectWorker.start({
    mode: 'distributed',
    bootstrap: [broker.bootstrap],
    port: 0,
    workerConfig: { 'group.id': 'pg-source', 'config.storage.topic': 'pgs-configs', 'offset.storage.topic': 'pgs-offsets', 'status.storage.topic': 'pgs-status', 'config.storage.replication.factor': '1', 'offset.storage.replication.factor': '1', 'status.storage.replication.factor': '1', 'session.timeout.ms': '6000', 'heartbeat.interval.ms': '1000', 'offset.flush.interval.ms': '200' },
    log: () => undefined,
  });

async function create(url: string, name: string, config: Record<string, string>): Promise<void> {
  const a = await waitFor(`${name} created`, async () => {
    const r = await http('PUT', `${url}/connectors/${name}/config`, config);
    return r.status === 409 ? null : r;
  });
  expectStatus(a, 201, `create ${name}`);
}

test('incrementing mode: rows to pg-items; a new worker resumes from the offset in connect-offsets', { timeout: 300_000 }, async (t) => {
  if (pgsql === null || db === null) return t.skip('PostgreSQL binaries not found');
  await db.query('CREATE TABLE items (id SERIAL PRIMARY KEY, name TEXT NOT NULL, qty INTEGER, price DOUBLE PRECISION, big BIGINT, ok BOOLEAN)');
  await db.query(`INSERT INTO items (name, qty, price, big, ok) SELECT 'item-' || i, i, i * 0.5, i * 10000000000, i % 2 = 0 FROM generate_series(1, 250) AS i`);
  const row = (i: number): unknown => ({ id: i, name: `item-${i}`, qty: i, price: i * 0.5, big: i * 10_000_000_000, ok: i % 2 === 0 });
  const { values, consumer } = await collect('pg-items');
  t.after(() => consumer.disconnect());

  let worker = await distributed();
  t.after(() => worker.close());
  await create(worker.url, 'pg-items-source', {
    'connector.class': 'io.confluent.connect.jdbc.JdbcSourceConnector',
    'connection.url': pgsql.url,
    mode: 'incrementing',
    'incrementing.column.name': 'id',
    'table.whitelist': 'items',
    'topic.prefix': 'pg-',
    'poll.interval.ms': '200',
    'batch.max.rows': '100',
    'value.converter': 'org.apache.kafka.connect.json.JsonConverter',
    'value.converter.schemas.enable': 'false',
  });
  await waitFor('250 rows in pg-items', () => {
    if (values.length > 250) assert.fail(`${values.length} records for 250 rows`);
    return values.length === 250;
  }, 120_000);
  assert.deepEqual(values, Array.from({ length: 250 }, (_, i) => row(i + 1)));
  await waitFor('the offset stored', async () => {
    const o = (await http('GET', `${worker.url}/connectors/pg-items-source/offsets`)).json as { offsets: unknown[] };
    return JSON.stringify(o.offsets) === JSON.stringify([{ partition: { table: 'items' }, offset: { incrementing: 250 } }]);
  });

  await worker.close();
  await db.query(`INSERT INTO items (name, qty, price, big, ok) SELECT 'item-' || i, i, i * 0.5, i * 10000000000, i % 2 = 0 FROM generate_series(251, 300) AS i`);
  worker = await distributed();
  await waitFor('300 rows in pg-items', () => {
    if (values.length > 300) assert.fail(`${values.length} records for 300 rows: ${JSON.stringify(values.slice(250, 260))}`);
    return values.length === 300;
  }, 120_000);
  assert.deepEqual(values, Array.from({ length: 300 }, (_, i) => row(i + 1)));
  const st = (await http('GET', `${worker.url}/connectors/pg-items-source/status`)).json as { tasks: { state: string }[] };
  assert.deepEqual(st.tasks.map((x) => x.state), ['RUNNING']);
});

test('timestamp+incrementing pages through one timestamp and sends updated rows; timestamp mode over a query', { timeout: 300_000 }, async (t) => {
  if (pgsql === null || db === null) return t.skip('PostgreSQL binaries not found');
  await db.query('CREATE TABLE events (id SERIAL PRIMARY KEY, v TEXT, updated_at TIMESTAMPTZ NOT NULL DEFAULT now())');
  // One statement: the three rows share one timestamp (now() is the transaction's).
  await db.query(`INSERT INTO events (v) VALUES ('a'), ('b'), ('c')`);
  const ti = await collect('ti-events');
  const tq = await collect('tq');
  t.after(() => Promise.all([ti.consumer.disconnect(), tq.consumer.disconnect()]));
  const worker = await ConnectWorker.start({ mode: 'standalone', bootstrap: [broker.bootstrap], port: 0, workerConfig: { 'offset.flush.interval.ms': '200' }, log: () => undefined });
  t.after(() => worker.close());
  const common = { 'connection.url': pgsql.url, 'timestamp.column.name': 'updated_at', 'poll.interval.ms': '200', 'batch.max.rows': '2' };
  await create(worker.url, 'events-ti', { ...common, 'connector.class': 'JdbcSource', mode: 'timestamp+incrementing', 'incrementing.column.name': 'id', 'table.whitelist': 'events', 'topic.prefix': 'ti-', 'value.converter': 'org.apache.kafka.connect.json.JsonConverter' });
  await create(worker.url, 'events-tq', { ...common, 'connector.class': 'JdbcSource', mode: 'timestamp', query: 'SELECT id, v, updated_at FROM events', 'topic.prefix': 'tq', 'value.converter': 'org.apache.kafka.connect.json.JsonConverter', 'value.converter.schemas.enable': 'false' });
  type Env = { schema: { type: string; name?: string; fields: { field: string; type: string; name?: string }[] }; payload: { id: number; v: string; updated_at: number } };
  await waitFor('three rows each', () => ti.values.length >= 3 && tq.values.length >= 3, 120_000);
  const envs = ti.values as Env[];
  assert.deepEqual(envs.map((e) => [e.payload.id, e.payload.v]), [[1, 'a'], [2, 'b'], [3, 'c']]);
  assert.equal(envs[0]?.schema.name, 'events');
  assert.deepEqual(envs[0]?.schema.fields.map((f) => [f.field, f.type, f.name ?? null]), [['id', 'int32', null], ['v', 'string', null], ['updated_at', 'int64', 'org.apache.kafka.connect.data.Timestamp']]);
  const dbTime = Number((await db.query(`SELECT floor(EXTRACT(EPOCH FROM updated_at) * 1000)::bigint AS ms FROM events WHERE id = 1`)).rows[0].ms);
  assert.equal(envs[0]?.payload.updated_at, dbTime);
  assert.deepEqual((tq.values as { id: number; v: string }[]).map((v) => [v.id, v.v]), [[1, 'a'], [2, 'b'], [3, 'c']]);

  await db.query(`UPDATE events SET v = 'b2', updated_at = clock_timestamp() WHERE id = 2`);
  await waitFor('the updated row in both topics', () => ti.values.length >= 4 && tq.values.length >= 4, 60_000);
  assert.deepEqual([(ti.values[3] as Env).payload.id, (ti.values[3] as Env).payload.v], [2, 'b2']);
  assert.deepEqual(tq.values[3], { id: 2, v: 'b2', updated_at: (tq.values[3] as { updated_at: number }).updated_at });
  const offsets = (await http('GET', `${worker.url}/connectors/events-ti/offsets`)).json as { offsets: { partition: unknown; offset: Record<string, number> }[] };
  assert.deepEqual(offsets.offsets[0]?.partition, { table: 'events' });
  assert.deepEqual(Object.keys(offsets.offsets[0]?.offset ?? {}).sort(), ['incrementing', 'timestamp', 'timestamp_nanos']);
  assert.equal(ti.values.length, 4);
  assert.equal(tq.values.length, 4);
});
