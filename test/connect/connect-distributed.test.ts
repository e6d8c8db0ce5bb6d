/**
 * Must-show 1 of issue 20: three `samsa connect` worker processes in one Connect cluster; a
 * FileStreamSource and a PostgreSQL sink (a PostgreSQL cluster of the test's own, upsert by key,
 * auto-created table) move 10,000 JSON lines (CONNECT_TEST_RECORDS=100000 for the issue's
 * 100,000) into the table with exact count and contents; writes sent to followers are forwarded
 * to the leader; kill -9 of the worker running the source task moves its tasks to the others,
 * and lines appended afterwards arrive too: no row lost or duplicated.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, test } from 'node:test';
import { Kafka, logLevel } from 'kafkajs';
import pg from 'pg';
import { startBroker, type RunningBroker } from '../../src/index.js';
import { GROUP_TEST_BROKER_CONFIG } from '../group/scenario.js';
import { captureChildOutput } from '../helpers/log-capture.js';
import { expectStatus, http, startPostgres, waitFor, type Postgres } from './connect-helpers.js';

const CLI = resolve('dist/src/cli/samsa.js');
let broker: RunningBroker;
let pgsql: Postgres | null;
let dir: string;

interface WorkerProc {
  url: string;
  child: ChildProcess;
  kill(): Promise<void>;
  stop(): Promise<void>;
}

async function startWorker(props: string): Promise<WorkerProc> {
  const child = spawn(process.execPath, [CLI, 'connect', '--bootstrap-server', broker.bootstrap, '--port', '0', '--group-id', 'connect-test', props], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  captureChildOutput(`connect worker ${child.pid ?? '?'}`, () => out);
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const url = await waitFor(`worker startup (${out})`, () => /Connect worker listening on (http:\/\/\S+)/.exec(out)?.[1], 30_000);
  return {
    url,
    child,
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

before(async () => {
  broker = await startBroker({ port: 0, config: { ...GROUP_TEST_BROKER_CONFIG } });
  pgsql = await startPostgres();
  dir = mkdtempSync(join(tmpdir(), 'samsa-connect-dist-'));
});

after(async () => {
  await pgsql?.stop();
  await broker?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const N = Number(process.env['CONNECT_TEST_RECORDS'] ?? '10000');
const M = 2_000;
const line = (i: number): string => JSON.stringify({ id: i, name: `person-${i}`, score: i * 1.5 });

test('three workers: file source and PostgreSQL sink, exact rows; kill -9 of a worker moves its tasks', { timeout: Math.max(600_000, N * 8) }, async (t) => {
  if (pgsql === null) return t.skip('PostgreSQL binaries not found');
  const pgUrl = pgsql.url;
  const props = join(dir, 'worker.properties');
  writeFileSync(
    props,
    [
      'config.storage.replication.factor=1',
      'offset.storage.replication.factor=1',
      'status.storage.replication.factor=1',
      'session.timeout.ms=6000',
      'heartbeat.interval.ms=1000',
      'offset.flush.interval.ms=1000',
      'key.converter=org.apache.kafka.connect.json.JsonConverter',
      'value.converter=org.apache.kafka.connect.json.JsonConverter',
    ].join('\n'),
  );
  const kafka = new Kafka({ brokers: [broker.bootstrap], clientId: 'connect-dist-test', logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: 'people', numPartitions: 3 }] });
  await admin.disconnect();

  const workers = await Promise.all([startWorker(props), startWorker(props), startWorker(props)]);
  t.after(() => Promise.all(workers.map((w) => w.kill())));
  const [w1, w2, w3] = workers as [WorkerProc, WorkerProc, WorkerProc];

  const file = join(dir, 'people.jsonl');
  writeFileSync(file, Array.from({ length: N }, (_, i) => line(i)).join('\n') + '\n');
  const started = performance.now();
  // Created through different workers: the followers forward to the leader.
  const created = await waitFor('the source created', async () => {
    const a = await http('POST', `${w2.url}/connectors`, { name: 'people-file', config: { 'connector.class': 'FileStreamSource', file, topic: 'people', 'value.converter': 'org.apache.kafka.connect.storage.StringConverter' } });
    return a.status === 409 && /rebalance|stale/.test(a.text) ? null : a;
  });
  expectStatus(created, 201, 'create source');
  const sink = {
    'connector.class': 'io.confluent.connect.jdbc.JdbcSinkConnector',
    topics: 'people',
    'tasks.max': '3',
    'connection.url': pgUrl,
    'table.name.format': 'people_table',
    'pk.mode': 'record_key',
    'pk.fields': 'id',
    'insert.mode': 'upsert',
    'auto.create': 'true',
    'value.converter': 'org.apache.kafka.connect.json.JsonConverter',
    'value.converter.schemas.enable': 'false',
    transforms: 'key',
    'transforms.key.type': 'org.apache.kafka.connect.transforms.ValueToKey',
    'transforms.key.fields': 'id',
  };
  const put = await waitFor('the sink created', async () => {
    const a = await http('PUT', `${w3.url}/connectors/people-pg/config`, sink);
    return a.status === 409 ? null : a;
  });
  expectStatus(put, 201, 'create sink');

  let via = w1.url;
  const db = new pg.Client({ connectionString: `postgres://postgres@127.0.0.1:${pgsql.port}/postgres` });
  await db.connect();
  t.after(() => db.end());
  const count = async (): Promise<number> => {
    for (const name of ['people-file', 'people-pg']) {
      const st = (await http('GET', `${via}/connectors/${name}/status`)).json as { tasks?: { state: string; trace?: string }[] } | undefined;
      const failed = st?.tasks?.find((x) => x.state === 'FAILED');
      if (failed) assert.fail(`task of ${name} FAILED: ${failed.trace ?? ''}`);
    }
    try {
      return Number((await db.query('SELECT count(*)::int AS n FROM people_table')).rows[0].n);
    } catch {
      return 0;
    }
  };
  await waitFor(`${N} rows`, async () => (await count()) >= N, Math.max(240_000, N * 4));
  t.diagnostic(`${N} lines from file to table through 3 workers in ${Math.round(performance.now() - started)} ms`);
  const rows = (await db.query('SELECT id, name, score FROM people_table ORDER BY id')).rows as { id: string; name: string; score: number }[];
  assert.equal(rows.length, N);
  rows.forEach((r, i) => assert.deepEqual([Number(r.id), r.name, r.score], [i, `person-${i}`, i * 1.5]));

  // Where do the tasks run? Kill the worker running the source task (or any with a sink task).
  type St = { connector: { state: string; worker_id: string }; tasks: { id: number; state: string; worker_id: string }[] };
  const statusOf = async (name: string): Promise<St> => (await http('GET', `${via}/connectors/${name}/status`)).json as St;
  const src = await statusOf('people-file');
  const victimId = src.tasks[0]?.worker_id ?? '';
  const victim = workers.find((w) => w.url === `http://${victimId}`) ?? w1;
  const survivors = workers.filter((w) => w !== victim);
  via = survivors[0]?.url ?? w2.url;
  const killedAt = performance.now();
  await victim.kill();
  appendFileSync(file, Array.from({ length: M }, (_, i) => line(N + i)).join('\n') + '\n');
  const survivorIds = survivors.map((w) => w.url.replace('http://', ''));
  const moved = await waitFor('every task RUNNING on a surviving worker', async () => {
    const a = await statusOf('people-file');
    const b = await statusOf('people-pg');
    const all = [...a.tasks, ...b.tasks];
    return all.length === 4 && all.every((x) => x.state === 'RUNNING' && survivorIds.includes(x.worker_id)) ? [a, b] : null;
  }, 120_000);
  t.diagnostic(`tasks moved off the killed worker in ${Math.round(performance.now() - killedAt)} ms: ${JSON.stringify(moved.map((s) => s.tasks.map((x) => x.worker_id)))}`);
  await waitFor(`${N + M} rows`, async () => (await count()) >= N + M, 240_000);
  const all = (await db.query('SELECT id, name FROM people_table ORDER BY id')).rows as { id: string; name: string }[];
  assert.equal(all.length, N + M);
  all.forEach((r, i) => assert.deepEqual([Number(r.id), r.name], [i, `person-${i}`]));
  await Promise.all(survivors.map((w) => w.stop()));
});
